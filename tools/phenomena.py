"""The paper's three patterns of wiring evolution (Sec 3), judged per seed behind a premise gate.

P1 growing tendency, P2 width preference, P3 catastrophic failure of bi-level search. Each pattern is the
consequence of a mechanism the paper names, and each mechanism needs a condition (positive costs at
initialisation, several intermediate nodes, a fitted and over-confident network). The condition is measured in
the same run that is judged. A seed whose condition is absent says "premise absent" with the measured values;
it never counts against the pattern. Seeds are the unit of evidence: every verdict is per seed first.

Functions take the report's `Run` objects (tools/reproduce_report.py) and read only what the result files hold
(docs/results-format.md): /search/topology (the most likely op per edge after each epoch), /steps/edge_cost and
/steps/edge_op, /steps/accuracy, /search/split_mean, /search/batch_edge_cost.
"""

import math

from report_common import (NO_DATA, NOT_REPRODUCED, PREMISE_ABSENT, REFUTED, REPRODUCED, claim, fmt, mean_sem,
                           no_data, p_above_zero, pm, slope_t)
from wiringlab_files import phase_length

P1_EXPERIMENT = "paper-p1p2-dsnas"
P3_EXPERIMENT = "paper-p3-darts"
INIT_REGIME = "paper-regime-init"
MIN_SEEDS = 3
INIT_BATCHES = 20            # "at initialisation": the first 20 batches (or the first epoch when shorter)
GATE_P = 0.05                # one-sided p of "the init cost is <= 0" for the positive-cost gate
FITTED_ACCURACY = 0.95       # P3 gate: the theta half is fitted ...
GENERALISATION_GAP = 0.10    # ... and the held-out search half is classified worse by at least this much


# ---------------------------------------------------------------------------------------------------------------------
# Measurements of one run


def live_edge_mask(run):
    """Edges that exist in the run (a deleted edge has topology -1)."""
    return run.get("search/topology")[0] >= 0


def input_edges(run):
    return [e for e, s in enumerate(run.edge_source) if s < 2]


def intermediate_edges(run):
    return [e for e, s in enumerate(run.edge_source) if s >= 2]


def non_none_costs_per_batch(run, phase=0):
    """Per step of `phase`: mean edge cost over the (cell, edge) pairs that ran an op other than none."""
    import numpy as np

    steps = run.get("steps/phase") == phase
    ops = run.get("steps/edge_op")[steps]
    cost = run.get("steps/edge_cost")[steps]
    none = run.op_index("none")
    if (ops == -1).any():                        # a mixture: every op ran; weigh nothing out (none's term is 0)
        live = ops == -1
    else:
        live = (ops >= 0) & (ops != none)
    counts = live.sum(axis=(1, 2))
    means = np.where(live, cost, 0.0).sum(axis=(1, 2)) / np.maximum(counts, 1)
    return means[counts > 0]


def search_phase(run):
    """Index of the run's first search phase (0 when it has none)."""
    return next((p for p, phase in enumerate(run.config["phases"]) if phase["kind"] == "search"), 0)


def init_phase(run):
    """Where the costs at initialisation are read: a probe phase before the search (theta and alpha frozen at their
    initial values), else the first batches of the search itself."""
    for p, phase in enumerate(run.config["phases"][:search_phase(run)]):
        if phase["kind"] == "probe":
            return p
    return search_phase(run)


def positive_cost_gate(run):
    """The P1/P2 premise (reference-spec claim 16: "non-none costs positive at init long enough for alpha to move"):
    the costs of the non-none ops are positive at initialisation (Sec 5.2: the cost starts positive, which is what
    lowers every op against none), and in the search they stay positive (5-batch moving mean) for at least one
    epoch, the resolution at which the wiring is recorded. Returns (holds, mean, sem, batches positive, batches
    per epoch)."""
    per_batch = non_none_costs_per_batch(run, init_phase(run))
    epoch = run.get("steps/epoch")[run.get("steps/phase") == init_phase(run)]
    first_epoch = int((epoch == epoch.min()).sum()) if epoch.size else 0
    n = max(2, min(INIT_BATCHES, first_epoch))
    m, s, _ = mean_sem(per_batch[:n])
    p = p_above_zero(m, s)
    span = positive_span(non_none_costs_per_batch(run, search_phase(run)))
    search = run.get("steps/phase") == search_phase(run)
    search_epochs = run.get("steps/epoch")[search]
    per_epoch = int((search_epochs == search_epochs.min()).sum()) if search_epochs.size else 0
    return (bool(m > 0 and p < GATE_P and span >= per_epoch), m, s, span, per_epoch)


