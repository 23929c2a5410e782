#!/usr/bin/env python3
"""REPRODUCTION.md from the result files of the report tier (`make reproduce`, experiments/paper/*.yaml).

Reads only WiringLab result files (layout: docs/results-format.md) under --results (one folder per experiment,
`results/<experiment name>/<run id>.h5`) and writes --out (Markdown) and PNG figures into --figures. For every
checkable claim of the paper (reference-spec section 10) it states the paper's claim, the criterion, the measured
value (with its standard error or residual) and a verdict computed from the criterion:

  reproduced       the criterion holds;
  not reproduced   it does not hold, but the data do not show the opposite either;
  refuted          the data show the opposite of the claim (stated per claim);
  no data          none of the result files the claim needs is there (the report says which experiment to run).

Every number in the report comes from the files; the only typed text is the paper's statements and the criteria.
Exit status 0 when the report was written (whatever the verdicts), 2 for a user error (one line on stderr).
Runs under Debian's /usr/bin/python3 with python3-h5py, python3-numpy and python3-matplotlib.
"""

import argparse
import glob
import json
import math
import os
import sys

PROG = "reproduce_report.py"
PREFIX = "paper-"                     # experiment names of the report tier
LN10 = math.log(10.0)


# The tools share one reader: the seal, the file's kind and format_version, strings and edge labels.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wiringlab_files import (FORMAT, UsageError, check_format_version, open_checked, parse_edge, phase_length,  # noqa: E402
                             run_config, text)
from phenomena import PATTERNS, claim_universality, fitted_gate, non_none_costs_per_batch, init_regime_table, regime_table, seed_table  # noqa: E402
from report_common import (NO_DATA, NOT_REPRODUCED, PREMISE_ABSENT, REFUTED, REPRODUCED, VERDICTS, claim,  # noqa: E402
                           fmt, mean_sem, no_data, p_above_zero, p_text, pm, slope_t)


class Run:
    """One result file: its attributes at once, its datasets on first use (cached)."""

    def __init__(self, path):
        self.path = path
        self._cache = {}
        self._file, _ = open_checked(path, formats=(FORMAT,))
        f = self._file
        check_format_version(path, f, PROG)
        self.id = text(f.attrs["run_id"])
        self.name = text(f.attrs.get("run_name", self.id))
        self.experiment = text(f.attrs["experiment"])
        self.index = int(f.attrs.get("run_index", 0))
        self.seed = int(f.attrs.get("seed", 0))
        self.precision = text(f.attrs.get("precision", "float32"))
        self.code_version = text(f.attrs.get("code_version", "?"))
        self.seconds = float(f.attrs["compute_seconds"]) if "compute_seconds" in f.attrs else None
        self.config = run_config(f)  # the manifest's key paths, older files' Swift names converted
        self.varying = {v["key"]: v for v in json.loads(text(f.attrs.get("varying", "[]")))}
        self.ops = [text(s) for s in f["ops"][()]]
        self.edges = [text(s) for s in f["edges"][()]]
        self.phases = [text(s) for s in f["phases"][()]]
        # Edge "e4:2->3": source node 2 feeds node 3. Sources 0 and 1 are the cell inputs.
        self.edge_source = [parse_edge(e)[0] for e in self.edges]

    def has(self, name):
        return name in self._file

    def get(self, name):
        import numpy as np

        if name not in self._cache:
            if name not in self._file:
                raise UsageError(f"{self.path}: missing dataset /{name} (a damaged or older result file; "
                                 f"run its experiment again)")
            self._cache[name] = np.asarray(self._file[name][()])
        return self._cache[name]

    def label(self, key):
        """The value (or label) of a varying key, as text."""
        v = self.varying.get(key)
        if v is None:
            return None
        return v["label"] if v.get("label") else json.dumps(v["value"])

    @property
    def network(self):
        return self.config["network"]

    def op_index(self, name):
        return self.ops.index(name) if name in self.ops else None

    def phase_kind(self, p):
        return self.config["phases"][p]["kind"]

    def one_hot_steps(self):
        """Mask of steps whose every live edge ran one op (not a mixture)."""
        return (self.get("steps/edge_op") >= -2).all(axis=(1, 2)) & ~(self.get("steps/edge_op") == -1).any(axis=(1, 2))

    def epoch_means(self, values, phase):
        """Per-epoch means of per-step `values` over the steps of `phase` (epochs in order)."""
        import numpy as np

        p, e = self.get("steps/phase"), self.get("steps/epoch")
        epochs = sorted(set(e[p == phase].tolist()))
        return np.array(epochs), np.array([values[(p == phase) & (e == k)].mean(axis=0) for k in epochs])


def load_runs(results):
    if not os.path.isdir(results):
        raise UsageError(f"{results}: no such folder (run `make reproduce` first, or pass --results <folder>)")
    runs = {}
    for path in sorted(glob.glob(os.path.join(results, f"{PREFIX}*", "*.h5"))):
        run = Run(path)
        runs.setdefault(run.experiment, []).append(run)
    for group in runs.values():
        group.sort(key=lambda r: r.index)
    return runs


# ---------------------------------------------------------------------------------------------------------------------
# Residuals computed here from the recorded edge costs (independently of the runner's own /checks)


REL_TOLERANCE, ABS_TOLERANCE = 1e-3, 1e-6      # reference-spec section 10: "tolerance 1e-3 rel + 1e-6"


class Residuals:
    """Per-batch residuals of an identity: relative value, the scale it is relative to (Σ|C| of the cell), where
    each batch comes from (run id, step) and the ops its cell ran, so that a batch beyond the tolerance can be
    listed and described from the data."""

    def __init__(self, rel=None, scale=None, where=None, ops=None, op_names=None):
        import numpy as np

        self.rel = np.asarray(rel if rel is not None else [], float)
        self.scale = np.asarray(scale if scale is not None else np.ones_like(self.rel), float)
        self.where = list(where) if where is not None else [("?", -1)] * self.rel.size
        self.ops = [tuple(o) for o in ops] if ops is not None else [()] * self.rel.size
        self.op_names = op_names or []

    @property
    def size(self):
        return self.rel.size

    @property
    def absolute(self):
        return self.rel * self.scale

    def exceeding(self):
        """Batches beyond |residual| <= 1e-3 * scale + 1e-6 (every batch is checked, not a percentile)."""
        return self.absolute > REL_TOLERANCE * self.scale + ABS_TOLERANCE

    @staticmethod
    def concat(parts):
        import numpy as np

        parts = [p for p in parts if p.size]
        if not parts:
            return Residuals()
        out = Residuals(np.concatenate([p.rel for p in parts]), np.concatenate([p.scale for p in parts]))
        out.where = [w for p in parts for w in p.where]
        out.ops = [o for p in parts for o in p.ops]
        out.op_names = next((p.op_names for p in parts if p.op_names), [])
        return out


def residuals_of(run, steps, rel, scale, cell=-1):
    """Residuals of the `steps` (a mask) of `run`, with the ops the cell ran on each."""
    import numpy as np

    index = np.flatnonzero(steps)
    ops = run.get("steps/edge_op")[index, cell, :]
    return Residuals(rel, scale, [(run.id, int(i)) for i in index], ops, run.ops)


def last_cell_thm2(run, steps, exclude_skip_intermediate=False):
    """Theorem 2 residuals of the `steps` (a mask): |Σ last-cell edge costs − cost_Z| / Σ|C|; optionally leaving
    out skip ops on intermediate edges."""
    import numpy as np

    cost = run.get("steps/edge_cost")[steps, -1, :]                          # (S, E)
    ops = run.get("steps/edge_op")[steps, -1, :]
    z = run.get("steps/cost_Z")[steps]
    skip = run.op_index("skip_connect")
    if exclude_skip_intermediate and skip is not None:
        intermediate = np.array([s >= 2 for s in run.edge_source])
        cost = np.where((ops == skip) & intermediate[None, :], 0.0, cost)
    scale = np.abs(run.get("steps/edge_cost")[steps, -1, :]).sum(axis=1)
    return residuals_of(run, steps, np.abs(cost.sum(axis=1) - z) / np.maximum(scale, 1e-300), scale)


def skip_on_intermediate(run, cell=-1):
    """Per step: whether some intermediate edge of `cell` ran skip_connect."""
    import numpy as np

    ops = run.get("steps/edge_op")[:, cell, :]
    skip = run.op_index("skip_connect")
    if skip is None:
        return np.zeros(ops.shape[0], bool)
    intermediate = np.array([s >= 2 for s in run.edge_source])
    return ((ops == skip) & intermediate[None, :]).any(axis=1)


def identity_setting(run):
    """Whether Theorems 1-2 apply: batch norm in training mode after each op, eps 1e-5, no classifier bias."""
    net = run.network
    return (net["norm"]["kind"] == "batch" and net.get("stacking", "relu-conv-norm") == "relu-conv-norm"
            and not net.get("classifier_bias", False) and abs(net["norm"]["eps"] - 1e-5) < 1e-12)


# ---------------------------------------------------------------------------------------------------------------------
# Claims (reference-spec section 10). Each returns a dict: number, claim, criterion, measured, verdict, runs.


def claim1(runs):
    import numpy as np

    statement = "The none op has cost exactly 0."
    criterion = "every recorded cost of a none op (sampled one-hot, or the none term of a mixture) is exactly ±0"
    used, count, largest = [], 0, 0.0
    for group in runs.values():
        for run in group:
            none = run.op_index("none")
            if none is None:
                continue
            mask = run.get("steps/edge_op") == none
            values = run.get("steps/edge_cost")[mask]
            if run.has("steps/op_cost"):
                mixture = run.get("steps/edge_op") == -1
                values = np.concatenate([values, run.get("steps/op_cost")[..., none][mixture]])
            if values.size:
                used.append(run)
                count += values.size
                largest = max(largest, float(np.abs(values).max()))
    if not used:
        return no_data(1, statement, criterion, ["any"])
    verdict = REPRODUCED if largest == 0.0 else REFUTED
    return claim(1, statement, criterion, f"max |C(none)| = {fmt(largest)} over {count} costs in {len(used)} runs",
                 verdict, used, sorted({r.experiment for r in used}))


def claim2(runs):
    import numpy as np

    statement = "C_b = L_b − H_b for every sample; the rows of Fig 10b satisfy C = L − H."
    criterion = ("max over samples |C_b − (L_b − H_b)| ≤ 1e-6 nats, C_b computed from the logits independently "
                 "of L_b and H_b; and the same for the per-epoch correct/wrong/all means")
    used, worst, count = [], 0.0, 0
    for run in runs.get("paper-fig10b", []) + runs.get("paper-fig21", []):
        if run.has("samples/cost"):
            d = run.get("samples/cost") - (run.get("samples/loss") - run.get("samples/entropy"))
            worst, count = max(worst, float(np.abs(d).max())), count + d.size
        split = run.get("summary/split_mean")
        d = split[..., 2] - (split[..., 0] - split[..., 1])
        worst = max(worst, float(np.nanmax(np.abs(d))))
        used.append(run)
    if not used:
        return no_data(2, statement, criterion, ["paper-fig10b"])
    verdict = REPRODUCED if worst <= 1e-6 else REFUTED
    return claim(2, statement, criterion, f"max |C − (L − H)| = {fmt(worst)} nats ({count} samples and the split means)",
                 verdict, used, ["paper-fig10b", "paper-fig21"])


def residual_verdict(values, tolerance=REL_TOLERANCE):
    """Reproduced when every batch is within the spec's tolerance (1e-3 rel + 1e-6 abs); not reproduced when some
    batch exceeds it (each is listed in the report's residual section with what describes it); refuted when even
    the median is 10x beyond the relative tolerance."""
    import numpy as np

    if values.size == 0:
        return NO_DATA
    if not values.exceeding().any():
        return REPRODUCED
    return REFUTED if np.median(values.rel) > 10 * tolerance else NOT_REPRODUCED


def residual_text(values, what="steps"):
    import numpy as np

    over = int(values.exceeding().sum())
    return (f"rel. residual median {fmt(float(np.median(values.rel)))}, max {fmt(float(values.rel.max()))} over "
            f"{values.size} {what}; {over} beyond 1e-3 rel + 1e-6 abs" + (" (listed below)" if over else ""))


