#!/usr/bin/env python3
"""Figures of the paper from WiringLab result files and collected sweeps (layout: docs/results-format.md).

For each RESULT.h5 (one run, written by `wiringlab run`) it writes, into --out, PNGs named
``<name>-<figure>.png``:

  fig4          Fig 4: mean cost of each op on each edge (summed over cells), one panel per phase, one shared
                colour scale centred at 0 for all phases, values written in, never-sampled entries blank
                (--sem adds a row of standard errors);
  fig7a         Fig 7a: training loss and accuracy per epoch from /steps (validation curves from /eval when it exists);
  fig19         Fig 19: per-cell cost (sum of the cell's edge costs) per epoch, one line per cell;
  cost-progress per-epoch mean of /steps/edge_cost per edge against the global epoch index;
  split         C/L/H per (phase, epoch) for correct, wrong and all samples (Figs 21-26);
  residuals     the identity residuals of Theorem 2 and Corollary 1.2 per step (log scale);
and, for runs with search phases:
  fig3          Figs 3 / 12 / 14: op probabilities per edge over epochs, from /search/prob (so constraints and
                deleted edges are shown as recorded), starting from /search/initial_prob when recorded;
  fig1          Figs 1 / 11 / 13: the most likely cell (/search/topology) drawn at a few epochs;
  fig10a        Fig 10a (bi-level DARTS): search-batch cost of each op per edge per epoch (/search/batch_op_cost);
  fig10b        Fig 10b: the C/L/H table of the last epoch, train (theta) batches vs search (alpha) batches.

For each SWEEP.h5 (written by `wiringlab collect`) it writes ``<name>-fig9.png`` (Figs 9 / 27 / 28: mean cost of
each op per epoch, one panel per setting, shared axes, mean over seeds with a +-SEM band), ``<name>-fig9-edges.png``
(the same by edge) and ``<name>-loss.png`` (training loss per setting).

Values within float noise of zero (|v| below 8 machine epsilons of the run's precision times the loss scale, or
--noise) are drawn and printed as 0, and the figure says so, rather than stretching a colour scale over noise.
--table prints the mean-cost matrices as text. Runs under Debian's /usr/bin/python3 with python3-h5py,
python3-matplotlib and numpy. User errors (missing file, not a result file) print one line and exit 2.
"""

import argparse
import os
import re
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wiringlab_files import (FORMAT, SWEEP_FORMAT, UsageError, check_format_version,  # noqa: E402
                             open_checked, parse_edge, text)

PROG = "plot_results.py"
EPSILON = {"float32": 1.1920929e-07, "float64": 2.220446049250313e-16}


def fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------------------------------------------------
# Reading


class Result:
    """The parts of one result file the figures need, read eagerly so the file is closed at once."""

    def __init__(self, path, f):
        import numpy as np

        self.path = path
        self.name = re.sub(r"\.h5$", "", os.path.basename(path))
        check_format_version(path, f, PROG)

        def read(name):
            if name not in f:
                raise UsageError(f"{path}: missing dataset /{name} (an incomplete or damaged result file)")
            return f[name][()]

        def optional(name, dtype=float):
            return np.asarray(f[name][()], dtype=dtype) if name in f else None

        names = [text(f.attrs[k]) for k in ("experiment", "run_name") if k in f.attrs]
        self.title = " / ".join(dict.fromkeys(names)) or self.name                 # a run without a grid: its name once
        self.phases = [text(s) for s in read("phases")]
        self.edges = [text(s) for s in read("edges")]
        self.ops = [text(s) for s in read("ops")]
        self.cost_mean = np.asarray(read("summary/cost_mean"), dtype=float)     # (P, L, E, O)
        self.cost_sem = np.asarray(read("summary/cost_sem"), dtype=float)
        self.cost_count = np.asarray(read("summary/cost_count"), dtype=np.int64)
        self.step_phase = np.asarray(read("steps/phase"), dtype=int)             # (S,)
        self.step_epoch = np.asarray(read("steps/epoch"), dtype=int)
        self.edge_cost = np.asarray(read("steps/edge_cost"), dtype=float)       # (S, L, E)
        self.loss = np.asarray(read("steps/loss"), dtype=float)
        self.accuracy = np.asarray(read("steps/accuracy"), dtype=float)
        self.split_phase = np.asarray(read("summary/split_phase"), dtype=int)   # (R,)
        self.split_epoch = np.asarray(read("summary/split_epoch"), dtype=int)
        self.split_mean = np.asarray(read("summary/split_mean"), dtype=float)   # (R, subset, quantity)
        self.subsets = [text(s) for s in read("subset")] if "subset" in f else ["correct", "wrong", "all"]
        self.thm2 = np.asarray(read("checks/thm2_residual"), dtype=float)       # (S,)
        self.cor12 = np.asarray(read("checks/cor12_residual"), dtype=float)
        self.prob = optional("search/prob")                                     # (search_epoch, E, O)
        self.initial_prob = optional("search/initial_prob")                     # (E, O), when recorded
        self.topology = optional("search/topology", int)                       # (search_epoch, E)
        self.search_phase = optional("search/phase", int)
        self.search_epoch = optional("search/epoch", int)
        self.batch_step = optional("search/batch_step", int)                   # (search_batch,)
        self.batch_op_cost = optional("search/batch_op_cost")                   # (search_batch, L, E, O)
        self.batch_loss = optional("search/batch_loss")
        self.batch_entropy = optional("search/batch_entropy")
        self.batch_cost = optional("search/batch_cost_Z")
        # Search diagnostics (a search phase's `diagnostics`): one row per search epoch, NaN where none ran.
        self.hessian_eigenvalue = optional("search/hessian_eigenvalue")         # (search_epoch,)
        self.diagnostic_op_cost = optional("search/diagnostic_op_cost")         # (search_epoch, L, E, O)
        self.strength_pick = optional("search/strength_pick", int)             # (search_epoch, E)
        self.none_prob = optional("search/none_prob")                           # (search_epoch, E)
        # Validation curves: an `eval` group (planned) with per-(phase, epoch) rows.
        self.eval = {k: np.asarray(f["eval"][k][()], dtype=float) for k in f["eval"]} if "eval" in f else None
        precision = text(f.attrs["precision"]) if "precision" in f.attrs else "float32"
        scale = max(1.0, float(np.nanmax(np.abs(self.loss)))) if self.loss.size else 1.0
        self.noise = 8 * EPSILON.get(precision, EPSILON["float32"]) * scale
        self.cells = self.cost_mean.shape[1]

    def phase_cost_matrix(self, p, values=None):
        """(edges, ops) mean cost of phase p summed over cells; NaN where some cell never sampled the op."""
        import numpy as np

        values = self.cost_mean if values is None else values
        sampled = (self.cost_count[p] > 0).all(axis=0)
        return np.where(sampled, values[p].sum(axis=0), np.nan)

    def epoch_keys(self):
        """The (phase, epoch) pairs of the steps in order of first appearance: the global epoch axis."""
        keys = []
        for pair in zip(self.step_phase.tolist(), self.step_epoch.tolist()):
            if not keys or keys[-1] != pair:
                keys.append(pair)
        return keys

    def per_epoch(self, values):
        """Means of per-step `values` (S, ...) over the steps of each (phase, epoch), in epoch_keys order."""
        import numpy as np

        return np.array([values[(self.step_phase == p) & (self.step_epoch == e)].mean(axis=0)
                         for p, e in self.epoch_keys()])