def none_pull_against_decay(run):
    """The part of the P1 premise that the optimiser decides (DSNAS): positive costs lift none against the other ops
    only if none's own alpha rises. Its gradient from the costs is -p(none) * w * r_e on a batch where the edge ran
    another op (reference-spec 5.1: (onehot - p) * r_e; w, the sample-probability weight, is ~1 at a uniform
    start), and the alpha optimiser adds weight_decay * alpha (L2 added to the gradient). Adam scales each
    coordinate by its own gradient's size, so a none whose mean gradient is positive falls by about the learning
    rate every step, while the other ops' spiky gradients (large when sampled) damp their steps: with decay above
    the pull, none falls fastest and no edge drops however long the costs stay positive. Measured over the first
    search epoch: pull = p(none) * mean over (batch, live edge) of r_e (0 where none ran; r_e summed over cells and
    clipped as the search clips it), p(none) = 1/|ops| (alpha starts uniform), against decay = weight_decay * the
    mean initial alpha. Returns (holds, pull, decay), or None for a search that is not DSNAS."""
    import numpy as np

    phase = run.config["phases"][search_phase(run)]
    if phase.get("algorithm") != "dsnas":
        return None
    steps = run.get("steps/phase") == search_phase(run)
    epochs = run.get("steps/epoch")[steps]
    first = epochs == epochs.min()
    ops = run.get("steps/edge_op")[steps][first]              # (batches, cells, edges)
    cost = run.get("steps/edge_cost")[steps][first]
    none = run.op_index("none")
    ran = (ops >= 0) & (ops != none)
    clip = float(phase.get("reward_clip") or math.inf)
    reward = np.clip(np.where(ran, cost, 0.0).sum(axis=1), -clip, clip)   # (batches, edges)
    live = live_edge_mask(run)
    pull = float(reward[:, live].mean()) / len(run.get("ops")) if reward.size and live.any() else 0.0
    init = phase.get("alpha_init") or {}
    alpha = float(init["mean"]) if init.get("kind") == "normal" and "mean" in init else float(
        np.abs(run.get("search/alpha")[0]).mean())
    decay = float((phase.get("alpha_optimizer") or {}).get("weight_decay", 0.0)) * alpha
    return pull > decay, pull, decay


def positive_span(per_batch, window=5):
    """Batches from the start until the `window`-batch moving mean of the non-none cost is <= 0 (all: never)."""
    import numpy as np

    if per_batch.size < window:
        return int((np.cumsum(per_batch) / np.arange(1, per_batch.size + 1) > 0).sum())
    moving = np.convolve(per_batch, np.ones(window) / window, mode="valid")
    if (moving <= 0).any():
        first = int(np.argmax(moving <= 0))
        return 0 if first == 0 else first + window - 1
    return int(per_batch.size)


def drop_and_recovery(run):
    """Per live edge: the first epoch whose most likely op is none (None: never), and the epoch from which the most
    likely op is not none until the end, after that drop (None: not recovered by the end)."""
    topology = run.get("search/topology")                     # (epochs, edges)
    none = run.op_index("none")
    dropped, recovered = {}, {}
    for e in range(topology.shape[1]):
        if topology[0, e] < 0:
            continue
        is_none = topology[:, e] == none
        first = int(is_none.argmax()) if is_none.any() else None
        dropped[e] = first
        if first is None or is_none[-1]:
            recovered[e] = None
        else:
            last_none = int(len(is_none) - 1 - is_none[::-1].argmax())
            recovered[e] = last_none + 1
    return dropped, recovered