EXCEEDING = {}       # claim number -> Residuals of its batches beyond tolerance, for the residual section


def describe_exceeding(number, values):
    """Text rows for the batches of `values` beyond tolerance: where, the residual, and what sets them apart, computed
    from the data: their Σ|C| against the median batch's (a small scale inflates a relative residual), and the
    (edge, op) most over-represented among them against its share of all batches."""
    import numpy as np

    mask = values.exceeding()
    if not mask.any():
        return []
    median_scale = float(np.median(values.scale))
    rows = []
    share = {}
    for ops in values.ops:
        for e, o in enumerate(ops):
            share[(e, o)] = share.get((e, o), 0) + 1
    over = {}
    for i in np.flatnonzero(mask):
        for e, o in enumerate(values.ops[i]):
            over[(e, o)] = over.get((e, o), 0) + 1
    n_over = int(mask.sum())
    lift = sorted(over, key=lambda k: over[k] / n_over - share[k] / values.size, reverse=True)
    names = values.op_names
    if lift:
        e, o = lift[0]
        op = names[o] if 0 <= o < len(names) else ("mixture" if o == -1 else "deleted")
        rows.append(f"claim {number}: {n_over} of {values.size} batches beyond tolerance; their median Σ|C| is "
                    f"{fmt(float(np.median(values.scale[mask])))} against {fmt(median_scale)} for all batches; "
                    f"{op} on e{e} in {over[(e, o)]} of them ({100 * over[(e, o)] / n_over:.0f}%) against "
                    f"{100 * share[(e, o)] / values.size:.0f}% of all batches")
    for i in np.flatnonzero(mask):
        run_id, step = values.where[i]
        ops = ", ".join(names[o] if 0 <= o < len(names) else str(o) for o in values.ops[i])
        rows.append(f"claim {number}: `{run_id}` step {step}: rel {fmt(float(values.rel[i]))}, abs "
                    f"{fmt(float(values.absolute[i]))} nats, Σ|C| {fmt(float(values.scale[i]))}; ops {ops}")
    return rows


def claim3(runs):
    import numpy as np

    statement = "Theorem 2: the sum of all edge costs of the last cell = L − H (batch means) = mean_b C_b."
    criterion = ("|Σ_e C(e) − cost_Z| ≤ 1e-3 Σ_e |C(e)| + 1e-6 nats (the spec's tolerance) on every training batch "
                 "with batch norm (eps 1e-5, training mode) and no skip on an intermediate edge of the last cell; "
                 "refuted if the median relative residual exceeds 1e-2")
    values, used = [], []
    for group in runs.values():
        for run in group:
            if not identity_setting(run):
                continue
            steps = run.one_hot_steps() & ~skip_on_intermediate(run)
            if steps.any():
                values.append(last_cell_thm2(run, steps))
                used.append(run)
    if not used:
        return no_data("3", statement, criterion, ["paper-fig21"])
    values = Residuals.concat(values)
    EXCEEDING["3"] = values
    return claim("3", statement, criterion, residual_text(values, "batches"), residual_verdict(values), used,
                 sorted({r.experiment for r in used}))


def claim3p(runs):
    import numpy as np

    statement = "With skip on e4: Σ_{e0..e3} C = L − H, and e4's cost comes on top."
    criterion = ("one minimal cell, every batch with skip on e4: |Σ_{e≠e4} C(e) − cost_Z| ≤ 1e-3 Σ_e |C(e)| + 1e-6, while "
                 "the full sum misses cost_Z by C(e4) (its median residual at least 10x larger)")
    values, full, used = [], [], []
    for group in runs.values():
        for run in group:
            if not identity_setting(run) or len(run.edges) != 5:
                continue
            steps = run.one_hot_steps() & skip_on_intermediate(run)
            if steps.any():
                values.append(last_cell_thm2(run, steps, exclude_skip_intermediate=True))
                full.append(last_cell_thm2(run, steps))
                used.append(run)
    if not used:
        return no_data("3'", statement, criterion, ["paper-fig4"])
    values, full = Residuals.concat(values), Residuals.concat(full)
    EXCEEDING["3'"] = values
    verdict = residual_verdict(values)
    if verdict == REPRODUCED and not np.median(full.rel) >= 10 * np.median(values.rel):
        verdict = NOT_REPRODUCED
    return claim("3'", statement, criterion,
                 residual_text(values, "batches") + f"; with C(e4) kept: median {fmt(float(np.median(full.rel)))}",
                 verdict, used, sorted({r.experiment for r in used}))


def claim3pp(runs):
    import numpy as np

    statement = "DARTS analogue: Σ_e Σ_op W·C over the last cell = L − H on the search batch."
    criterion = "bi-level DARTS, e4 without skip: |Σ_e C(e) − cost_Z| ≤ 1e-3 Σ_e |C(e)| + 1e-6 on every search batch"
    values, used = [], []
    for run in runs.get("paper-fig10b", []):
        if run.has("search/batch_edge_cost"):
            cost = run.get("search/batch_edge_cost")[:, -1, :]
            z = run.get("search/batch_cost_Z")
            scale = np.abs(cost).sum(axis=1)
            steps = run.get("search/batch_step")
            values.append(Residuals(np.abs(cost.sum(axis=1) - z) / scale, scale,
                                    [(run.id, int(i)) for i in steps], run.get("steps/edge_op")[steps, -1, :], run.ops))
            used.append(run)
    if not used:
        return no_data("3''", statement, criterion, ["paper-fig10b"])
    values = Residuals.concat(values)
    EXCEEDING["3''"] = values
    return claim("3''", statement, criterion, residual_text(values, "search batches"),
                 residual_verdict(values), used, ["paper-fig10b"])


def claim4(runs):
    import numpy as np

    statement = "Corollary 1.2: per batch, the sum over all edges of any non-last cell is 0 (Σ − C(e4) with skip on e4)."
    criterion = ("minimal cells, every batch and non-last cell with Σ_e |C(e)| > 1e-6 nats: "
                 "|Σ_e C(e) − [e4 = skip] C(e4)| ≤ 1e-3 Σ_e |C(e)| + 1e-6 on every one")
    values, used = [], []
    for name in ("paper-fig19", "paper-fig15"):
        for run in runs.get(name, []):
            if not identity_setting(run) or len(run.edges) != 5 or run.network["cells"] < 2:
                continue
            cost = run.get("steps/edge_cost")[:, :-1, :]                      # (S, L-1, E)
            ops = run.get("steps/edge_op")[:, :-1, :]
            skip = run.op_index("skip_connect")
            shift = np.where(ops[..., 4] == skip, cost[..., 4], 0.0) if skip is not None else 0.0
            scale = np.abs(cost).sum(axis=2)
            live = scale > 1e-6
            step, cell = np.nonzero(live)
            values.append(Residuals((np.abs(cost.sum(axis=2) - shift) / np.maximum(scale, 1e-300))[live], scale[live],
                                    [(run.id, int(i)) for i in step], ops[step, cell, :], run.ops))
            used.append(run)
    if not used:
        return no_data(4, statement, criterion, ["paper-fig19", "paper-fig15"])
    values = Residuals.concat(values)
    EXCEEDING["4"] = values
    return claim(4, statement, criterion, residual_text(values, "(batch, cell) pairs"),
                 residual_verdict(values), used, sorted({r.experiment for r in used}))


def node_residuals(run):
    """Theorem 1 at node level, one cell: |node_cost_via_edges(node 2)| / Σ_e |C(e)| on the batches where e4 ran an
    op ending in the norm (not none, not skip)."""
    import numpy as np

    ops = run.get("steps/edge_op")[:, 0, 4]
    terminated = (ops >= 0) & (ops != run.op_index("none")) & (ops != run.op_index("skip_connect"))
    via = run.get("steps/node_cost_via_edges")[terminated, 0, 0]
    scale = np.abs(run.get("steps/edge_cost")[terminated, 0, :]).sum(axis=1)
    return residuals_of(run, terminated, np.abs(via) / np.maximum(scale, 1e-300), scale, cell=0)


def claim5(runs):
    statement = "Theorem 1 at node level: the part of node 2's cost arriving through e4 is 0 when e4 ends in batch norm."
    criterion = ("one-cell runs, batches where e4 ran an op other than none and skip: "
                 "|node_cost_via_edges(node 2)| ≤ 1e-3 Σ_e |C(e)| + 1e-6 on every one")
    values, used = [], []
    for group in runs.values():
        for run in group:
            if not identity_setting(run) or len(run.edges) != 5 or run.network["cells"] != 1:
                continue
            residuals = node_residuals(run)
            if residuals.size:
                values.append(residuals)
                used.append(run)
    if not used:
        return no_data(5, statement, criterion, ["paper-fig4"])
    values = Residuals.concat(values)
    EXCEEDING["5"] = values
    return claim(5, statement, criterion, residual_text(values, "batches"), residual_verdict(values), used,
                 sorted({r.experiment for r in used}))


def claim6(runs):
    import numpy as np

    statement = "Modified cell (multiplier 1, e0 and e2 deleted): C(e1) ≈ 0 when e4 is not skip; C(e1) = C(e4) when it is."
    criterion = ("paper-fig9b, batches with e1 not none: e4 not skip: |C(e1)| / Σ_e |C(e)| ≤ 1e-3; e4 skip: "
                 "|C(e1) − C(e4)| ≤ 1e-3 Σ_e |C(e)| + 1e-6, on every batch")
    plain, skipped, used, others = [], [], [], []
    for run in runs.get("paper-fig9b", []):
        ops = run.get("steps/edge_op")[:, 0, :]
        cost = run.get("steps/edge_cost")[:, 0, :]
        scale = np.abs(cost).sum(axis=1)
        live = (ops[:, 1] != run.op_index("none")) & (scale > 0)
        skip = ops[:, 4] == run.op_index("skip_connect")
        plain.append(residuals_of(run, live & ~skip, np.abs(cost[live & ~skip, 1]) / scale[live & ~skip],
                                  scale[live & ~skip], cell=0))
        skipped.append(residuals_of(run, live & skip, np.abs(cost[live & skip, 1] - cost[live & skip, 4])
                                    / scale[live & skip], scale[live & skip], cell=0))
        others.append(np.abs(cost[live & ~skip][:, [3, 4]]).ravel())
        used.append(run)
    if not used:
        return no_data(6, statement, criterion, ["paper-fig9b"])
    plain, skipped, others = Residuals.concat(plain), Residuals.concat(skipped), np.concatenate(others)
    both = Residuals.concat([plain, skipped])
    EXCEEDING["6"] = both
    measured = (f"e4 not skip: {residual_text(plain, 'batches')}; e4 skip: {residual_text(skipped, 'batches')}; "
                f"median |C| of e3, e4 {fmt(float(np.median(others)))} nats") if skipped.size else \
        f"e4 not skip: {residual_text(plain, 'batches')}"
    return claim(6, statement, criterion, measured, residual_verdict(both), used, ["paper-fig9b"])


CLAIM7_EXPECTED = {"float64": {1e-3: 1e-3, 1e-5: 1e-5, 1e-8: 8e-9}, "float32": {1e-3: 3e-3, 1e-5: 5e-5, 1e-8: 3e-7}}