class Sweep:
    """A collected sweep: the per-step records of every (setting, seed), NaN-padded."""

    def __init__(self, path, f):
        import numpy as np

        self.path = path
        self.name = re.sub(r"\.h5$", "", os.path.basename(path))
        self.title = text(f.attrs.get("experiment", self.name))
        if "steps" not in f:
            raise UsageError(f"{path}: a sweep file without /steps (collect it again with `wiringlab collect`)")
        steps = f["steps"]
        self.settings = [text(s) for s in steps["setting"][()]]

        def stacked(name):
            values = np.asarray(steps[name][()], dtype=float)
            return values if "seed" in steps else values[:, None]               # (setting, seed, step, ...)

        self.seeds = steps["seed"][()].tolist() if "seed" in steps else [None]
        def labels(name):
            for home in (f, f["summary"] if "summary" in f else f, steps):
                if name in home:
                    return [text(s) for s in home[name][()]]
            raise UsageError(f"{path}: no /{name} labels (collect the sweep again with `wiringlab collect`)")

        self.ops = labels("ops")                                               # the union of the runs' ops
        self.edges = labels("edges")
        self.phases = [text(s) for s in f["summary"]["phases"][()]] if "summary" in f else []
        self.phase = stacked("phase")
        self.epoch = stacked("epoch")
        self.edge_op = stacked("edge_op")                                       # (setting, seed, step, L, E)
        self.edge_cost = stacked("edge_cost")
        self.op_cost = stacked("op_cost") if "op_cost" in steps else None       # (setting, seed, step, L, E, O)
        self.loss = stacked("loss")

    def op_cost_per_epoch(self, s, k):
        """(epoch keys, (epochs, ops) mean cost of each op per epoch) for setting s, seed k; NaN where unsampled."""
        import numpy as np

        valid = np.isfinite(self.phase[s, k])
        phase, epoch = self.phase[s, k][valid].astype(int), self.epoch[s, k][valid].astype(int)
        keys = []
        for pair in zip(phase.tolist(), epoch.tolist()):
            if not keys or keys[-1] != pair:
                keys.append(pair)
        chosen = self.edge_op[s, k][valid]
        cost = self.edge_cost[s, k][valid]
        mixture = self.op_cost[s, k][valid] if self.op_cost is not None else None
        table = np.full((len(keys), len(self.ops)), np.nan)
        for i, (p, e) in enumerate(keys):
            rows = (phase == p) & (epoch == e)
            for o in range(len(self.ops)):
                samples = list(cost[rows][chosen[rows] == o])
                if mixture is not None:
                    samples += list(mixture[rows][..., o][chosen[rows] == -1])
                if samples:
                    table[i, o] = np.mean(samples)
        return keys, table


def load(path):
    f, kind = open_checked(path)
    try:
        return Sweep(path, f) if kind == SWEEP_FORMAT else Result(path, f)
    finally:
        f.close()


# ---------------------------------------------------------------------------------------------------------------------
# Figures


def file_name(*parts):
    """A file name from labels: anything but letters, digits, '.', '_' and '-' becomes '_'."""
    return "-".join(re.sub(r"[^A-Za-z0-9._-]+", "_", part) for part in parts) + ".png"


def denoise(values, noise):
    """`values` with entries within float noise of zero set to 0, and whether any nonzero entry was so set."""
    import numpy as np

    values = np.array(values, dtype=float)
    small = np.isfinite(values) & (np.abs(values) < noise) & (values != 0)
    values[small] = 0.0
    return values, bool(small.any())