def p1_seed(run):
    """P1 on one run. Criterion (Sec 3: 'all edges are dropped in the beginning; some of them then gradually
    recover'; a drop is soft, footnote 3: none is the most likely op): every live edge has none as its most likely
    op at some epoch within the first third of the search, and at least one input edge ends with another op most
    likely after its drop. Opposite (a pruning process): no edge has none most likely in the first third."""
    epochs = run.get("search/topology").shape[0]
    third = max(1, math.ceil(epochs / 3))
    gate, m, s, span, per_epoch = positive_cost_gate(run)
    against_decay = none_pull_against_decay(run)
    decay_text = ""
    if against_decay is not None:
        gate = gate and against_decay[0]
        decay_text = (f"; none's pull from the costs in the first epoch {fmt(against_decay[1])} vs the alpha decay "
                      f"{fmt(against_decay[2])}")
    dropped, recovered = drop_and_recovery(run)
    all_dropped = all(d is not None and d < third for d in dropped.values())
    none_dropped = not any(d is not None and d < third for d in dropped.values())
    inputs_back = [e for e in input_edges(run) if recovered.get(e) is not None]
    holds = all_dropped and bool(inputs_back)
    return {"run": run, "gate": gate,
            "gate_text": (f"init non-none cost {pm(m, s)} nats; in the search positive for {span} batches "
                          f"(an epoch: {per_epoch}){decay_text}"),
            "holds": holds, "opposite": none_dropped,
            "text": (f"dropped by epoch {max((d for d in dropped.values() if d is not None), default='-')} of {epochs} "
                     f"({sum(d is not None and d < third for d in dropped.values())}/{len(dropped)} edges in the first "
                     f"third); input edges recovered: {', '.join(f'e{e}@{recovered[e]}' for e in inputs_back) or 'none'}")}


def p2_seed(run):
    """P2 on one run. Criterion (Sec 3: 'intermediate edges barely recover from initial drops ... unless search spaces
    are extremely small'; Remark 3: they recover much later than input edges): the intermediate edges' mean
    recovery epoch is later than the input edges', and no larger share of them ends with another op than none.
    An edge's recovery epoch: 0 if none was never its most likely op, the epoch from which it stays recovered,
    or the number of epochs if it ends dropped. Premise: a space that is not extremely small (>= 4 intermediate
    nodes per cell or >= 4 cells) and positive non-none costs at initialisation (what makes edges drop at all)."""
    import numpy as np

    epochs = run.get("search/topology").shape[0]
    _, m, s, span, per_epoch = positive_cost_gate(run)
    positive = bool(m > 0 and p_above_zero(m, s) < GATE_P)
    net = run.network
    large = net["steps"] >= 4 or net["cells"] >= 4
    dropped, recovered = drop_and_recovery(run)
    inputs, middles = [e for e in input_edges(run) if e in dropped], [e for e in intermediate_edges(run) if e in dropped]

    def when(e):
        if dropped[e] is None:
            return 0
        return recovered[e] if recovered[e] is not None else epochs

    def share(edges):
        return sum(dropped[e] is None or recovered[e] is not None for e in edges) / max(1, len(edges))

    late_in = float(np.mean([when(e) for e in inputs])) if inputs else float("nan")
    late_mid = float(np.mean([when(e) for e in middles])) if middles else float("nan")
    holds = bool(middles and inputs and late_mid > late_in and share(middles) <= share(inputs))
    opposite = bool(middles and inputs and late_mid < late_in and share(middles) >= share(inputs))
    # Remark 2, the mechanism, measured in the same run: mean cost of the non-none ops per edge kind.
    cost_in, cost_mid = edge_kind_costs(run, inputs), edge_kind_costs(run, middles)
    return {"run": run, "gate": positive and large,
            "gate_text": (f"{net['steps']} intermediate nodes × {net['cells']} cells; init non-none cost {pm(m, s)}; "
                          f"{sum(d is not None for d in dropped.values())}/{len(dropped)} edges dropped at some epoch"),
            "holds": holds, "opposite": opposite,
            "text": (f"mean recovery epoch input {late_in:.1f}, intermediate {late_mid:.1f} (of {epochs}); recovered "
                     f"input {share(inputs):.0%}, intermediate {share(middles):.0%}; mean non-none cost input "
                     f"{fmt(cost_in)}, intermediate {fmt(cost_mid)} nats")}