def claim7(runs):
    import numpy as np

    statement = ("The residual of Theorems 1-2 scales with the batch-norm eps: rel ≈ 3e-3 / 5e-5 / 3e-7 in float32 "
                 "(float64: 1e-3 / 1e-5 / 8e-9) at eps 1e-3 / 1e-5 / 1e-8.")
    criterion = ("expected values: reference-spec section 10 row 7, measured by the spec's CPU re-implementation "
                 "(B=16, C=8, 16×16 random inputs), not by the paper's CIFAR-10 runs (the paper states no numbers). "
                 "paper-claim7-eps, median Theorem 2 residual per (precision, eps): in float64 it falls at least "
                 "10x per step of eps and lies within a factor 3 of the paper's value; in float32 it falls from "
                 "eps 1e-3 to 1e-5 (below that float32 rounding dominates). Refuted if it does not fall with eps")
    table, used = {}, []
    for run in runs.get("paper-claim7-eps", []):
        eps = run.network["norm"]["eps"]
        steps = run.one_hot_steps() & ~skip_on_intermediate(run)
        table[(run.precision, eps)] = float(np.median(last_cell_thm2(run, steps).rel))
        used.append(run)
    if not used:
        return no_data(7, statement, criterion, ["paper-claim7-eps"])
    epsilons = sorted({e for _, e in table}, reverse=True)
    parts = []
    for precision in ("float32", "float64"):
        row = [f"{e:g}: {fmt(table[(precision, e)])}" for e in epsilons if (precision, e) in table]
        parts.append(f"{precision} " + ", ".join(row))
    d = [table.get(("float64", e)) for e in (1e-3, 1e-5, 1e-8)]
    s = [table.get(("float32", e)) for e in (1e-3, 1e-5)]
    if None in d or None in s:
        return claim(7, statement, criterion, "; ".join(parts) + " (some settings missing)", NO_DATA, used,
                     ["paper-claim7-eps"])
    falls64 = d[0] > 10 * d[1] and d[1] > 10 * d[2]
    near64 = all(CLAIM7_EXPECTED["float64"][e] / 3 <= v <= 3 * CLAIM7_EXPECTED["float64"][e]
                 for e, v in zip((1e-3, 1e-5, 1e-8), d))
    falls32 = s[0] > s[1]
    if falls64 and near64 and falls32:
        verdict = REPRODUCED
    elif not (d[0] > d[1] and falls32):
        verdict = REFUTED
    else:
        verdict = NOT_REPRODUCED
    return claim(7, statement, criterion, "; ".join(parts), verdict, used, ["paper-claim7-eps"])


def claim8(runs):
    import numpy as np

    statement = ("Appx H: with affine-free instance norm everywhere all edge costs are 0 at init and after training "
                 "(logits ≈ 0, so L = ln 10).")
    criterion = ("instance norm, affine false: max |C(e)| over every batch ≤ 1e-6 nats and |mean L − ln 10| ≤ 1e-3; "
                 "refuted if the costs are as large as in a contrast run that learns (layer norm, same settings; its "
                 "train loss fall is reported: affine instance norm cannot learn here either, since a global pool "
                 "after a per-sample, per-channel normalisation leaves every image the same features)")
    target = [r for r in runs.get("paper-appxh-norm", [])
              if r.network["norm"]["kind"] == "instance" and not r.network["norm"]["affine"]]
    contrast = [r for r in runs.get("paper-appxh-norm", []) if r.network["norm"]["kind"] == "layer"]
    if not target:
        return no_data(8, statement, criterion, ["paper-appxh-norm"])
    largest = max(float(np.abs(r.get("steps/edge_cost")).max()) for r in target)
    loss_gap = max(float(abs(r.get("steps/loss").mean() - LN10)) for r in target)
    measured = f"affine-free: max |C| = {fmt(largest)} nats, |mean L − ln 10| = {fmt(loss_gap)}"
    contrast_largest = None
    if contrast:
        contrast_largest = max(float(np.abs(r.get("steps/edge_cost")).max()) for r in contrast)
        falls = []
        for r in contrast:
            p = phase_named(r, "train")
            if p is not None:
                _, loss = r.epoch_means(r.get("steps/loss"), p)
                falls.append(f"{loss[0]:.3f} → {loss[-1]:.3f}")
        measured += (f"; layer-norm contrast: max |C| = {fmt(contrast_largest)} nats, train loss "
                     + ", ".join(falls))
    if largest <= 1e-6 and loss_gap <= 1e-3:
        verdict = REPRODUCED
    elif contrast_largest is not None and largest >= 0.1 * contrast_largest:
        verdict = REFUTED
    else:
        verdict = NOT_REPRODUCED
    return claim(8, statement, criterion, measured, verdict, target + contrast, ["paper-appxh-norm"])


def claim9(runs):
    import numpy as np

    statement = "Results 3-6 are unchanged with affine batch norm and fail with eval-mode batch norm."
    criterion = ("affine batch norm in the cells (paper-claim9-affine): Theorem 2 within 1e-3 rel + 1e-6 abs on "
                 "every training batch; eval-mode passes (/eval/thm2_residual of any run): median ≥ 1e-2")
    affine = [r for r in runs.get("paper-claim9-affine", []) if r.network["norm"]["affine"]]
    evaluated = [r for g in runs.values() for r in g
                 if r.has("eval/thm2_residual") and identity_setting(r) and r.get("eval/thm2_residual").size]
    if not affine and not evaluated:
        return no_data(9, statement, criterion, ["paper-claim9-affine", "paper-fig21"])
    parts, ok, opposite = [], True, False
    if affine:
        values = Residuals.concat([last_cell_thm2(r, r.one_hot_steps() & ~skip_on_intermediate(r)) for r in affine])
        EXCEEDING["9"] = values
        parts.append("affine BN: " + residual_text(values, "batches"))
        ok &= residual_verdict(values) == REPRODUCED
        opposite |= np.median(values.rel) > 1e-2
    else:
        parts.append("affine BN: no run")
        ok = False
    if evaluated:
        values = np.concatenate([r.get("eval/thm2_residual") for r in evaluated])
        parts.append(f"eval-mode BN: residual median {fmt(float(np.median(values)))} over {values.size} passes")
        ok &= np.median(values) >= 1e-2
        opposite |= np.median(values) <= 1e-3
    else:
        parts.append("eval-mode BN: no eval pass")
        ok = False
    verdict = REPRODUCED if ok else (REFUTED if opposite else NOT_REPRODUCED)
    return claim(9, statement, criterion, "; ".join(parts), verdict, affine + evaluated,
                 sorted({r.experiment for r in affine + evaluated}))


def phase_named(run, name):
    return run.phases.index(name) if name in run.phases else None


def sign_test_p(positive, n):
    """One-sided exact sign test: P(at least `positive` of `n` signs positive | each sign a fair coin)."""
    return sum(math.comb(n, k) for k in range(positive, n + 1)) / 2 ** n if n else float("nan")


CLAIM10_SEEDS = 10


def claim10(runs):
    import numpy as np

    statement = "At initialisation E[C_Z] > 0 and the mean cost of non-none ops is positive (Fig 4a)."
    criterion = (f"paper-claim10-seeds: the seed (one initialisation) is the unit. Per seed, the mean over its "
                 f"init-probe batches of the non-none ops' cost; reproduced when >= {CLAIM10_SEEDS} seeds and the "
                 f"one-sided sign test of the per-seed means gives p < 0.05 (9 of 10 positive); refuted when the same "
                 f"test finds them negative. C_Z per seed reported beside it")
    group = runs.get("paper-claim10-seeds", [])
    if not group:
        return no_data(10, statement, criterion, ["paper-claim10-seeds"])
    means, z = [], []
    for run in group:
        p = phase_named(run, "init")
        means.append(float(non_none_costs_per_batch(run, p).mean()))
        z.append(float(run.get("steps/cost_Z")[run.get("steps/phase") == p].mean()))
    means, z = np.array(means), np.array(z)
    n, up = len(means), int((means > 0).sum())
    p_up, p_down = sign_test_p(up, n), sign_test_p(n - up, n)
    m, s, _ = mean_sem(means)
    if n >= CLAIM10_SEEDS and p_up < 0.05:
        verdict = REPRODUCED
    elif p_down < 0.05:
        verdict = REFUTED
    else:
        verdict = NOT_REPRODUCED
    measured = (f"{up} of {n} seeds positive (sign test p = {p_text(p_up)}); mean over seeds {pm(m, s)} nats "
                f"(t = {m / s:.1f}); C_Z positive in {int((z > 0).sum())} of {n} seeds, mean {pm(*mean_sem(z)[:2])}; "
                "per seed: " + ", ".join(f"{v * 1e3:.1f}" for v in means) + " (×1e-3 nats)")
    return claim(10, statement, criterion, measured, verdict, group, ["paper-claim10-seeds"])


def claim11(runs):
    import numpy as np

    statement = ("After uniform-sampling training most non-none mean costs are negative (Fig 4b), C_Z < 0, and it "
                 "decreases with training (Figs 7, 21).")
    criterion = ("paper-fig4, per seed: C_Z of the init probe > 0 and of the trained probe < 0 (each p < 0.01 over "
                 "its batches: the sign change the claim is about), trained C_Z below init C_Z, and > 50% of the "
                 "non-none (edge, op) means of the trained probe negative. The trend is read from the init probe "
                 "(epoch −1) through every train epoch: its slope t is reported. Refuted when in most seeds the "
                 "trained C_Z is above the init C_Z")
    group = runs.get("paper-fig4", [])
    if not group:
        return no_data(11, statement, criterion, ["paper-fig4"])
    none = group[0].op_index("none")
    parts, holds, opposite = [], 0, 0
    for run in group:
        phase = run.get("steps/phase")
        z = run.get("steps/cost_Z")
        zi, si, _ = mean_sem(z[phase == phase_named(run, "init")])
        zt, st, _ = mean_sem(z[phase == phase_named(run, "trained")])
        trained = run.get("summary/cost_mean")[phase_named(run, "trained")]
        mask = run.get("summary/cost_count")[phase_named(run, "trained")] > 0
        mask[..., none] = False
        negative = float((trained[mask] < 0).mean()) if mask.any() else float("nan")
        epochs, means = run.epoch_means(z, phase_named(run, "train"))
        t = slope_t(np.concatenate([[-1.0], epochs]), np.concatenate([[zi], means]))[2]
        ok = (p_above_zero(zi, si) < 0.01 and p_above_zero(-zt, st) < 0.01 and zt < zi and negative > 0.5)
        holds += ok
        opposite += zt > zi
        parts.append(f"seed {run.seed}: C_Z init {pm(zi, si)} → trained {pm(zt, st)}, {100 * negative:.0f}% of "
                     f"{int(mask.sum())} non-none means negative, slope t from init {t:.1f} (per epoch: "
                     f"{zi:.3f} | " + ", ".join(f"{v:.3f}" for v in means) + ")")
    verdict = REPRODUCED if holds == len(group) else (REFUTED if opposite * 2 > len(group) else NOT_REPRODUCED)
    return claim(11, statement, criterion, f"{holds} of {len(group)} seeds: " + "; ".join(parts), verdict, group,
                 ["paper-fig4"])


def last_averaged_cost(run):
    """summary/averaged_cost of the run's last (phase, epoch) row, last cell: (E,)."""
    return run.get("summary/averaged_cost")[-1, -1, :]


def integers(node):
    """Every integer inside a decoded JSON value (the edge indices of a constraint's selector)."""
    if isinstance(node, bool):
        return []
    if isinstance(node, int):
        return [node]
    if isinstance(node, dict):
        return [i for v in node.values() for i in integers(v)]
    if isinstance(node, list):
        return [i for v in node for i in integers(v)]
    return []


def live_edges(run):
    """Edges not deleted by the run's constraints (config: `edges[]` entries with `delete: true`)."""
    named = {"input": lambda e: run.edge_source[e] < 2, "intermediate": lambda e: run.edge_source[e] >= 2,
             "all": lambda e: True}
    deleted = set()
    for entry in run.config.get("edges", []):
        if not entry.get("delete"):
            continue
        selector = entry.get("edge", entry.get("edges"))
        if isinstance(selector, str):
            deleted.update(e for e in range(len(run.edges)) if named.get(selector, lambda e: False)(e))
        else:
            deleted.update(integers(selector))
    return [e for e in range(len(run.edges)) if e not in deleted]


def own_divisor_average(run):
    """Per edge of the last cell: the mean over the edge's own ops (those the phase sampled on it, none included
    where allowed) of their mean cost over the run's last phase. The reference divides every edge's op sum by 8;
    an edge restricted to fewer ops would then be shrunk by its restriction, not by its costs."""
    import numpy as np

    cost = run.get("summary/cost_mean")[-1, -1]               # (E, O)
    count = run.get("summary/cost_count")[-1, -1]
    allowed = count > 0
    return np.where(allowed.any(axis=1), (cost * allowed).sum(axis=1) / np.maximum(allowed.sum(axis=1), 1), np.nan)


def same_op_wins(run, edge, rivals):
    """(wins, comparisons): ops sampled on `edge` and on a rival edge whose mean cost on `edge` is the larger."""
    cost = run.get("summary/cost_mean")[-1, -1]
    count = run.get("summary/cost_count")[-1, -1]
    none = run.op_index("none")
    wins = total = 0
    for rival in rivals:
        for op in range(cost.shape[1]):
            if op != none and count[edge, op] > 0 and count[rival, op] > 0:
                total += 1
                wins += cost[edge, op] > cost[rival, op]
    return wins, total