def save(fig, out, *parts):
    import matplotlib.pyplot as plt

    path = os.path.join(out, file_name(*parts))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def mark_phases(ax, keys, phases):
    """Dashed lines between phases along an axis whose position i has phase keys[i][0]; names above the axes.

    Callers give their title a pad so that the names sit between the axes and the title."""
    import matplotlib.transforms as transforms
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))                     # epochs and steps are whole numbers
    starts = [i for i, key in enumerate(keys) if i == 0 or key[0] != keys[i - 1][0]]
    trans = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    for n, start in enumerate(starts):
        if start > 0:
            ax.axvline(start - 0.5, color="0.6", linestyle="--", linewidth=0.8)
        end = starts[n + 1] if n + 1 < len(starts) else len(keys)
        name = phases[keys[start][0]] if keys[start][0] < len(phases) else f"phase {keys[start][0]}"
        ax.text((start + end - 1) / 2, 1.01, name, transform=trans, ha="center", va="bottom", fontsize=8, color="0.35")


def noise_note(fig, noisy, noise):
    if noisy:
        fig.text(0.01, 0.005, f"values with |v| < {noise:.1e} (float noise) are shown as 0", fontsize=7, color="0.3")


def fig4(result, out, with_sem=False):
    """Fig 4: one heat map per phase on one colour scale shared by all phases, centred at 0."""
    import matplotlib.pyplot as plt
    import numpy as np

    phases = len(result.phases)
    matrices, noisy = [], False
    for p in range(phases):
        matrix, changed = denoise(result.phase_cost_matrix(p), result.noise)
        matrices.append(matrix)
        noisy |= changed
    finite = np.abs(np.concatenate([m[np.isfinite(m)] for m in matrices])) if matrices else np.array([])
    limit = finite.max() if finite.size and finite.max() > 0 else 1.0
    rows = 2 if with_sem else 1
    edges, ops = matrices[0].shape
    cmap = plt.get_cmap("RdBu_r").copy()
    cmap.set_bad("white")
    fig, axes = plt.subplots(rows, phases, figsize=(0.9 + 0.8 * ops * phases, 1.4 + 0.42 * edges * rows),
                             squeeze=False, constrained_layout=True)
    image = None
    for p in range(phases):
        panels = [(axes[0, p], matrices[p], "mean", limit)]
        if with_sem:
            sem = np.sqrt((result.cost_sem[p] ** 2).sum(axis=0))                 # cells are independent sums
            sem = np.where(np.isfinite(matrices[p]), sem, np.nan)
            panels.append((axes[1, p], sem, "SEM", limit))
        for ax, matrix, what, scale in panels:
            shown = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, vmin=-scale, vmax=scale, aspect="auto")
            image = image or shown
            for e in range(edges):
                for o in range(ops):
                    v = matrix[e, o]
                    if np.isfinite(v):
                        label = "0" if v == 0 else f"{v:.2g}"
                        ax.text(o, e, label, ha="center", va="center", fontsize=6,
                                color="white" if abs(v) > 0.6 * scale else "black")
            ax.set_xticks(range(ops), result.ops, rotation=40, ha="right", fontsize=7)
            ax.set_yticks(range(edges), result.edges if p == 0 else [""] * edges, fontsize=7)
            ax.set_title(f"{result.phases[p]} ({what})", fontsize=8)
    cells = f", summed over {result.cells} cells" if result.cells > 1 else ""
    fig.suptitle(f"{result.title}: mean edge cost per op{cells} (Fig 4)", fontsize=9)
    fig.colorbar(image, ax=axes, label="sum dL/dh * h (nats)", shrink=0.8)
    noise_note(fig, noisy, result.noise)
    return save(fig, out, result.name, "fig4")


def fig7a(result, out):
    """Fig 7a: loss and accuracy per epoch of the training batches; validation curves when /eval exists."""
    import matplotlib.pyplot as plt
    import numpy as np

    keys = result.epoch_keys()
    x = np.arange(len(keys))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    for ax, values, name in ((left, result.loss, "loss (nats)"), (right, result.accuracy, "accuracy")):
        ax.plot(x, result.per_epoch(values), marker="o", markersize=3, label="train batches")
        if result.eval is not None and name.split()[0] in result.eval:
            ev = result.eval[name.split()[0]]
            ax.plot(np.arange(len(ev)), ev, marker="s", markersize=3, label="validation")
        mark_phases(ax, keys, result.phases)
        ax.set_xlabel("global epoch (phases in order)")
        ax.set_ylabel(name)
        ax.set_title(name.split()[0], fontsize=9, pad=14)
        ax.set_xlim(-0.5, len(keys) - 0.5)
        ax.legend(fontsize=7)
    fig.suptitle(f"{result.title}: loss and accuracy per epoch (Fig 7a)", fontsize=9)
    return save(fig, out, result.name, "fig7a")