def edge_kind_costs(run, edges):
    """Mean cost of the non-none ops on `edges`, every cell and step of the first phase (Remark 2's comparison)."""
    import numpy as np

    if not edges:
        return float("nan")
    steps = run.get("steps/phase") == search_phase(run)
    ops = run.get("steps/edge_op")[steps][:, :, edges]
    cost = run.get("steps/edge_cost")[steps][:, :, edges]
    live = (ops >= 0) & (ops != run.op_index("none")) | (ops == -1)
    return float(cost[live].mean()) if live.any() else float("nan")


def fitted_gate(run):
    """P3's premise (Sec 5.4): the theta half is fitted and over-confident on held-out data. Train accuracy: mean of
    the last epoch's theta batches; held-out accuracy: the last epoch's search batches (/search/split_mean)."""
    phase, epoch = run.get("steps/phase"), run.get("steps/epoch")
    search = phase == search_phase(run)
    last = search & (epoch == epoch[search].max())
    train = float(run.get("steps/accuracy")[last].mean())
    split = run.get("search/split_mean")[-1]                  # (subset, quantity): correct, wrong, all x L, H, C, n
    held_out = float(split[0, 3] / split[2, 3]) if split[2, 3] > 0 else float("nan")
    entropy = float(run.get("summary/split_mean")[-1, 0, 1])
    gate = train >= FITTED_ACCURACY and train - held_out >= GENERALISATION_GAP
    return gate, train, held_out, entropy


def search_cost_trend(run):
    """Slope t of the per-epoch mean search-batch cost sum (all cells and edges) against the epoch, from epoch 0."""
    import numpy as np

    steps = run.get("search/batch_step")
    epochs = run.get("steps/epoch")[steps]
    total = run.get("search/batch_edge_cost").sum(axis=(1, 2))
    keys = sorted(set(epochs.tolist()))
    means = np.array([total[epochs == k].mean() for k in keys])
    return slope_t(np.array(keys, float), means)[2], means