def claim12(runs):
    statement = ("Cost at the intermediate edge (paper (1,2) = code e4) is higher than the cost of the same operation "
                 "at the input edge into the same node (paper (0,2) = code e2, e3) in the simplified cell (Fig 9a/27), "
                 "and e4 is the lowest only when e1 is fixed in the modified cell (Fig 28 c, d).")
    criterion = ("mean cost of each op over the last phase (/summary/cost_mean). paper-fig9a, per setting: e4's cost "
                 "above the same op's on the live input edges into node 3 in more than half of the same-op "
                 "comparisons, and e4's average over its own ops above theirs (each edge divided by its own op count, "
                 "not by 8). paper-fig9b: with own-count averages, e4 the lowest live edge in settings c and d and not "
                 "in a and b. Refuted when e4 wins at most a quarter of the same-op comparisons in most fig9a settings")
    a = runs.get("paper-fig9a", [])
    b = runs.get("paper-fig9b", [])
    if not a and not b:
        return no_data(12, statement, criterion, ["paper-fig9a", "paper-fig9b"])
    parts, held, lost = [], 0, 0
    for run in a:
        live = live_edges(run)
        rivals = [e for e in (2, 3) if e in live]
        wins, total = same_op_wins(run, 4, rivals)
        average = own_divisor_average(run)
        above = all(average[4] > average[r] for r in rivals)
        ok = total > 0 and wins * 2 > total and above
        held += ok
        lost += total > 0 and wins * 4 <= total
        parts.append(f"9a-{run.label('edges')}: e4 above in {wins}/{total} same-op pairs, own-count average "
                     + ", ".join(f"e{e} {average[e]:.3f}" for e in [4] + rivals))
    lowest_ok = True
    for run in b:
        average = own_divisor_average(run)
        live = live_edges(run)
        low = min(live, key=lambda e: average[e])
        expect_lowest = run.label("edges") in ("c", "d")
        lowest_ok &= (low == 4) == expect_lowest
        parts.append(f"9b-{run.label('edges')}: lowest e{low} (" + ", ".join(f"e{e} {average[e]:.3f}" for e in live) + ")")
    if a and held == len(a) and b and lowest_ok:
        verdict = REPRODUCED
    elif a and lost * 2 > len(a):
        verdict = REFUTED
    else:
        verdict = NOT_REPRODUCED
    measured = f"fig9a: holds in {held} of {len(a)} settings; " + "; ".join(parts)
    return claim(12, statement, criterion, measured, verdict, a + b, ["paper-fig9a", "paper-fig9b"])


def search_batch_epochs(run):
    import numpy as np

    steps = run.get("search/batch_step")
    return run.get("steps/epoch")[steps]


def claim13(runs):
    import numpy as np

    statement = ("Bi-level DARTS: the search-set cost of every edge rises over the epochs (Fig 10a), and every edge "
                 "ends with argmax none (Fig 14).")
    criterion = ("paper-fig10a: slope of each edge's search-batch cost (summed over cells) against the epoch has "
                 "t > 2 for every edge, and the last epoch's most likely op is none on every edge. Refuted if "
                 "most edges have t < −2. Premise (Sec 5.4, as claim 18): the theta half fitted (train accuracy "
                 ">= 0.95) with a generalisation gap >= 0.10; without it the verdict is premise absent")
    group = [r for r in runs.get("paper-fig10a", []) if r.has("search/batch_edge_cost")]
    if not group:
        return no_data(13, statement, criterion, ["paper-fig10a"])
    run = group[0]
    epochs = search_batch_epochs(run)
    cost = run.get("search/batch_edge_cost").sum(axis=1)                     # (batch, E)
    ts = [slope_t(epochs, cost[:, e])[2] for e in range(cost.shape[1])]
    topology = run.get("search/topology")[-1]
    none = run.op_index("none")
    all_none = bool((topology == none).all())
    rising = all(t > 2 for t in ts)
    falling = sum(t < -2 for t in ts) > len(ts) / 2
    verdict = REPRODUCED if rising and all_none else (REFUTED if falling else NOT_REPRODUCED)
    gate, train, held_out, entropy = fitted_gate(run)
    if not gate:
        verdict = PREMISE_ABSENT
    names = [run.ops[o] if o >= 0 else "deleted" for o in topology]
    measured = (f"premise {'holds' if gate else 'absent'}: train acc {train:.3f}, search-half acc {held_out:.3f}, "
                f"entropy of correct train samples {entropy:.3f}; slope t per edge: "
                + ", ".join(f"e{e} {t:.1f}" for e, t in enumerate(ts))
                + f"; last-epoch argmax: {', '.join(names)}")
    return claim(13, statement, criterion, measured, verdict, group, ["paper-fig10a"])


def fig10b_table(run):
    """{(batches, subset): (L, H, C, count)} at the last epoch; batches 'train' (theta) and 'search' (alpha)."""
    split = run.get("summary/split_mean")
    search = run.get("search/split_mean")
    subsets = ["correct", "wrong", "all"]
    table = {}
    for s, subset in enumerate(subsets):
        table[("train", subset)] = tuple(float(v) for v in split[-1, s])
        table[("search", subset)] = tuple(float(v) for v in search[-1, s])
    return table


def fig10b_errors(run):
    """{(batches, subset): (se L, se H, se C)} of the last epoch: train from /samples (per sample), search from the
    per-batch means of /search/batch_split_sum (per batch)."""
    import numpy as np

    subsets = ["correct", "wrong", "all"]
    epochs = run.get("steps/epoch")
    last = int(epochs.max())
    errors = {}
    if run.has("samples/step"):
        step = run.get("samples/step")
        chosen = epochs[step] == last
        correct = run.get("samples/correct")[chosen].astype(bool)
        values = [run.get(f"samples/{q}")[chosen] for q in ("loss", "entropy", "cost")]
        for subset, mask in (("correct", correct), ("wrong", ~correct), ("all", np.ones_like(correct))):
            errors[("train", subset)] = tuple(mean_sem(v[mask])[1] for v in values)
    if run.has("search/batch_split_sum"):
        sums = run.get("search/batch_split_sum")[epochs[run.get("search/batch_step")] == last]  # (batch, subset, 4)
        for s, subset in enumerate(subsets):
            count = sums[:, s, 3]
            keep = count > 0
            errors[("search", subset)] = tuple(mean_sem(sums[keep, s, q] / count[keep])[1] for q in range(3))
    return errors


def claim14(runs):
    statement = ("Fig 10b shape: L and H of correct samples similar on train and search; L_wrong(search) > "
                 "L_wrong(train); H_wrong(search) < H_wrong(train); C_wrong(search) ≫ C_wrong(train); C_correct < 0 "
                 "on both.")
    criterion = ("paper-fig10b, last epoch: correct L and H within ±50% between train and search; each inequality "
                 "beyond two standard errors of the difference (train: per sample; search: per batch); "
                 "C_wrong(search) > 2 C_wrong(train) as well; C_correct < 0 on both. Reproduced when all hold, "
                 "refuted when C_wrong(search) < C_wrong(train) beyond two standard errors. Premise (the shape is "
                 "explained by over-fitting, Sec 5.4): train accuracy >= 0.95 with a gap >= 0.10 to the search half")
    group = [r for r in runs.get("paper-fig10b", []) if r.has("search/split_mean")]
    if not group:
        return no_data(14, statement, criterion, ["paper-fig10b"])
    t = fig10b_table(group[0])
    se = fig10b_errors(group[0])
    L, H, C = 0, 1, 2

    def gap(q, subset):
        """search minus train of quantity q, and the standard error of that difference."""
        a, b = se.get(("search", subset), (float("nan"),) * 3), se.get(("train", subset), (float("nan"),) * 3)
        return t["search", subset][q] - t["train", subset][q], math.hypot(a[q], b[q])

    lw, lw_se = gap(L, "wrong")
    hw, hw_se = gap(H, "wrong")
    cw, cw_se = gap(C, "wrong")
    checks = {
        "L_correct similar": abs(t["search", "correct"][L] - t["train", "correct"][L])
        <= 0.5 * abs(t["train", "correct"][L]),
        "H_correct similar": abs(t["search", "correct"][H] - t["train", "correct"][H])
        <= 0.5 * abs(t["train", "correct"][H]),
        "L_wrong(search) > L_wrong(train)": lw > 2 * lw_se,
        "H_wrong(search) < H_wrong(train)": -hw > 2 * hw_se,
        "C_wrong(search) ≫ C_wrong(train)": cw > 2 * cw_se and t["search", "wrong"][C] > 2 * t["train", "wrong"][C],
        "C_correct < 0 on both": t["search", "correct"][C] < 0 and t["train", "correct"][C] < 0,
    }
    failed = [k for k, ok in checks.items() if not ok]
    verdict = REPRODUCED if not failed else (REFUTED if -cw > 2 * cw_se else NOT_REPRODUCED)
    gate, train, held_out, entropy = fitted_gate(group[0])
    if not gate and verdict != REPRODUCED:
        verdict = PREMISE_ABSENT
    measured = (f"premise {'holds' if gate else 'absent'}: train acc {train:.3f}, search-half acc {held_out:.3f}; "
                f"{len(checks) - len(failed)} of {len(checks)} hold"
                + (f"; failing: {', '.join(failed)}" if failed else "")
                + f"; search − train, wrong samples: L {pm(lw, lw_se)}, H {pm(hw, hw_se)}, C {pm(cw, cw_se)} "
                  "(table in the Fig 10b section)")
    return claim(14, statement, criterion, measured, verdict, group, ["paper-fig10b"])


def claim15(runs):
    statement = ("Fig 19: the sum over edges of the averaged cost (op-sum/8, uniform sampling) of the second-last cell "
                 "≈ 0, of the last cell ≠ 0.")
    criterion = ("paper-fig19, last epoch: |S(second-last)| ≤ 0.1 |S(last)|, with S = summary/averaged_cost_sum. "
                 "Refuted if |S(second-last)| ≥ |S(last)|")
    group = runs.get("paper-fig19", [])
    if not group:
        return no_data(15, statement, criterion, ["paper-fig19"])
    sums = group[0].get("summary/averaged_cost_sum")[-1]
    second, last = float(sums[-2]), float(sums[-1])
    verdict = REPRODUCED if abs(second) <= 0.1 * abs(last) else (REFUTED if abs(second) >= abs(last) else NOT_REPRODUCED)
    measured = f"S(second-last) = {fmt(second)} nats, S(last) = {fmt(last)} nats (ratio {fmt(abs(second) / abs(last))})"
    return claim(15, statement, criterion, measured, verdict, group, ["paper-fig19"])


def claim19(runs):
    import numpy as np

    statement = "Sec 5.1: the cost at the last cell dominates the other cells' by at least an order of magnitude."
    criterion = ("paper-fig15 and paper-fig16 (8 cells), every probe phase: mean over batches and edges of |C(e)| of "
                 "the ops that ran, per cell; the last cell's at least 10x every other cell's. Refuted when another "
                 "cell's is larger than the last's")
    used, parts, ok, opposite = [], [], True, False
    for name in ("paper-fig15", "paper-fig16"):
        for run in runs.get(name, []):
            ops = run.get("steps/edge_op")
            cost = np.abs(run.get("steps/edge_cost"))
            live = (ops >= 0) & (ops != run.op_index("none"))
            phase = run.get("steps/phase")
            for p, kind in enumerate(run.config["phases"]):
                if kind["kind"] != "probe":
                    continue
                mask = live & (phase == p)[:, None, None]
                per_cell = np.array([cost[:, c][mask[:, c]].mean() for c in range(cost.shape[1])])
                ratio = per_cell[-1] / per_cell[:-1].max()
                ok &= ratio >= 10
                opposite |= ratio < 1
                parts.append(f"{name} {run.phases[p]}: last/largest other = {ratio:.1f} (per cell ×1e3: "
                             + ", ".join(f"{v * 1e3:.2f}" for v in per_cell) + ")")
            used.append(run)
    if not used:
        return no_data(19, statement, criterion, ["paper-fig15", "paper-fig16"])
    verdict = REPRODUCED if ok else (REFUTED if opposite else NOT_REPRODUCED)
    return claim(19, statement, criterion, "; ".join(parts), verdict, used, ["paper-fig15", "paper-fig16"])