def fig19(result, out):
    """Fig 19: per-cell cost per epoch (sum over the cell's edges of the edge cost)."""
    import matplotlib.pyplot as plt
    import numpy as np

    keys = result.epoch_keys()
    per_cell, noisy = denoise(result.per_epoch(result.edge_cost.sum(axis=2)), result.noise)   # (epochs, L)
    fig, ax = plt.subplots(figsize=(7, 3.8), constrained_layout=True)
    for c in range(per_cell.shape[1]):
        ax.plot(np.arange(len(keys)), per_cell[:, c], marker="o", markersize=3, label=f"cell{c}")
    ax.axhline(0, color="black", linewidth=0.6)
    mark_phases(ax, keys, result.phases)
    ax.set_xlabel("global epoch (phases in order)")
    ax.set_ylabel("sum of edge costs of the cell (nats)")
    ax.set_title(f"{result.title}\nper-cell cost (Fig 19)", fontsize=9, pad=14)
    ax.legend(fontsize=7, ncol=2 if per_cell.shape[1] > 8 else 1)
    noise_note(fig, noisy, result.noise)
    return save(fig, out, result.name, "fig19")


def cost_progress(result, out):
    """Per-epoch mean edge cost (summed over cells) of every edge, against the global epoch index."""
    import matplotlib.pyplot as plt
    import numpy as np

    keys = result.epoch_keys()
    means, noisy = denoise(result.per_epoch(result.edge_cost.sum(axis=1)), result.noise)      # (epochs, E)
    fig, ax = plt.subplots(figsize=(7.5, 4.2), constrained_layout=True)
    x = np.arange(len(keys))
    for e, label in enumerate(result.edges):
        ax.plot(x, means[:, e], marker="o", markersize=3, linewidth=1.2, label=label)
    ax.axhline(0, color="black", linewidth=0.6)
    mark_phases(ax, keys, result.phases)
    ax.set_xlabel("global epoch (phases in order)")
    ax.set_ylabel("mean edge cost per batch (nats)")
    cells = f", summed over {result.cells} cells" if result.cells > 1 else ""
    ax.set_title(f"{result.title}\nedge cost over training{cells}", fontsize=9, pad=14)
    ax.legend(fontsize=7, ncol=2 if len(result.edges) > 7 else 1, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_xlim(-0.5, len(keys) - 0.5)
    noise_note(fig, noisy, result.noise)
    return save(fig, out, result.name, "cost-progress")


def split(result, out):
    """C/L/H per (phase, epoch): L and H on the left axis, C on a twin right axis, one panel per subset."""
    import matplotlib.pyplot as plt
    import numpy as np

    keys = list(zip(result.split_phase.tolist(), result.split_epoch.tolist()))
    x = np.arange(len(keys))
    panels = len(result.subsets)
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 3.8), constrained_layout=True, squeeze=False)
    for k, ax in enumerate(axes[0]):
        loss, entropy, cost = (result.split_mean[:, k, q] for q in range(3))
        lines = ax.plot(x, loss, marker="o", markersize=3, color="tab:blue", label="L (loss)")
        lines += ax.plot(x, entropy, marker="s", markersize=3, color="tab:green", label="H (entropy)")
        twin = ax.twinx()
        lines += twin.plot(x, cost, marker="^", markersize=3, color="tab:red", label="C = L - H")
        twin.axhline(0, color="tab:red", linewidth=0.5, alpha=0.5)
        ax.set_xlim(-0.5, len(keys) - 0.5)
        mark_phases(ax, keys, result.phases)
        ax.set_xlabel("global epoch (phases in order)")
        ax.set_ylabel("L, H (nats)")
        twin.set_ylabel("C (nats)", color="tab:red")
        twin.tick_params(axis="y", colors="tab:red")
        n = np.nan_to_num(result.split_mean[:, k, 3]).sum()
        ax.set_title(f"{result.subsets[k]} samples (n = {int(n)})", fontsize=9, pad=14)
        if k == 0:
            ax.legend(lines, [line.get_label() for line in lines], fontsize=7, loc="center left")
    fig.suptitle(f"{result.title}: per-sample cost split (means per epoch)", fontsize=9)
    return save(fig, out, result.name, "split")