def rising_none(run):
    """(edges whose p(none) rose over the second half of the search and ends above 1/|ops|, live edges)."""
    none = run.get("search/none_prob")
    live = run.get("search/topology")[-1] >= 0
    half = none[len(none) // 2]
    rising = (none[-1] > half) & (none[-1] > 1.0 / len(run.ops)) & live
    return int(rising.sum()), int(live.sum())


def all_none_at_end(run):
    topology = run.get("search/topology")[-1]
    live = topology >= 0
    none = run.op_index("none")
    return int((topology[live] == none).sum()), int(live.sum())


def p3_seed(bi, single):
    """P3 on one seed: the bi-level run and its single-level control (same seed: same init, same theta images).
    Criterion (Sec 3: 'no edge can recover from the initial drop'; Fig 10a: the cost sum rises): bi-level ends with
    none most likely on every edge and its search-set cost sum has a rising trend (t > 2 from epoch 0), while the
    control does not end with every edge dropped. Opposite: bi-level keeps at least as many edges as the control."""
    gate, train, held_out, entropy = fitted_gate(bi)
    t, _ = search_cost_trend(bi)
    bi_none, live = all_none_at_end(bi)
    single_none, _ = all_none_at_end(single) if single is not None else (None, live)
    holds = bi_none == live and t > 2 and single is not None and single_none < live
    opposite = single is not None and bi_none <= single_none and bi_none < live
    return {"run": bi, "control": single, "gate": gate,
            "gate_text": (f"train acc {train:.3f}, search-half acc {held_out:.3f} (gap {train - held_out:+.3f}), "
                          f"entropy of correct train samples {entropy:.3f}"),
            "holds": holds, "opposite": opposite,
            "text": (f"bi-level: {bi_none}/{live} edges end with none, p(none) rising over the second half on "
                     f"{rising_none(bi)[0]}/{live}, search-cost slope t {t:.1f}; single-level control: "
                     + (f"{single_none}/{live} end with none, p(none) rising on {rising_none(single)[0]}/{live}"
                        if single is not None else "missing"))}


# ---------------------------------------------------------------------------------------------------------------------
# Verdicts over seeds


def pattern_verdict(seeds):
    """Reproduced: the premise holds in >= 3 seeds and the pattern in every one of them. Premise absent: the premise
    fails in most seeds. Refuted: most seeds with the premise show the opposite. Otherwise not reproduced."""
    gated = [s for s in seeds if s["gate"]]
    if len(gated) * 2 < len(seeds) or not gated:
        return PREMISE_ABSENT
    if len(gated) >= MIN_SEEDS and all(s["holds"] for s in gated):
        return REPRODUCED
    if sum(s["opposite"] for s in gated) * 2 > len(gated):
        return REFUTED
    return NOT_REPRODUCED


def seed_text(s):
    state = "premise absent" if not s["gate"] else ("holds" if s["holds"] else "does not hold")
    return f"seed {s['run'].seed}: {state} ({s['gate_text']}; {s['text']})"


def pattern_claim(number, statement, criterion, seeds, experiments):
    verdict = pattern_verdict(seeds)
    gated = sum(s["gate"] for s in seeds)
    measured = (f"premise in {gated} of {len(seeds)} seeds, pattern in "
                f"{sum(s['holds'] for s in seeds if s['gate'])} of them. " + "; ".join(seed_text(s) for s in seeds))
    runs = [s["run"] for s in seeds] + [s["control"] for s in seeds if s.get("control") is not None]
    return claim(number, statement, criterion, measured, verdict, runs, experiments)


def claim_p1(runs):
    statement = ("P1 growing tendency (Sec 3): single-level search is not a pruning process: all edges are dropped "
                 "(none most likely) in the beginning, then some recover.")
    criterion = (f"{P1_EXPERIMENT}, per seed: every live edge has none as its most likely op at some epoch in the "
                 f"first third and at least one input edge ends with another op after its drop. Premise (Sec 5.2, "
                 f"Remark 1): the non-none cost at initialisation > 0 (its first {INIT_BATCHES} batches, one-sided "
                 f"p < {GATE_P}) and, in the search, positive for at least one epoch (5-batch moving mean); for "
                 f"DSNAS also none's alpha pulled up by the costs more than the alpha optimiser's L2 decay pulls it "
                 f"down over the first epoch (p(none) x mean reward > weight_decay x alpha: under Adam a none whose "
                 f"mean gradient is the decay falls fastest of all ops). "
                 f"Reproduced when the premise holds in >= {MIN_SEEDS} seeds and P1 in each; refuted when most seeds "
                 f"with the premise drop no edge in the first third")
    group = runs.get(P1_EXPERIMENT, [])
    if not group:
        return no_data("P1", statement, criterion, [P1_EXPERIMENT])
    return pattern_claim("P1", statement, criterion, [p1_seed(r) for r in group], [P1_EXPERIMENT])


def claim_p2(runs):
    statement = ("P2 width preference (Sec 3, Remark 3): intermediate edges barely recover from the initial drop, "
                 "unless the search space is extremely small.")
    criterion = (f"{P1_EXPERIMENT}, per seed: the intermediate edges' mean recovery epoch (never = the number of "
                 f"epochs; never dropped = 0) is later than the input edges' and no larger share of them ends with "
                 f"another op than none. Premise: >= 4 intermediate nodes or >= 4 cells, and positive init costs. Refuted when most seeds with the premise recover intermediate edges earlier and no less often")
    group = runs.get(P1_EXPERIMENT, [])
    if not group:
        return no_data("P2", statement, criterion, [P1_EXPERIMENT])
    return pattern_claim("P2", statement, criterion, [p2_seed(r) for r in group], [P1_EXPERIMENT])


def p3_pairs(runs):
    """(bi-level run, its single-level control or None) per seed of the P3 experiment."""
    group = runs.get(P3_EXPERIMENT, [])
    level = {r.id: r.config["phases"][search_phase(r)].get("level") for r in group}
    bi = [r for r in group if level[r.id] == "bi"]
    single = {r.seed: r for r in group if level[r.id] == "single"}
    return [(r, single.get(r.seed)) for r in sorted(bi, key=lambda r: r.seed)]


def claim_p3(runs):
    statement = ("P3 catastrophic failure (Sec 3, Remark 4): with bi-level optimisation no edge recovers from the "
                 "initial drop, while single-level search on the same data does recover edges.")
    criterion = (f"{P3_EXPERIMENT}, per seed: bi-level DARTS ends with none most likely on every edge and its "
                 f"search-set cost sum rises (slope t > 2 over the epochs from epoch 0), and the single-level control "
                 f"(same seed, init and theta images) does not end with every edge dropped. Premise (Sec 5.4): the "
                 f"theta half is fitted (last-epoch train accuracy >= {FITTED_ACCURACY}) with a generalisation gap "
                 f"(train − search-half accuracy >= {GENERALISATION_GAP}). Refuted when most seeds with the premise "
                 f"keep at least as many edges bi-level as single-level")
    pairs = p3_pairs(runs)
    if not pairs:
        return no_data("P3", statement, criterion, [P3_EXPERIMENT])
    return pattern_claim("P3", statement, criterion, [p3_seed(b, s) for b, s in pairs], [P3_EXPERIMENT])


PATTERNS = [claim_p1, claim_p2, claim_p3]


# ---------------------------------------------------------------------------------------------------------------------
# The regime table: what each run reached, for the premises


def regime_row(run):
    """What a run reached: train accuracy (last epoch), held-out accuracy (search half, else the last eval pass),
    entropy of correct train samples, and how long the init costs stayed positive."""
    epoch = run.get("steps/epoch")
    phase = run.get("steps/phase")
    last = (phase == phase.max()) & (epoch == epoch[phase == phase.max()].max())
    train = float(run.get("steps/accuracy")[last].mean())
    held_out = float("nan")
    if run.has("search/split_mean") and run.get("search/split_mean").size and run.get("search/split_mean")[-1, 2, 3] > 0:
        split = run.get("search/split_mean")[-1]
        held_out = float(split[0, 3] / split[2, 3])
    elif run.has("eval/accuracy") and run.get("eval/accuracy").size:
        held_out = float(run.get("eval/accuracy")[-1])
    entropy = float(run.get("summary/split_mean")[-1, 0, 1]) if run.has("summary/split_mean") else float("nan")
    span = positive_span(non_none_costs_per_batch(run, search_phase(run)))
    return {"train": train, "held_out": held_out, "entropy": entropy, "positive_batches": span,
            "batches": int((phase == search_phase(run)).sum())}


def regime_setting(run):
    data, net = run.config["data"], run.config["network"]
    phase = run.config["phases"][search_phase(run)]
    theta = (phase.get("optimizer") or {}).get("lr")
    alpha = (phase.get("alpha_optimizer") or {}).get("lr")
    return (f"{phase.get('algorithm', phase['kind'])} {phase.get('level', '')}".strip(),
            f"{net['cells']}×{'original' if net['steps'] == 4 else 'minimal' if net['steps'] == 2 else net['steps']} "
            f"C={net['channels']}",
            f"{data.get('train_size') or 'all'}{' aug' if data.get('augment') else ''}",
            phase_length(phase), theta, alpha)


def seed_table(runs):
    """Rows (pattern, seed, premise text, premise holds, pattern holds, measured text) for the report's table."""
    rows = []
    for run in runs.get(P1_EXPERIMENT, []):
        for name, judge in (("P1", p1_seed), ("P2", p2_seed)):
            s = judge(run)
            rows.append((name, run.seed, s["gate_text"], s["gate"], s["holds"], s["text"], run.id))
    for bi, single in p3_pairs(runs):
        s = p3_seed(bi, single)
        rows.append(("P3", bi.seed, s["gate_text"], s["gate"], s["holds"], s["text"],
                     bi.id + (f" / {single.id}" if single is not None else "")))
    return rows


def regime_table(runs):
    """Rows for every run of the pattern experiments and of any `paper-regime*` experiment."""
    rows = []
    for name in sorted(runs):
        if name in (P1_EXPERIMENT, P3_EXPERIMENT) or (name.startswith("paper-regime") and name != INIT_REGIME):
            for run in runs[name]:
                rows.append((name, run, regime_setting(run), regime_row(run)))
    return rows


def init_regime_table(runs):
    """Rows per (cell, cells, channels) of the init-probe regime search: the per-seed mean non-none cost and C_Z
    at initialisation (the P1/P2 premise), with L and H beside them."""
    import numpy as np

    groups = {}
    for run in runs.get(INIT_REGIME, []):
        net = run.network
        key = (net["steps"], net["cells"], net["channels"])
        per = non_none_costs_per_batch(run, 0)
        phase = run.get("steps/phase") == 0
        groups.setdefault(key, []).append((float(per.mean()), float(run.get("steps/cost_Z")[phase].mean()),
                                           float(run.get("steps/loss")[phase].mean()),
                                           float(run.get("steps/entropy")[phase].mean())))
    rows = []
    for (steps, cells, channels), values in sorted(groups.items()):
        v = np.array(values)
        rows.append({"cell": "original" if steps == 4 else "minimal" if steps == 2 else f"steps {steps}",
                     "cells": cells, "channels": channels, "seeds": len(v), "costs": v[:, 0], "cost_Z": v[:, 1],
                     "loss": float(v[:, 2].mean()), "entropy": float(v[:, 3].mean())})
    return rows


UNIVERSAL_FACTORS = {  # Sec 3: "robustly hold with variation of random seeds, learning rate, the number of cells, the
    # number of nodes in a cell, and the number of operation candidates at each edge"
    "seed": lambda r: r.seed,
    "alpha learning rate": lambda r: (r.config["phases"][search_phase(r)].get("alpha_optimizer") or {}).get("lr"),
    "cells": lambda r: r.network["cells"],
    "nodes per cell": lambda r: r.network["steps"],
    "op candidates": lambda r: len(r.ops),
}


def claim_universality(runs):
    """Sec 3: P1-P3 hold over seeds, learning rate, cells, nodes and ops. Judged per pattern over the factors its
    runs vary; a factor no pattern varies is not checked, and the claim then has no data for it."""
    statement = ("Sec 3: P1-P3 hold robustly over random seeds, learning rate, the number of cells, of nodes in a "
                 "cell and of op candidates.")
    criterion = (f"per pattern, over its runs ({P1_EXPERIMENT}, {P3_EXPERIMENT}): for every factor the runs vary, the "
                 "pattern holds (premise present) at every value. Reproduced when every factor is varied for every "
                 "pattern and it holds; refuted when some pattern is refuted (claims 16-18); no data while only "
                 "some factors are varied and nothing is refuted")
    judged = {"P1": [p1_seed(r) for r in runs.get(P1_EXPERIMENT, [])],
              "P2": [p2_seed(r) for r in runs.get(P1_EXPERIMENT, [])],
              "P3": [p3_seed(b, s) for b, s in p3_pairs(runs)]}
    if not any(judged.values()):
        return claim("S3", statement, criterion, f"no result files of {P1_EXPERIMENT}, {P3_EXPERIMENT}", NO_DATA,
                     [], [P1_EXPERIMENT, P3_EXPERIMENT])
    parts, complete, refuted, used = [], True, False, []
    for pattern, seeds in judged.items():
        if not seeds:
            complete = False
            continue
        used += [s["run"] for s in seeds]
        refuted |= pattern_verdict(seeds) == REFUTED
        checked, missing = [], []
        for name, value in UNIVERSAL_FACTORS.items():
            values = {str(value(s["run"])) for s in seeds}
            if len(values) < 2:
                missing.append(name)
                continue
            gated = [s for s in seeds if s["gate"]]
            ok = all(s["holds"] for s in gated) and {str(value(s["run"])) for s in gated} == values
            checked.append(f"{name} ({len(values)} values: {'holds at each' if ok else 'not at each'})")
            complete &= ok
        complete &= not missing
        parts.append(f"{pattern}: varied " + (", ".join(checked) or "nothing") + "; not varied: "
                     + (", ".join(missing) or "none"))
    verdict = REFUTED if refuted else (REPRODUCED if complete else NO_DATA)
    return claim("S3", statement, criterion, "; ".join(parts), verdict, used, [P1_EXPERIMENT, P3_EXPERIMENT])