def pearson(x, y):
    """Correlation r and its t statistic (n − 2 degrees of freedom)."""
    import numpy as np

    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < 3 or x.std() == 0 or y.std() == 0:
        return float("nan"), float("nan")
    r = float(np.corrcoef(x, y)[0, 1])
    return r, r * math.sqrt((x.size - 2) / max(1e-300, 1 - r * r))


def claim20(runs):
    import numpy as np

    statement = "Theorem 2: the cost C_Z is negatively related to classification accuracy (positive at low accuracy, negative at high)."
    criterion = ("every train phase of paper-fig4 and paper-fig21: correlation of the batch C_Z with the batch "
                 "accuracy over its batches has r < 0 with t < −3, and the mean C_Z of the batches below the median "
                 "accuracy is above that of the batches above it. Refuted when r > 0 with t > 3 in most runs")
    used, parts, ok, positive = [], [], True, 0
    for run in runs.get("paper-fig4", []) + runs.get("paper-fig21", []):
        p = phase_named(run, "train")
        mask = run.get("steps/phase") == p
        z, acc = run.get("steps/cost_Z")[mask], run.get("steps/accuracy")[mask]
        r, t = pearson(z, acc)
        median = np.median(acc)
        low, high = z[acc < median], z[acc > median]
        ordered = bool(low.size and high.size and low.mean() > high.mean())
        ok &= t < -3 and ordered
        positive += t > 3
        parts.append(f"`{run.id}`: r = {r:.2f} (t = {t:.1f}, {z.size} batches); C_Z below / above the median "
                     f"accuracy {fmt(float(low.mean()) if low.size else float('nan'))} / "
                     f"{fmt(float(high.mean()) if high.size else float('nan'))}")
        used.append(run)
    if not used:
        return no_data(20, statement, criterion, ["paper-fig4", "paper-fig21"])
    verdict = REPRODUCED if ok else (REFUTED if positive * 2 > len(used) else NOT_REPRODUCED)
    return claim(20, statement, criterion, "; ".join(parts), verdict, used, ["paper-fig4", "paper-fig21"])


def op_epoch_means(run, edge, phase=0):
    """{op: per-epoch mean cost of the batches that sampled the op on `edge` (last cell)}; epochs without it skipped."""
    import numpy as np

    mask = run.get("steps/phase") == phase
    ops = run.get("steps/edge_op")[mask, -1, edge]
    cost = run.get("steps/edge_cost")[mask, -1, edge]
    epoch = run.get("steps/epoch")[mask]
    out = {}
    for op in sorted(set(ops.tolist()) - {run.op_index("none"), -1, -2}):
        out[op] = np.array([cost[(ops == op) & (epoch == k)].mean() for k in sorted(set(epoch.tolist()))
                            if ((ops == op) & (epoch == k)).any()])
    return out


def claim21(runs):
    import numpy as np

    statement = ("Sec 5.3: in the modified cell with e1 fixed, the cost on e3 (paper edge (0,2)) becomes positive; "
                 "Appx G: the costs at the intermediate edge are positive most of the time.")
    criterion = ("per op, never averaged over restricted op sets. paper-fig9b settings c and d (e1 fixed): e3's mean "
                 "cost over the phase is positive for more than half of its non-none ops. paper-fig9a: for more than "
                 "half of the settings, more than half of e4's (epoch, op) means are positive. Refuted when both "
                 "parts show the opposite sign (e3 negative for most ops in c and d, e4 mostly negative in every "
                 "fig9a setting)")
    a = runs.get("paper-fig9a", [])
    b = [r for r in runs.get("paper-fig9b", []) if r.label("edges") in ("c", "d")]
    if not a and not b:
        return no_data(21, statement, criterion, ["paper-fig9a", "paper-fig9b"])
    parts, e3_ok, e3_opposite = [], bool(b), bool(b)
    none = (b or a)[0].op_index("none")
    for run in b:
        cost = run.get("summary/cost_mean")[-1, -1, 3]
        count = run.get("summary/cost_count")[-1, -1, 3]
        ops = [o for o in range(len(run.ops)) if count[o] > 0 and o != none]
        up = sum(cost[o] > 0 for o in ops)
        e3_ok &= up * 2 > len(ops)
        e3_opposite &= up * 2 < len(ops)
        parts.append(f"9b-{run.label('edges')}: e3 positive for {up} of {len(ops)} ops ("
                     + ", ".join(f"{run.ops[o]} {cost[o]:.3f}" for o in ops) + ")")
    shares = []
    for run in a:
        means = op_epoch_means(run, 4)
        values = np.concatenate(list(means.values())) if means else np.array([])
        share = float((values > 0).mean()) if values.size else float("nan")
        shares.append(share)
        parts.append(f"9a-{run.label('edges')}: e4 positive in {100 * share:.0f}% of {values.size} (epoch, op) means")
    g_ok = bool(shares) and sum(s > 0.5 for s in shares) * 2 > len(shares)
    g_opposite = bool(shares) and all(s < 0.5 for s in shares)
    verdict = REPRODUCED if e3_ok and g_ok else (REFUTED if e3_opposite and g_opposite else NOT_REPRODUCED)
    return claim(21, statement, criterion, "; ".join(parts), verdict, a + b, ["paper-fig9a", "paper-fig9b"])


def claim22(runs):
    statement = "Appx H.1: with affine instance norm and with layer norm, Theorem 1 still holds (node-level residual ≈ 0)."
    criterion = ("paper-appxh-norm runs with instance norm (affine) and layer norm: claim 5's quantity, "
                 "|node_cost_via_edges(node 2)| ≤ 1e-3 Σ_e |C(e)| + 1e-6 on every batch where e4 ran an op ending in "
                 "the norm (not none, not skip). Refuted if the median relative residual exceeds 1e-2")
    chosen = [r for r in runs.get("paper-appxh-norm", [])
              if (r.network["norm"]["kind"] == "instance" and r.network["norm"]["affine"])
              or r.network["norm"]["kind"] == "layer"]
    if not chosen:
        return no_data(22, statement, criterion, ["paper-appxh-norm"])
    parts, all_values = [], []
    for run in chosen:
        values = node_residuals(run)
        all_values.append(values)
        norm = run.network["norm"]
        parts.append(f"{norm['kind']} norm{' affine' if norm['affine'] else ''}: " + residual_text(values, "batches"))
    values = Residuals.concat(all_values)
    EXCEEDING["22"] = values
    return claim(22, statement, criterion, "; ".join(parts), residual_verdict(values), chosen, ["paper-appxh-norm"])


def pattern_claims(runs):
    """P1-P3 (spec claims 16-18), numbered as the spec numbers them."""
    out = []
    for number, f in zip(("16", "17", "18"), PATTERNS):
        row = f(runs)
        row["number"] = f"{number} ({row['number']})"
        out.append(row)
    return out


CLAIMS = [claim1, claim2, claim3, claim3p, claim3pp, claim4, claim5, claim6, claim7, claim8, claim9, claim10, claim11,
          claim12, claim13, claim14, claim15, pattern_claims, claim19, claim20, claim21, claim22, claim_universality]


# ---------------------------------------------------------------------------------------------------------------------
# Figures (reference-spec section 7); each returns (file name, caption lines) or None without data


def save(fig, folder, name):
    import matplotlib.pyplot as plt

    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return name


def heatmaps(panels, title, folder, name, ops):
    """One heatmap per (label, (E, O) matrix), one colour scale centred at 0, values written in."""
    import matplotlib.pyplot as plt
    import numpy as np

    finite = np.concatenate([m[np.isfinite(m)].ravel() for _, m in panels] + [np.zeros(1)])
    limit = float(np.abs(finite).max()) or 1.0
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 2.9), squeeze=False, constrained_layout=True)
    for ax, (label, matrix) in zip(axes[0], panels):
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        for (e, o), v in np.ndenumerate(matrix):
            if np.isfinite(v):
                ax.text(o, e, f"{v * 1e3:.1f}", ha="center", va="center", fontsize=6)
        ax.set_xticks(range(len(ops)), [o.replace("_", "\n") for o in ops], fontsize=5)
        ax.set_yticks(range(matrix.shape[0]), [f"e{e}" for e in range(matrix.shape[0])], fontsize=6)
        ax.set_title(label, fontsize=8)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8).set_label("mean cost (nats; cells ×1e3)", fontsize=7)
    fig.suptitle(title, fontsize=9)
    return save(fig, folder, name)


def phase_matrix(runs, phase_name):
    """Seed mean of summary/cost_mean of `phase_name`, summed over cells; NaN where never sampled."""
    import numpy as np

    stack = []
    for run in runs:
        p = phase_named(run, phase_name)
        count = run.get("summary/cost_count")[p]
        mean = run.get("summary/cost_mean")[p]
        stack.append(np.where((count > 0).all(axis=0), mean.sum(axis=0), np.nan))
    return np.mean(stack, axis=0)


def figure_cost_matrices(runs, experiment, folder, name, title):
    group = runs.get(experiment, [])
    if not group:
        return None
    panels = []
    for run_set, label in ([(group, "")] if experiment != "paper-appxh-order" and experiment != "paper-appxh-norm"
                           else [([r], r.name + ": ") for r in group]):
        for phase in ("init", "trained"):
            if phase in run_set[0].phases:
                panels.append((f"{label}{phase}", phase_matrix(run_set, phase)))
    return heatmaps(panels, title, folder, name, group[0].ops)


def figure_fig7(runs, folder):
    import matplotlib.pyplot as plt
    import numpy as np

    group = runs.get("paper-fig4", [])
    if not group:
        return None
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(12, 3.2), constrained_layout=True)
    for run in group:
        p = phase_named(run, "train")
        epochs, loss = run.epoch_means(run.get("steps/loss"), p)
        _, accuracy = run.epoch_means(run.get("steps/accuracy"), p)
        left.plot(epochs, loss, label=f"train loss, seed {run.seed}")
        middle.plot(epochs, accuracy, label=f"train acc., seed {run.seed}")
        if run.has("eval/loss"):
            rows = run.get("eval/phase") == p
            left.plot(run.get("eval/epoch")[rows], run.get("eval/loss")[rows], "--", label=f"validation, seed {run.seed}")
            middle.plot(run.get("eval/epoch")[rows], run.get("eval/accuracy")[rows], "--",
                        label=f"validation, seed {run.seed}")
        rows = run.get("summary/split_phase") == p
        averaged = run.get("summary/averaged_cost")[rows, 0, :]
        for e in range(averaged.shape[1]):
            right.plot(run.get("summary/split_epoch")[rows], averaged[:, e], color=f"C{e}",
                       label=f"e{e}" if run is group[0] else None)
        right.plot(run.get("summary/split_epoch")[rows], averaged.sum(axis=1), "k",
                   label="sum" if run is group[0] else None)
    left.set_title("loss", fontsize=8)
    middle.set_title("accuracy", fontsize=8)
    right.set_title("averaged cost per edge (op-sum/8) and their sum", fontsize=8)
    right.axhline(0, color="grey", linewidth=0.5)
    for ax in (left, middle, right):
        ax.set_xlabel("epoch", fontsize=7)
        ax.legend(fontsize=6)
        ax.tick_params(labelsize=7)
    fig.suptitle("Fig 7 (report tier): uniform-sampling training of one minimal cell", fontsize=9)
    return save(fig, folder, "fig7.png")


def figure_averaged_cost(runs, experiment, folder, name, title):
    import matplotlib.pyplot as plt

    group = runs.get(experiment, [])
    if not group:
        return None
    fig, axes = plt.subplots(1, len(group), figsize=(2.6 * len(group), 2.6), sharey=True, squeeze=False,
                             constrained_layout=True)
    for ax, run in zip(axes[0], group):
        averaged = run.get("summary/averaged_cost")[:, 0, :]
        epochs = run.get("summary/split_epoch")
        for e in live_edges(run):
            ax.plot(epochs, averaged[:, e], color=f"C{e}", label=f"e{e}")
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_title(setting_text(run), fontsize=6)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    fig.supxlabel("epoch", fontsize=7)
    fig.supylabel("averaged cost (nats)", fontsize=7)
    fig.suptitle(title, fontsize=9)
    return save(fig, folder, name)