def residuals(result, out):
    """Theorem 2 and Corollary 1.2 residuals per step, log scale; zeros (exact or undefined) are not drawn."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7.5, 3.8), constrained_layout=True)
    step = np.arange(result.thm2.size)
    series = [("Theorem 2: |Σ C(e) − C_Z| / Σ |C(e)|, last cell", result.thm2, "tab:blue")]
    if result.cells > 1:
        series.append(("Corollary 1.2: |Σ C(e)| / Σ |C(e)|, worst other cell", result.cor12, "tab:orange"))
    drawn = False
    for label, values, color in series:
        positive = np.where(values > 0, values, np.nan)
        if np.isfinite(positive).any():
            ax.plot(step, positive, marker=".", markersize=3, linewidth=0.8, color=color, label=label)
            drawn = True
    if drawn:
        ax.set_yscale("log")
    else:
        ax.text(0.5, 0.5, "every residual is exactly 0", transform=ax.transAxes, ha="center")
    ax.axhline(1e-3, color="tab:red", linestyle=":", linewidth=1, label="spec bound 1e-3")
    mark_phases(ax, [(p,) for p in result.step_phase.tolist()], result.phases)
    ax.set_xlabel("step")
    ax.set_ylabel("relative residual")
    ax.set_title(f"{result.title}\nidentity residuals per step", fontsize=9, pad=14)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)  # below: never hides data
    return save(fig, out, result.name, "residuals")


def panel_grid(count, columns=5, width=2.6, height=2.2, **options):
    import matplotlib.pyplot as plt

    columns = max(1, min(count, columns))
    rows = (count + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns + 1.6, height * rows + 0.7), squeeze=False,
                             constrained_layout=True, **options)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, axes


def fig3(result, out):
    """Figs 3 / 12 / 14: /search/prob per edge over epochs; ops an edge's constraints exclude are left out."""
    import numpy as np
    from matplotlib.lines import Line2D

    prob = result.prob
    if result.initial_prob is not None:
        prob = np.concatenate([result.initial_prob[None], prob])
    start = 0 if result.initial_prob is not None else 1
    epochs = np.arange(start, start + prob.shape[0])                           # 0 = initial alpha
    fig, axes = panel_grid(len(result.edges), sharex=True, sharey=True)
    for e, ax in enumerate(axes.flat[:len(result.edges)]):
        allowed = [o for o in range(len(result.ops)) if np.any(prob[:, e, o] > 0)]
        if not allowed:
            ax.text(0.5, 0.5, "deleted edge", transform=ax.transAxes, ha="center", va="center", color="0.4")
        for o in allowed:
            ax.plot(epochs, prob[:, e, o], linewidth=1.2, label=result.ops[o], color=f"C{o % 10}")
        ax.set_title(result.edges[e], fontsize=8)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=7)
    # One legend for all panels, every op in its fixed colour (an op absent from the first panel is still listed).
    handles = [Line2D([], [], color=f"C{o % 10}", label=op) for o, op in enumerate(result.ops)]
    axes[0, -1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.03, 1.0), fontsize=7)
    from matplotlib.ticker import MaxNLocator
    axes.flat[0].xaxis.set_major_locator(MaxNLocator(integer=True))            # shared by every panel
    first = "0 = initial alpha" if result.initial_prob is not None else "after each epoch"
    fig.supxlabel(f"search epoch ({first})", fontsize=8)
    fig.supylabel("p(op) from /search/prob", fontsize=8)
    fig.suptitle(f"{result.title}: op probabilities per edge (Figs 3 / 12 / 14)", fontsize=9)
    return save(fig, out, result.name, "fig3")


def fig1(result, out, panels=4):
    """Figs 1 / 11 / 13: the most likely op of every edge drawn as a cell, at a few epochs spread over the search."""
    import numpy as np

    rows = result.topology.shape[0]
    chosen = sorted(set(np.linspace(0, rows - 1, min(panels, rows)).round().astype(int).tolist()))
    pairs = [parse_edge(e) for e in result.edges]
    nodes = sorted({n for pair in pairs if pair for n in pair})
    inputs = [n for n in nodes if n < 2]
    inner = [n for n in nodes if n >= 2]
    position = {n: (0.0, 1.0 - 0.6 * i) for i, n in enumerate(inputs)}
    for i, n in enumerate(inner):
        position[n] = (1.0 + i, 0.75 - 0.5 * (i % 2))
    position["out"] = (1.0 + len(inner), 0.5)
    fig, axes = panel_grid(len(chosen), columns=4, width=3.6, height=2.8)
    for ax, row in zip(axes.flat, chosen):
        for e, pair in enumerate(pairs):
            if pair is None:
                continue
            op = int(result.topology[row, e])
            name = result.ops[op] if 0 <= op < len(result.ops) else "deleted"
            (x0, y0), (x1, y1) = position[pair[0]], position[pair[1]]
            dropped = name in ("none", "deleted")
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops=dict(arrowstyle="->", color="0.75" if dropped else "tab:blue",
                                        linestyle="--" if dropped else "-", shrinkA=9, shrinkB=9,
                                        connectionstyle="arc3,rad=0.15"))
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.05, name, fontsize=6, ha="center",
                    color="0.5" if dropped else "black")
        for n in inner:
            ax.annotate("", xy=position["out"], xytext=position[n],
                        arrowprops=dict(arrowstyle="->", color="0.85", shrinkA=9, shrinkB=9))
        for n, (x, y) in position.items():
            ax.text(x, y, "c_{k-%d}" % (2 - n) if n in inputs else ("out" if n == "out" else str(n)), ha="center",
                    va="center", fontsize=7, bbox=dict(boxstyle="circle", facecolor="white", edgecolor="0.3"))
        phase = result.phases[result.search_phase[row]] if result.search_phase is not None else ""
        ax.set_title(f"{phase} epoch {int(result.search_epoch[row]) if result.search_epoch is not None else row}",
                     fontsize=8)
        ax.set_xlim(-0.4, len(inner) + 1.4)
        ax.set_ylim(-0.4, 1.3)
        ax.axis("off")
    fig.suptitle(f"{result.title}: most likely cell (/search/topology; dashed: none or deleted) (Figs 1 / 11 / 13)",
                 fontsize=9)
    return save(fig, out, result.name, "fig1")


def search_batch_epochs(result):
    """The (phase, epoch) of every search batch (through /search/batch_step) and the keys in order."""
    phase = result.step_phase[result.batch_step]
    epoch = result.step_epoch[result.batch_step]
    keys = []
    for pair in zip(phase.tolist(), epoch.tolist()):
        if not keys or keys[-1] != pair:
            keys.append(pair)
    return phase, epoch, keys