def figure_fig19(runs, folder):
    import matplotlib.pyplot as plt

    group = runs.get("paper-fig19", [])
    if not group:
        return None
    run = group[0]
    sums = run.get("summary/averaged_cost_sum")
    fig, ax = plt.subplots(figsize=(4.5, 3), constrained_layout=True)
    cells = sums.shape[1]
    for c in range(cells):
        ax.plot(run.get("summary/split_epoch"), sums[:, c], label=f"cell {c}", linewidth=2 if c >= cells - 2 else 0.8)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_xlabel("epoch", fontsize=7)
    ax.set_ylabel("Σ_e averaged cost (nats)", fontsize=7)
    ax.legend(fontsize=6)
    ax.set_title(f"Fig 19 (report tier): {cells} minimal cells", fontsize=8)
    return save(fig, folder, "fig19.png")


def figure_split(runs, experiment, folder, name, title):
    """C/L/H of correct and wrong samples per epoch (Figs 10b, 21-26): train batches solid and search batches dashed
    on the same axes, so that the gap between them is read directly; L and H above, C below."""
    import matplotlib.pyplot as plt

    group = runs.get(experiment, [])
    if not group:
        return None
    run = group[0]
    sources = [("train", run.get("summary/split_mean"), run.get("summary/split_epoch"), "-")]
    if run.has("search/split_mean"):
        sources.append(("search", run.get("search/split_mean"), run.get("search/epoch"), "--"))
    fig, axes = plt.subplots(2, 2, figsize=(8, 5), sharex=True, sharey="row", constrained_layout=True)
    for c, (s_index, subset) in enumerate(((0, "correct"), (1, "wrong"))):
        for label, split, epochs, style in sources:
            axes[0, c].plot(epochs, split[:, s_index, 0], style, color="C0", label=f"L {label}")
            axes[0, c].plot(epochs, split[:, s_index, 1], style, color="C1", label=f"H {label}")
            axes[1, c].plot(epochs, split[:, s_index, 2], style, color="k", label=f"C {label}")
        axes[1, c].axhline(0, color="grey", linewidth=0.5)
        axes[0, c].set_title(f"{subset} samples", fontsize=8)
        axes[1, c].set_xlabel("epoch", fontsize=7)
        for ax in axes[:, c]:
            ax.tick_params(labelsize=6)
            ax.legend(fontsize=6)
    axes[0, 0].set_ylabel("L, H (nats)", fontsize=7)
    axes[1, 0].set_ylabel("C = L − H (nats)", fontsize=7)
    fig.suptitle(title + " (solid: train batches, dashed: search batches)", fontsize=9)
    return save(fig, folder, name)


def setting_text(run):
    """A run's edge setting in words, from its `edges` grid value (for figure titles): 'b: e4 ∈ {none, ...}'."""
    value = run.varying.get("edges", {}).get("value")
    if not isinstance(value, list):
        return run.label("edges") or run.name
    short = {"skip_connect": "skip", "max_pool_3x3": "max", "avg_pool_3x3": "avg", "sep_conv_3x3": "sep3",
             "sep_conv_5x5": "sep5", "dil_conv_3x3": "dil3", "dil_conv_5x5": "dil5"}
    parts = []
    for rule in value:
        edges = rule.get("edges", [rule.get("edge")])
        where = ",".join(f"e{e}" for e in edges if e is not None)
        if rule.get("delete"):
            parts.append(f"{where} deleted")
        elif "fix" in rule:
            parts.append(f"{where} = {short.get(rule['fix'], rule['fix'])}")
        elif "allow" in rule:
            parts.append(f"{where} ∈ {{{', '.join(short.get(o, o) for o in rule['allow'])}}}")
        elif "exclude" in rule:
            parts.append(f"{where} ∌ {', '.join(short.get(o, o) for o in rule['exclude'])}")
    return f"{run.label('edges')}: " + "; ".join(parts)


def figure_search(runs, experiment, folder, name, title):
    """Evolution figures (Figs 1/3, 11-14): none's probability per edge per epoch, one panel per run."""
    import matplotlib.pyplot as plt

    group = [r for r in runs.get(experiment, []) if r.has("search/none_prob")]
    if not group:
        return None
    fig, axes = plt.subplots(1, len(group), figsize=(4 * len(group), 2.8), squeeze=False, constrained_layout=True)
    for ax, run in zip(axes[0], group):
        none = run.get("search/none_prob")
        for e in range(none.shape[1]):
            ax.plot(run.get("search/epoch"), none[:, e], label=f"e{e}")
        ax.axhline(1 / len(run.ops), color="grey", linewidth=0.5)
        ax.set_title(run.name if run.varying else run.experiment, fontsize=8)
        ax.set_xlabel("epoch", fontsize=7)
        ax.set_ylabel("p(none)", fontsize=7)
        ax.legend(fontsize=6)
        ax.tick_params(labelsize=7)
    fig.suptitle(title, fontsize=9)
    return save(fig, folder, name)