def fig10a(result, out):
    """Fig 10a: search-batch cost of each op per edge per epoch (bi-level DARTS), summed over cells."""
    import numpy as np

    phase, epoch, keys = search_batch_epochs(result)
    cost = result.batch_op_cost.sum(axis=1)                                     # (batch, E, O)
    means = np.array([cost[(phase == p) & (epoch == e)].mean(axis=0) for p, e in keys])
    means, noisy = denoise(means, result.noise)
    fig, axes = panel_grid(len(result.edges), sharex=True, sharey=True)
    x = np.arange(len(keys))
    for e, ax in enumerate(axes.flat[:len(result.edges)]):
        for o, op in enumerate(result.ops):
            if op != "none":
                ax.plot(x, means[:, e, o], marker=".", markersize=3, linewidth=1.0, label=op, color=f"C{o % 10}")
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set_title(result.edges[e], fontsize=8)
        ax.tick_params(labelsize=7)
    handles, names = axes.flat[0].get_legend_handles_labels()
    axes[0, -1].legend(handles, names, loc="upper left", bbox_to_anchor=(1.03, 1.0), fontsize=7)
    fig.supxlabel("search epoch", fontsize=8)
    fig.supylabel("search-batch cost dL/dW (nats)", fontsize=8)
    fig.suptitle(f"{result.title}: search-batch op cost per edge (Fig 10a)", fontsize=9)
    noise_note(fig, noisy, result.noise)
    return save(fig, out, result.name, "fig10a")


def clh_rows(result):
    """Fig 10b's rows: (label, C, L, H) of the last epoch of each phase, train batches, then search batches."""
    import numpy as np

    rows = []
    all_samples = result.subsets.index("all") if "all" in result.subsets else -1
    for p, phase in enumerate(result.phases):
        mine = np.flatnonzero(result.split_phase == p)
        if mine.size:
            last = mine[np.argmax(result.split_epoch[mine])]
            loss, entropy, cost = result.split_mean[last, all_samples, :3]
            rows.append((f"{phase}: train batches", cost, loss, entropy))
    if result.batch_step is not None and result.batch_step.size:
        phase, epoch, keys = search_batch_epochs(result)
        p, e = keys[-1]
        chosen = (phase == p) & (epoch == e)
        rows.append((f"{result.phases[p]}: search batches", result.batch_cost[chosen].mean(),
                     result.batch_loss[chosen].mean(), result.batch_entropy[chosen].mean()))
    return rows


def fig10b(result, out):
    """Fig 10b: the C/L/H table (last epoch of each phase), train vs search batches, as a figure."""
    import matplotlib.pyplot as plt

    rows = clh_rows(result)
    fig, ax = plt.subplots(figsize=(6.4, 0.6 + 0.32 * (len(rows) + 1)), constrained_layout=True)
    ax.axis("off")
    cells = [[f"{c:.4f}", f"{l:.4f}", f"{h:.4f}"] for _, c, l, h in rows]
    table = ax.table(cellText=cells, rowLabels=[r[0] for r in rows], colLabels=["C = L − H", "L (loss)", "H (entropy)"],
                     loc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    ax.set_title(f"{result.title}: C/L/H at the last epoch of each phase, nats (Fig 10b)", fontsize=9)
    return save(fig, out, result.name, "fig10b")


def sweep_fig9(sweep, out):
    """Figs 9 / 27 / 28: mean cost of each op per epoch, one panel per setting, shared axes, +-SEM over seeds."""
    import numpy as np
    from matplotlib.lines import Line2D

    fig, axes = panel_grid(len(sweep.settings), columns=3, width=4.0, height=3.0, sharex=True, sharey=True)
    for s, (ax, setting) in enumerate(zip(axes.flat, sweep.settings)):
        tables, keys = [], None
        for k in range(len(sweep.seeds)):
            if not np.isfinite(sweep.phase[s, k]).any():
                continue                                                         # this seed did not run
            keys_k, table = sweep.op_cost_per_epoch(s, k)
            if keys is None or len(keys_k) > len(keys):
                keys = keys_k
            tables.append(table)
        if not tables:
            ax.text(0.5, 0.5, "no runs", transform=ax.transAxes, ha="center")
            continue
        length = max(t.shape[0] for t in tables)
        stack = np.full((len(tables), length, len(sweep.ops)), np.nan)
        for i, t in enumerate(tables):
            stack[i, :t.shape[0]] = t
        x = np.arange(length)
        for o, op in enumerate(sweep.ops):
            if op == "none" or not np.isfinite(stack[:, :, o]).any():
                continue
            counts = np.isfinite(stack[:, :, o]).sum(axis=0)
            with warnings.catch_warnings():                                      # epochs no seed sampled stay NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(stack[:, :, o], axis=0)
                sem = np.where(counts > 1, np.nanstd(stack[:, :, o], axis=0, ddof=1) / np.sqrt(np.maximum(counts, 1)), 0)
            ax.plot(x, mean, marker=".", markersize=3, linewidth=1.1, color=f"C{o % 10}", label=op)
            ax.fill_between(x, mean - sem, mean + sem, color=f"C{o % 10}", alpha=0.2, linewidth=0)
        ax.axhline(0, color="black", linewidth=0.5)
        mark_phases(ax, keys, sweep.phases)
        ax.set_title(setting, fontsize=9, pad=12)
        ax.tick_params(labelsize=7)
    handles = [Line2D([], [], color=f"C{o % 10}", label=op) for o, op in enumerate(sweep.ops) if op != "none"]
    axes[0, -1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.03, 1.0), fontsize=7)
    seeds = f"mean over {len(sweep.seeds)} seeds, band +-SEM" if len(sweep.seeds) > 1 else "one seed"
    fig.supxlabel("global epoch (phases in order)", fontsize=8)
    fig.supylabel("mean cost of the op per edge and batch (nats)", fontsize=8)
    fig.suptitle(f"{sweep.title}: op cost per epoch by setting, {seeds} (Figs 9 / 27 / 28)", fontsize=9)
    return save(fig, out, sweep.name, "fig9")