def figure_topology(runs, experiments, folder, name, title):
    """The most likely op of every edge after every epoch (Figs 1, 11, 13 drawn as the cell's wiring over time):
    one panel per run, rows = edges (input edges first, intermediate edges marked), columns = epochs, colour = op;
    white = none, i.e. the edge is dropped."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    group = [r for e in experiments for r in runs.get(e, []) if r.has("search/topology")]
    if not group:
        return None
    ops = group[0].ops
    colours = ["white"] + [plt.get_cmap("tab10")(i) for i in range(len(ops) - 1)]
    cmap = ListedColormap(colours[:len(ops)])
    columns = min(3, len(group))
    rows = math.ceil(len(group) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 1.2 + (0.5 + 0.2 * len(group[0].edges)) * rows),
                             squeeze=False)
    none = group[0].op_index("none")
    for ax, run in zip(axes.ravel(), group):
        topology = run.get("search/topology").T.astype(float)          # (edges, epochs)
        order = [e for e, s in enumerate(run.edge_source) if s < 2] + [e for e, s in enumerate(run.edge_source) if s >= 2]
        shown = topology[order]
        shown = np.where(shown < 0, np.nan, shown)
        # none first in the colour list whatever its index in the run's op list
        remap = np.array([0 if o == none else (o + 1 if o < none else o) for o in range(len(run.ops))], float)
        image = np.where(np.isnan(shown), np.nan, remap[np.nan_to_num(shown).astype(int)])
        ax.imshow(image, aspect="auto", interpolation="nearest", cmap=cmap, vmin=-0.5, vmax=len(ops) - 0.5)
        ax.set_yticks(range(len(order)))
        ax.set_yticklabels([f"e{e}{'*' if run.edge_source[e] >= 2 else ''}" for e in order], fontsize=6)
        ax.set_xlabel("epoch", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_title(f"{run.experiment.replace('paper-', '')}: {run.name}", fontsize=7)
    for ax in axes.ravel()[len(group):]:
        ax.axis("off")
    names = [ops[none]] + [o for i, o in enumerate(ops) if i != none]
    fig.legend(handles=[Patch(facecolor=colours[i], edgecolor="grey", label=n) for i, n in enumerate(names)],
               loc="lower center", ncol=min(8, len(names)), fontsize=6)
    fig.suptitle(title + " (* intermediate edge; white: none most likely, the edge dropped)", fontsize=8)
    fig.tight_layout(rect=(0, 0.6 / fig.get_size_inches()[1], 1, 0.97))
    return save(fig, folder, name)


def figure_none_probability(runs, experiments, folder, name, title):
    """p(none) per edge per epoch, one panel per run, input edges solid and intermediate dashed, the uniform 1/|ops|
    as a grey line, the y axis from 0 (so that noise around 1/|ops| is not magnified)."""
    import matplotlib.pyplot as plt

    group = [r for e in experiments for r in runs.get(e, []) if r.has("search/none_prob")]
    if not group:
        return None
    columns = min(3, len(group))
    rows = math.ceil(len(group) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 2.6 * rows), squeeze=False, sharey=True,
                             constrained_layout=True)
    top = max(0.3, max(float(r.get("search/none_prob").max()) for r in group) * 1.05)
    for ax, run in zip(axes.ravel(), group):
        none = run.get("search/none_prob")
        epochs = run.get("search/epoch")
        for e in range(none.shape[1]):
            middle = run.edge_source[e] >= 2
            ax.plot(epochs, none[:, e], linestyle="--" if middle else "-", linewidth=1,
                    color="C3" if middle else "C0", alpha=0.8)
        ax.axhline(1 / len(run.ops), color="grey", linewidth=0.8)
        ax.set_ylim(0, top)
        ax.set_title(f"{run.experiment.replace('paper-', '')}: {run.name}", fontsize=7)
        ax.set_xlabel("epoch", fontsize=7)
        ax.set_ylabel("p(none)", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[len(group):]:
        ax.axis("off")
    fig.suptitle(title + " (solid: input edges, dashed: intermediate edges, grey: 1/|ops|)", fontsize=8)
    return save(fig, folder, name)


def figure_fig10a(runs, folder):
    import matplotlib.pyplot as plt
    import numpy as np

    group = [r for r in runs.get("paper-fig10a", []) if r.has("search/batch_edge_cost")]
    if not group:
        return None
    run = group[0]
    epochs = search_batch_epochs(run)
    cost = run.get("search/batch_edge_cost").sum(axis=1)
    keys = sorted(set(epochs.tolist()))
    means = np.array([cost[epochs == k].mean(axis=0) for k in keys])
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3), constrained_layout=True)
    for e in range(means.shape[1]):
        left.plot(keys, means[:, e], label=f"e{e}")
        right.plot(run.get("search/epoch"), run.get("search/none_prob")[:, e], label=f"e{e}")
    left.axhline(0, color="grey", linewidth=0.5)
    left.set_title("search-batch cost per edge (Σ_op W·C, summed over cells)", fontsize=8)
    right.set_title("p(none) per edge (Fig 14's read-out)", fontsize=8)
    for ax in (left, right):
        ax.set_xlabel("epoch", fontsize=7)
        ax.legend(fontsize=6)
        ax.tick_params(labelsize=7)
    fig.suptitle("Figs 10a, 13-14 (report tier): bi-level DARTS from a uniform alpha", fontsize=9)
    return save(fig, folder, "fig10a.png")


def figure_claim7(runs, folder):
    import matplotlib.pyplot as plt
    import numpy as np

    group = runs.get("paper-claim7-eps", [])
    if not group:
        return None
    fig, ax = plt.subplots(figsize=(4.5, 3), constrained_layout=True)
    for precision, marker in (("float32", "o"), ("float64", "s")):
        chosen = sorted([r for r in group if r.precision == precision], key=lambda r: r.network["norm"]["eps"])
        eps = [r.network["norm"]["eps"] for r in chosen]
        med = [np.median(last_cell_thm2(r, r.one_hot_steps() & ~skip_on_intermediate(r)).rel) for r in chosen]
        ax.loglog(eps, med, marker=marker, label=f"{precision} (measured)")
        ax.loglog(sorted(CLAIM7_EXPECTED[precision]), [CLAIM7_EXPECTED[precision][e]
                                                       for e in sorted(CLAIM7_EXPECTED[precision])],
                  linestyle=":", marker=marker, label=f"{precision} (paper)")
    ax.set_xlabel("batch-norm eps", fontsize=7)
    ax.set_ylabel("median Theorem 2 residual (rel.)", fontsize=7)
    ax.legend(fontsize=6)
    ax.set_title("Claim 7: residual against eps", fontsize=8)
    return save(fig, folder, "claim7-eps.png")


def figure_growing(runs, folder):
    """Deeper look at the growing tendency: early per-edge cost beside p(none), per alpha learning rate."""
    import matplotlib.pyplot as plt

    group = runs.get("paper-evolution-dsnas", [])
    if not group:
        return None
    fig, axes = plt.subplots(2, len(group), figsize=(4.2 * len(group), 5), squeeze=False, constrained_layout=True)
    for c, run in enumerate(group):
        epochs, cost = run.epoch_means(run.get("steps/edge_cost")[:, 0, :], 0)
        for e in range(cost.shape[1]):
            axes[0, c].plot(epochs, cost[:, e], label=f"e{e}")
            axes[1, c].plot(run.get("search/epoch"), run.get("search/none_prob")[:, e], label=f"e{e}")
        axes[0, c].axhline(0, color="grey", linewidth=0.5)
        axes[0, c].set_title(f"{run.name}: mean edge cost per epoch", fontsize=8)
        axes[1, c].set_title(f"{run.name}: p(none)", fontsize=8)
        for ax in axes[:, c]:
            ax.legend(fontsize=6)
            ax.tick_params(labelsize=7)
            ax.set_xlabel("epoch", fontsize=7)
    fig.suptitle("DSNAS evolution (report tier): edge cost (sampled ops, none included) and p(none)", fontsize=9)
    return save(fig, folder, "evolution-dsnas.png")


# ---------------------------------------------------------------------------------------------------------------------
# Report sections


PAPER_SETTINGS = {  # reference-spec section 7: the paper's setting of each experiment (typed: it is the paper's)
    "paper-fig4": ("Figs 4, 7", "CIFAR-10, 1 minimal cell, probe 50 + train 150 + probe 50 epochs, batch 96"),
    "paper-fig21": ("Fig 21", "CIFAR-10, 1 minimal cell, e4 without skip, 150 epochs, batch 96"),
    "paper-fig9a": ("Figs 9a, 27", "CIFAR-10, simplified cell, six restrictions, 150 epochs, batch 96"),
    "paper-fig9b": ("Figs 9b, 28", "CIFAR-10, modified cell, four settings, 150 epochs, batch 96"),
    "paper-fig15": ("Fig 15", "CIFAR-10, 8 minimal cells, as Fig 4"),
    "paper-fig16": ("Fig 16", "CIFAR-10, 8 original cells, as Fig 4"),
    "paper-fig19": ("Fig 19", "CIFAR-10, ≥ 2 (8) minimal cells, uniform-sampling training"),
    "paper-fig10a": ("Figs 10a, 13, 14", "CIFAR-10, bi-level DARTS, 8 minimal/original cells, 50 epochs, batch 64/96"),
    "paper-fig10b": ("Figs 10b, 22-26", "CIFAR-10, DARTS cal_stat, 8 minimal cells, e4 without skip, 50 epochs, batch 64"),
    "paper-evolution-dsnas": ("Figs 11, 12", "CIFAR-10, DSNAS, 8 original/minimal cells, 150 epochs, alpha lr 3e-4"),
    "paper-evolution-snas": ("Figs 1, 3", "CIFAR-10, SNAS, 8 original cells, 150 epochs"),
    "paper-appxh-order": ("Figs 30, 31", "CIFAR-10, op orders conv-relu-bn / conv-bn-relu, as Fig 4"),
    "paper-claim7-eps": ("claim 7", "B=16, C=8, 16×16 random inputs (the spec's CPU re-implementation)"),
    "paper-claim9-affine": ("claim 9", "same, affine batch norm"),
    "paper-claim10-seeds": ("claim 10, Fig 4a", "CIFAR-10, 1 minimal cell at initialisation"),
    "paper-appxh-norm": ("Fig 29, Appx H.1", "CIFAR-10, instance norm (affine-free, affine) and layer norm, as Fig 4"),
    "paper-p1p2-dsnas": ("Sec 3 P1, P2; Figs 1, 3, 11, 12", "CIFAR-10, DSNAS/SNAS, 8 original cells, 150 epochs"),
    "paper-p3-darts": ("Sec 3 P3, Sec 5.4; Figs 10, 13, 14", "CIFAR-10, bi-level DARTS, 8 cells, 50 epochs"),
    "paper-regime-init": ("regime (issue 31)", "not in the paper: init costs against capacity"),
}


def tier_setting(run):
    data, net = run.config["data"], run.config["network"]
    phases = ", ".join(f"{p['name']} {phase_length(p)}" for p in run.config["phases"])
    return (f"{data['dataset']}, {data.get('train_size') or 'all'} images, batch {data['batch_size']}, "
            f"{net['cells']} × (steps {net['steps']}, multiplier {net['multiplier']}) cells, {len(run.edges)} edges; {phases}")


def plateau(run):
    """Per trained phase: (name, epochs, epoch reaching 90% of the loss decrease, last-epoch relative change, first
    and last epoch-mean loss, rate ratio). The rate ratio is the loss decrease per unit of learning rate over the
    last third of the epochs divided by the same over the first third: a cosine schedule makes the last epochs'
    change small by itself (its learning rate goes to lr_min), so the change is read per unit of learning rate."""
    rows = []
    for p, phase in enumerate(run.config["phases"]):
        if phase["kind"] not in ("train", "search"):
            continue
        epochs, loss = run.epoch_means(run.get("steps/loss"), p)
        if len(loss) < 2:
            continue
        drop = loss[0] - loss[-1]
        reached = next((int(e) for e, l in zip(epochs, loss) if l - loss[-1] <= 0.1 * drop), int(epochs[-1]))
        change = (loss[-2] - loss[-1]) / abs(loss[-1])
        rows.append((phase["name"], len(epochs), reached, change, loss[0], loss[-1], rate_ratio(run, p)))
    return rows


def rate_ratio(run, phase):
    """(loss fall per unit of summed lr, last third of the epochs) / (the same, first third); NaN below 3 epochs."""
    import numpy as np

    mask = run.get("steps/phase") == phase
    loss, lr, epoch = run.get("steps/loss")[mask], run.get("steps/lr")[mask], run.get("steps/epoch")[mask]
    epochs = sorted(set(epoch.tolist()))
    if len(epochs) < 3:
        return float("nan")
    third = len(epochs) // 3

    def rate(chosen):
        inside = np.isin(epoch, chosen)
        first, last = loss[epoch == chosen[0]].mean(), loss[epoch == chosen[-1]].mean()
        spent = lr[inside].sum()
        return (first - last) / spent if spent > 0 else float("nan")

    early, late = rate(epochs[:third + 1]), rate(epochs[-third - 1:])
    return late / early if early > 0 else float("nan")


def growing_tendency(runs):
    """Text rows of the growing-tendency investigation: per alpha lr, the span of positive early costs and p(none)."""
    import numpy as np

    rows = []
    for run in runs.get("paper-evolution-dsnas", []):
        none = run.op_index("none")
        ops = run.get("steps/edge_op")[:, 0, :]
        cost = run.get("steps/edge_cost")[:, 0, :]
        epoch = run.get("steps/epoch")
        epochs = sorted(set(epoch.tolist()))
        # Per epoch: the mean cost of the non-none samples over all edges.
        live = ops != none
        means = [float(cost[(epoch == k)[:, None] & live].mean()) for k in epochs]
        # Batch resolution: the 5-batch moving mean of the non-none cost, from the first batch.
        per_batch = np.array([float(cost[i][live[i]].mean()) if live[i].any() else 0.0 for i in range(len(cost))])
        window = min(5, len(per_batch))
        moving = np.convolve(per_batch, np.ones(window) / window, mode="valid")
        positive_batches = int(np.argmax(moving <= 0)) + window - 1 if (moving <= 0).any() else len(per_batch)
        if moving.size and moving[0] <= 0:
            positive_batches = 0
        p_none = run.get("search/none_prob")
        start = 1.0 / len(run.ops)
        rows.append({
            "run": run,
            "means": means, "positive_batches": positive_batches,
            "first_batches": float(per_batch[:window].mean()) if per_batch.size else float("nan"),
            "none_end": p_none[-1], "none_start": start,
        })
    return rows


def alpha_lr(run):
    """The alpha learning rate of the run's first phase (wherever the config nests `alpha_optimizer`)."""
    def find(node):
        if isinstance(node, dict):
            if "alpha_optimizer" in node:
                return node["alpha_optimizer"].get("lr")
            for value in node.values():
                found = find(value)
                if found is not None:
                    return found
        return None
    return find(run.config["phases"][0])


def cell(value):
    """Text for a Markdown table cell: a '|' inside it would end the cell."""
    return str(value).replace("|", "\\|")