def sweep_fig9_edges(sweep, out):
    """Fig 9 by edge: mean edge cost (summed over cells) per epoch, one panel per setting, +-SEM over seeds.

    Edges whose cost is exactly 0 throughout (deleted, or always none) are left out."""
    import numpy as np

    per_edge = np.nansum(sweep.edge_cost, axis=3)                              # (setting, seed, step, E)
    per_edge[~np.isfinite(sweep.phase)] = np.nan
    fig, axes = panel_grid(len(sweep.settings), columns=3, width=4.0, height=3.0, sharex=True, sharey=True)
    for s, (ax, setting) in enumerate(zip(axes.flat, sweep.settings)):
        curves, keys = [], None
        for k in range(len(sweep.seeds)):
            valid = np.isfinite(sweep.phase[s, k])
            if not valid.any():
                continue
            phase, epoch = sweep.phase[s, k][valid].astype(int), sweep.epoch[s, k][valid].astype(int)
            keys_k = list(dict.fromkeys(zip(phase.tolist(), epoch.tolist())))
            keys = keys_k if keys is None or len(keys_k) > len(keys) else keys
            curves.append(np.array([per_edge[s, k][valid][(phase == p) & (epoch == e)].mean(axis=0) for p, e in keys_k]))
        if not curves:
            ax.text(0.5, 0.5, "no runs", transform=ax.transAxes, ha="center")
            continue
        length = max(c.shape[0] for c in curves)
        stack = np.full((len(curves), length, len(sweep.edges)), np.nan)
        for i, c in enumerate(curves):
            stack[i, :c.shape[0]] = c
        x = np.arange(length)
        for e, edge in enumerate(sweep.edges):
            if not np.any(np.nan_to_num(stack[:, :, e]) != 0):
                continue
            mean = np.nanmean(stack[:, :, e], axis=0)
            sem = np.nanstd(stack[:, :, e], axis=0, ddof=1) / np.sqrt(len(curves)) if len(curves) > 1 else 0 * mean
            ax.plot(x, mean, marker=".", markersize=3, linewidth=1.1, color=f"C{e % 10}", label=edge)
            ax.fill_between(x, mean - sem, mean + sem, color=f"C{e % 10}", alpha=0.2, linewidth=0)
        ax.axhline(0, color="black", linewidth=0.5)
        mark_phases(ax, keys, sweep.phases)
        ax.set_title(setting, fontsize=9, pad=12)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    seeds = f"mean over {len(sweep.seeds)} seeds, band +-SEM" if len(sweep.seeds) > 1 else "one seed"
    fig.supxlabel("global epoch (phases in order)", fontsize=8)
    fig.supylabel("mean edge cost per batch, summed over cells (nats)", fontsize=8)
    fig.suptitle(f"{sweep.title}: edge cost per epoch by setting, {seeds} (Fig 9)", fontsize=9)
    return save(fig, out, sweep.name, "fig9-edges")


def sweep_loss(sweep, out):
    """Training loss per global epoch of every setting, mean over seeds with a +-SEM band."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 3.8), constrained_layout=True)
    for s, setting in enumerate(sweep.settings):
        curves = []
        for k in range(len(sweep.seeds)):
            valid = np.isfinite(sweep.phase[s, k])
            if not valid.any():
                continue
            phase, epoch, loss = sweep.phase[s, k][valid], sweep.epoch[s, k][valid], sweep.loss[s, k][valid]
            keys = list(dict.fromkeys(zip(phase.tolist(), epoch.tolist())))
            curves.append([loss[(phase == p) & (epoch == e)].mean() for p, e in keys])
        if not curves:
            continue
        length = max(len(c) for c in curves)
        stack = np.array([c + [np.nan] * (length - len(c)) for c in curves])
        mean = np.nanmean(stack, axis=0)
        sem = np.nanstd(stack, axis=0, ddof=1) / np.sqrt(len(curves)) if len(curves) > 1 else np.zeros(length)
        ax.plot(np.arange(length), mean, marker=".", label=setting)
        ax.fill_between(np.arange(length), mean - sem, mean + sem, alpha=0.2, linewidth=0)
    ax.set_xlabel("global epoch (phases in order)")
    ax.set_ylabel("training loss (nats)")
    ax.legend(fontsize=7, title="setting", title_fontsize=7)
    ax.set_title(f"{sweep.title}: loss per setting", fontsize=9)
    return save(fig, out, sweep.name, "loss")


def diagnostics(result, out):
    """Search diagnostics: the Hessian's dominant eigenvalue, then per edge p(none) beside the edge's cost on the
    diagnostic batches (sum over ops of p * dL/dW, summed over cells), with alpha's and strength's picks."""
    import numpy as np

    epochs = np.arange(1, result.hessian_eigenvalue.shape[0] + 1)
    fig, axes = panel_grid(1 + len(result.edges), sharex=True)
    ax = axes.flat[0]
    ax.plot(epochs, result.hessian_eigenvalue, marker="o", markersize=3, color="C3")
    ax.set_title("dominant eigenvalue of d2L/dalpha2", fontsize=8)
    ax.tick_params(labelsize=7)
    edge_cost = np.nansum(result.prob[:, None] * result.diagnostic_op_cost, axis=3).sum(axis=1)   # (epoch, E)
    for e, ax in enumerate(axes.flat[1:1 + len(result.edges)]):
        if result.none_prob is not None:
            ax.plot(epochs, result.none_prob[:, e], color="0.2", linewidth=1.2, label="p(none)")
        ax.set_ylim(-0.02, 1.02)
        twin = ax.twinx()
        twin.plot(epochs, edge_cost[:, e], color="C0", linestyle="--", linewidth=1.2, label="edge cost")
        twin.tick_params(labelsize=7, colors="C0")
        title = result.edges[e]
        last = len(epochs) - 1
        if result.topology is not None and result.strength_pick is not None and result.strength_pick[last, e] >= 0:
            title += f"\nalpha: {result.ops[result.topology[last, e]]}, strength: {result.ops[result.strength_pick[last, e]]}"
        ax.set_title(title, fontsize=7)
        ax.tick_params(labelsize=7)
    fig.supxlabel("search epoch (after each)", fontsize=8)
    fig.supylabel("p(none) (solid); edge cost in nats (dashed, right)", fontsize=8)
    fig.suptitle(f"{result.title}: curvature, p(none), cost and picks (search diagnostics)", fontsize=9)
    return save(fig, out, result.name, "diagnostics")


def print_table(result):
    """The mean-cost matrix of every phase as text ('.' = never sampled); float noise prints as 0."""
    import numpy as np

    width = max(10, max(len(op) for op in result.ops) + 1)
    edge_width = max(len(e) for e in result.edges)
    cells = f", summed over {result.cells} cells" if result.cells > 1 else ""
    print(f"# {result.path}: {result.title}")
    noisy = False
    for p, phase in enumerate(result.phases):
        matrix, changed = denoise(result.phase_cost_matrix(p), result.noise)
        noisy |= changed
        print(f"\nphase {phase}: mean edge cost (nats{cells})")
        print(" " * edge_width + "".join(op.rjust(width + 1) for op in result.ops))
        for e, edge in enumerate(result.edges):
            entries = ("." if not np.isfinite(v) else f"{v:.3e}" for v in matrix[e])
            print(edge.ljust(edge_width) + "".join(entry.rjust(width + 1) for entry in entries))
    if noisy:
        print(f"\nnote: values with |v| < {result.noise:.1e} (float noise) are printed as 0")
    print()


# ---------------------------------------------------------------------------------------------------------------------
# Command line


def parse(argv):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write the paper's figures (PNG) from WiringLab result files (`wiringlab run`) and collected "
                    "sweeps (`wiringlab collect`). The file layout is documented in docs/results-format.md.")
    parser.add_argument("results", nargs="+", metavar="FILE.h5", help="Result files or sweep files.")
    parser.add_argument("--out", metavar="DIR",
                        help="Folder for the PNG files (created if missing); each is named <file name>-<figure>.png.")
    parser.add_argument("--table", action="store_true",
                        help="Print the mean-cost matrix (edges x ops) of every phase of each run as text.")
    parser.add_argument("--sem", action="store_true", help="Fig 4: add a row of standard errors.")
    parser.add_argument("--noise", type=float, metavar="X",
                        help="Treat |values| below X as 0 (default: 8 machine epsilons of the run's precision "
                             "times its loss scale).")
    args = parser.parse_args(argv)
    if args.out is None and not args.table:
        parser.error("nothing to do: give --out DIR for figures, --table for text, or both")
    if args.noise is not None and args.noise < 0:
        parser.error("--noise must be >= 0")
    return args


def figures_of_run(result, out, args):
    written = [fig4(result, out, args.sem), fig7a(result, out), fig19(result, out), cost_progress(result, out),
               split(result, out), residuals(result, out)]
    if result.prob is not None:
        written.append(fig3(result, out))
    if result.topology is not None:
        written.append(fig1(result, out))
    if result.batch_op_cost is not None and result.batch_step is not None and result.batch_step.size:
        written.append(fig10a(result, out))
    if result.prob is not None or result.batch_loss is not None:
        written.append(fig10b(result, out))
    if result.hessian_eigenvalue is not None and result.diagnostic_op_cost is not None and result.prob is not None:
        written.append(diagnostics(result, out))
    return written


def main(argv=None):
    args = parse(argv)
    # Packages are checked here so that a missing one is one clear line; matplotlib (slow to start) only once
    # every file has been read and checked, and only when there is something to draw.
    hint = "(Debian: apt-get install python3-h5py python3-matplotlib)"
    try:
        import h5py  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as error:
        fail(f"{error.name} is not installed {hint}")
    try:
        inputs = [load(path) for path in args.results]
    except UsageError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot read result file: {error}")
    for item in inputs:
        if args.noise is not None and isinstance(item, Result):
            item.noise = args.noise
    if args.out is not None:
        try:
            import matplotlib
            matplotlib.use("Agg")
        except ImportError as error:
            fail(f"{error.name} is not installed {hint}")
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as error:
            fail(f"cannot create output folder {args.out}: {error.strerror}")
    for item in inputs:
        if args.table and isinstance(item, Result):
            print_table(item)
        if args.out is None:
            continue
        written = figures_of_run(item, args.out, args) if isinstance(item, Result) \
            else [sweep_fig9(item, args.out), sweep_fig9_edges(item, args.out), sweep_loss(item, args.out)]
        for path in written:
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