def write_report(runs, out, folder):
    import numpy as np

    claims = []
    for f in CLAIMS:
        row = f(runs)
        claims += row if isinstance(row, list) else [row]
    rel = os.path.relpath(folder, os.path.dirname(os.path.abspath(out)) or ".")
    figures = {
        "fig4": figure_cost_matrices(runs, "paper-fig4", folder, "fig4.png",
                                     "Fig 4 (report tier): mean cost per (edge, op), seed mean ×1e3"),
        "fig7": figure_fig7(runs, folder),
        "fig9a": figure_averaged_cost(runs, "paper-fig9a", folder, "fig9a.png",
                                      "Figs 9a, 27 (report tier): averaged cost per edge, simplified cell"),
        "fig9b": figure_averaged_cost(runs, "paper-fig9b", folder, "fig9b.png",
                                      "Figs 9b, 28 (report tier): averaged cost per edge, modified cell"),
        "fig10a": figure_fig10a(runs, folder),
        "fig10b": figure_split(runs, "paper-fig10b", folder, "fig10b.png",
                               "Figs 10b, 22-26 (report tier): L, H (left axis) and C (right) of correct / wrong samples"),
        "fig15": figure_cost_matrices(runs, "paper-fig15", folder, "fig15.png",
                                      "Fig 15 (report tier): 8 minimal cells, summed over cells ×1e3"),
        "fig16": figure_cost_matrices(runs, "paper-fig16", folder, "fig16.png",
                                      "Fig 16 (report tier): 8 original cells, summed over cells ×1e3"),
        "fig19": figure_fig19(runs, folder),
        "fig21": figure_split(runs, "paper-fig21", folder, "fig21.png",
                              "Fig 21 (report tier): L, H (left axis) and C (right) of correct / wrong samples"),
        "evolution-dsnas": figure_growing(runs, folder),
        "evolution-snas": figure_search(runs, "paper-evolution-snas", folder, "evolution-snas.png",
                                        "Figs 1, 3 (report tier): SNAS, p(none) per edge"),
        "fig29": figure_cost_matrices(runs, "paper-appxh-norm", folder, "fig29.png",
                                      "Fig 29 (report tier): instance norm, mean cost ×1e3"),
        "fig30": figure_cost_matrices(runs, "paper-appxh-order", folder, "fig30-31.png",
                                      "Figs 30-31 (report tier): op orders, mean cost ×1e3"),
        "claim7": figure_claim7(runs, folder),
        "p1p2-topology": figure_topology(runs, ["paper-p1p2-dsnas"], folder, "p1p2-topology.png",
                                         "P1, P2: DSNAS, most likely op per edge per epoch"),
        "p1p2-none": figure_none_probability(runs, ["paper-p1p2-dsnas"], folder, "p1p2-none.png",
                                             "P1, P2: DSNAS, p(none) per edge"),
        "p3-topology": figure_topology(runs, ["paper-p3-darts"], folder, "p3-topology.png",
                                       "P3: DARTS bi-level and single-level, most likely op per edge per epoch"),
        "p3-none": figure_none_probability(runs, ["paper-p3-darts"], folder, "p3-none.png",
                                           "P3: DARTS bi-level and single-level, p(none) per edge"),
        "evolution-topology": figure_topology(runs, ["paper-evolution-dsnas", "paper-evolution-snas", "paper-fig10a"],
                                              folder, "evolution-topology.png",
                                              "Figs 1, 11, 13 (report tier): most likely op per edge per epoch"),
    }
    every = [r for g in runs.values() for r in g]
    lines = ["# Reproduction report", "",
             "Generated by `tools/reproduce_report.py` from the result files of `make reproduce` (the report tier, "
             "`experiments/paper/*.yaml`); nothing below is typed by hand except the paper's statements and the "
             "criteria. Regenerate with `make report`.", ""]
    codes = sorted({r.code_version for r in every})
    seconds = [r.seconds for r in every if r.seconds is not None]
    lines += [f"- Runs: {len(every)} in {len(runs)} experiments; code version(s) {', '.join(codes) or 'n/a'}; "
              f"data {', '.join(sorted({r.config['data']['dataset'] for r in every})) or 'n/a'}.",
              f"- Compute time recorded in the files: {sum(seconds) / 60:.1f} min over {len(seconds)} runs.", ""]
    counts = {v: sum(c["verdict"] == v for c in claims) for v in VERDICTS}
    lines += ["## Claims (reference-spec section 10)", "",
              "Verdicts: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + ".", "",
              "| # | claim | measured | verdict |", "|---|---|---|---|"]
    for c in claims:
        lines.append(f"| {c['number']} | {cell(c['claim'])} | {cell(c['measured'])} | **{c['verdict']}** |")
    lines += ["", "### Criteria and runs", ""]
    for c in claims:
        lines.append(f"- **{c['number']}**: {c['criterion']}. Runs: "
                     + (", ".join(f"`{i}`" for i in c["runs"]) if c["runs"] else "none") + ".")
    lines += pattern_section(runs) + regime_section(runs) + init_regime_section(runs) + exceeding_section()
    lines += ["", "## Settings that differ from the paper", "",
              "| experiment | paper items | paper's setting | report tier (from the files) | runs | minutes |",
              "|---|---|---|---|---|---|"]
    for name in sorted(runs):
        group = runs[name]
        items, paper = PAPER_SETTINGS.get(name, ("", ""))
        minutes = sum(r.seconds or 0 for r in group) / 60
        lines.append(f"| {name} | {items} | {paper} | {tier_setting(group[0])} | "
                     + ", ".join(f"`{r.id}`" for r in group) + f" | {minutes:.1f} |")
    lines += ["", "## Training length: where the train loss levels off", "",
              "Per trained phase: the epoch at which the epoch-mean train loss has made 90% of its total decrease, "
              "the relative change over the last epoch, and whether the loss has levelled off. A cosine schedule "
              "makes the last epochs' change small by itself, so the plateau is read per unit of learning rate: "
              "the loss fall per summed learning rate over the last third of the epochs, as a fraction of the same "
              "over the first third (the rate ratio). A plateau: the loss fell by at least 20% and the rate ratio "
              "is below 0.1.", "",
              "| experiment | run | phase | epochs | 90% of decrease at epoch | last-epoch change | loss first → last "
              "| rate ratio | plateau |", "|---|---|---|---|---|---|---|---|---|"]
    for name in sorted(runs):
        for run in runs[name]:
            for phase, epochs, reached, change, first, last, ratio in plateau(run):
                levelled = (first - last) >= 0.2 * first and ratio < 0.1
                lines.append(f"| {name} | `{run.id}` {run.name if run.varying else ''} | {phase} | {epochs} | {reached} | "
                             f"{100 * change:.1f}% | {first:.3f} → {last:.3f} | {fmt(ratio)} | "
                             f"{'yes' if levelled else 'no'} |")
    lines += ["", "## Figures (reference-spec section 7)", ""]
    captions = [
        ("fig4", "Figs 4a / 4b: mean cost of each op on each edge at initialisation and after training."),
        ("fig7", "Fig 7: train and validation loss / accuracy per epoch, averaged cost per edge and its sum."),
        ("fig9a", "Figs 9a / 27: averaged cost per edge under the six restrictions of the simplified cell."),
        ("fig9b", "Figs 9b / 28: averaged cost per edge in the four settings of the modified cell."),
        ("fig10a", "Figs 10a, 13, 14: bi-level DARTS search-batch cost per edge, and p(none)."),
        ("fig10b", "Figs 10b, 22-26: C, L, H of correct and wrong samples per epoch, train and search batches."),
        ("fig15", "Fig 15: Fig 4 with 8 minimal cells."),
        ("fig16", "Fig 16: Fig 4 with 8 original cells."),
        ("fig19", "Fig 19: Σ_e averaged cost per cell per epoch."),
        ("fig21", "Fig 21: C, L, H of correct and wrong samples per epoch."),
        ("evolution-dsnas", "Figs 11-12: DSNAS evolution, two alpha learning rates."),
        ("evolution-snas", "Figs 1, 3: SNAS evolution."),
        ("fig29", "Fig 29: affine-free and affine instance norm."),
        ("fig30", "Figs 30-31: op orders."),
        ("claim7", "Claim 7: Theorem 2 residual against eps."),
        ("p1p2-topology", "P1, P2 (claims 16, 17): the wiring per epoch of each seed."),
        ("p1p2-none", "P1, P2: p(none) per edge, input against intermediate edges."),
        ("p3-topology", "P3 (claim 18): the wiring per epoch, bi-level and its single-level control per seed."),
        ("p3-none", "P3: p(none) per edge, bi-level and single-level."),
        ("evolution-topology", "Figs 1, 11, 13: the most likely cell per epoch of the evolution runs."),
    ]
    for key, caption in captions:
        if figures.get(key):
            lines += [f"**{caption}**", "", f"![{key}]({rel}/{figures[key]})", ""]
        else:
            lines += [f"**{caption}** No result files (run `make reproduce`).", ""]
    group = [r for r in runs.get("paper-fig10b", []) if r.has("search/split_mean")]
    if group:
        t = fig10b_table(group[0])
        lines += ["### Fig 10b table (last epoch, nats)", "",
                  "| batches | subset | C | L | H | samples |", "|---|---|---|---|---|---|"]
        for (batches, subset), (l, h, c, n) in t.items():
            lines.append(f"| {batches} | {subset} | {c:.3f} | {l:.3f} | {h:.3f} | {int(n)} |")
        lines += ["", "Paper (CIFAR-10): train correct −0.11 = 0.06 − 0.17, search correct 0.08 − 0.19; "
                  "wrong 0.80 = 1.70 − 0.90 (train), 2.18 = 2.92 − 0.74 (search).", ""]
    rows = growing_tendency(runs)
    lines += ["## The growing tendency, one level deeper", ""]
    if rows:
        lines += ["DSNAS on one minimal cell at two alpha learning rates. DSNAS lowers the probability of a sampled op "
                  "whose cost is positive, so none (cost 0) can only gain while the sampled ops' costs are positive.", "",
                  "| run | alpha lr | mean non-none cost, first 5 batches | batches until its 5-batch moving mean "
                  "is ≤ 0 | mean non-none cost, epochs 0-2 | p(none) per edge after epoch 0 | p(none) per edge at the "
                  "end (start 1/8) |", "|---|---|---|---|---|---|---|"]
        for row in rows:
            run = row["run"]
            after_first = run.get("search/none_prob")[0]
            lines.append(f"| `{run.id}` {run.name} | {alpha_lr(run)} | {fmt(row['first_batches'])} | "
                         f"{row['positive_batches']} of {len(run.get('steps/loss'))} | "
                         + ", ".join(fmt(m) for m in row["means"][:3]) + " | "
                         + ", ".join(f"{v:.4f}" for v in after_first) + " | "
                         + ", ".join(f"{v:.3f}" for v in row["none_end"]) + " |")
        gains = [r for r in rows if (r["run"].get("search/none_prob")[0] > r["none_start"]).any()]
        spans = ", ".join(f"{r['positive_batches']} batches (`{r['run'].id}`)" for r in rows)
        lines += ["", "Computed conclusion: the non-none costs stay positive for " + spans + " from the start; "
                  + ("none gained on some edge by the end of epoch 0 in " + ", ".join(f"`{r['run'].id}`" for r in gains)
                     if gains else "that is not long enough for none to gain: after epoch 0 p(none) is below 1/8 "
                                   "on every edge in every run")
                  + ". Once the sampled ops' costs are negative, DSNAS raises their probabilities and none, whose "
                    "cost is 0, loses; the growing tendency needs positive costs, which this tier has only at "
                    "initialisation (claim 10).", ""]
    else:
        lines += ["No result files of paper-evolution-dsnas.", ""]
    with open(out, "w") as handle:
        handle.write("\n".join(lines))
    return claims


def pattern_section(runs):
    rows = seed_table(runs)
    if not rows:
        return []
    lines = ["", "## The three patterns, per seed (claims 16-18)", "",
             "Each seed is judged on its own: first its premise (the condition the paper's mechanism needs, measured "
             "in the same run), then the pattern. A seed without its premise counts neither way.", "",
             "| pattern | seed | premise (measured) | premise | pattern | measured | runs |",
             "|---|---|---|---|---|---|---|"]
    for name, seed, gate_text, gate, holds, text, ids in rows:
        lines.append(f"| {name} | {seed} | {cell(gate_text)} | {'holds' if gate else '**absent**'} | "
                     f"{'n/a' if not gate else ('holds' if holds else 'does not hold')} | {cell(text)} | `{ids}` |")
    return lines


def regime_section(runs):
    rows = regime_table(runs)
    if not rows:
        return []
    lines = ["", "## Regime: what the runs reached", "",
             "The premises need a fitted, confident network (P3) and positive costs at initialisation that last "
             "while alpha moves (P1, P2). Per run: train accuracy of the last epoch, held-out accuracy (the search "
             "half for bi-level runs, else the last eval pass), the entropy of correctly classified train samples "
             "(paper Fig 10b: 0.17), and how many batches the init costs of the non-none ops stayed positive "
             "(5-batch moving mean).", "",
             "| experiment | run | algorithm | network | train images | length | θ lr | α lr | train acc | held-out "
             "acc | gap | H(correct) | positive init costs (batches) |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, run, setting, row in rows:
        gap = row["train"] - row["held_out"]
        lines.append(f"| {name} | `{run.id}` {run.name} | " + " | ".join(cell(v) for v in setting)
                     + f" | {row['train']:.3f} | {fmt(row['held_out'])} | {fmt(gap)} | {fmt(row['entropy'])} | "
                     f"{row['positive_batches']} of {row['batches']} |")
    return lines


def init_regime_section(runs):
    rows = init_regime_table(runs)
    if not rows:
        return []
    lines = ["", "### At initialisation: the sign of the costs against capacity", "",
             "A probe of the initial network (theta and alpha frozen) per setting and seed. P1 and P2 need the "
             "non-none costs positive here (Sec 5.2); the seed is the unit.", "",
             "| cell | cells | channels | seeds positive | non-none cost per seed (×1e-3 nats) | C_Z per seed (×1e-3) "
             "| mean L | mean H |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['cell']} | {r['cells']} | {r['channels']} | {int((r['costs'] > 0).sum())} of {r['seeds']} | "
                     + ", ".join(f"{v * 1e3:.1f}" for v in r["costs"]) + " | "
                     + ", ".join(f"{v * 1e3:.1f}" for v in r["cost_Z"]) + f" | {r['loss']:.3f} | {r['entropy']:.3f} |")
    return lines


def exceeding_section():
    rows = [r for number, values in EXCEEDING.items() for r in describe_exceeding(number, values)]
    lines = ["", "## Batches beyond the identities' tolerance", "",
             "Every batch whose residual exceeds the spec's tolerance (1e-3 × Σ|C| + 1e-6 nats), with what sets it "
             "apart, computed from the data: its scale Σ|C| (a small scale inflates a relative residual) and the op "
             "over-represented among such batches. The residual of Theorems 1-2 is exactly 0 only without the "
             "batch-norm eps (claim 7); a channel with a variance near eps makes eps / (var + eps) large.", ""]
    if not rows:
        return lines + ["None: every batch of every identity claim is within tolerance.", ""]
    summaries = [r for r in rows if " batches beyond tolerance;" in r]
    details = [r for r in rows if r not in summaries]
    lines += [f"- {r}" for r in summaries]
    lines += ["", "<details><summary>every such batch</summary>", ""] + [f"- {r}" for r in details] + ["", "</details>", ""]
    return lines


def parse(argv):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default="results", help="folder of the experiment folders (default: results)")
    parser.add_argument("--out", default="REPRODUCTION.md", help="the Markdown report to write")
    parser.add_argument("--figures", default="docs/reproduction", help="folder of the PNG figures")
    parser.add_argument("--verdicts", action="store_true", help="also print 'CLAIM <n> <verdict>' lines")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    try:
        import matplotlib
        matplotlib.use("Agg")
        runs = load_runs(args.results)
        if not runs:
            raise UsageError(f"{args.results}: no result files of the report tier ({PREFIX}*/); run `make reproduce`")
        claims = write_report(runs, args.out, args.figures)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except ImportError as error:
        print(f"{PROG}: error: {error} (install python3-h5py python3-numpy python3-matplotlib; "
              f"run with /usr/bin/python3)", file=sys.stderr)
        return 2
    if args.verdicts:
        for c in claims:
            print(f"CLAIM {str(c['number']).replace(' (', '/').rstrip(')')} {c['verdict']}")
    print(f"wrote {args.out} ({sum(c['verdict'] == REPRODUCED for c in claims)} of {len(claims)} claims reproduced)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
