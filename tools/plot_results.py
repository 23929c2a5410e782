#!/usr/bin/env python3
"""Figures from WiringLab result files (layout: docs/results-format.md).

For each RESULT.h5 it writes, into --out, PNGs named after the file (``<name>-<figure>.png``):

  heatmap-<phase>  the paper's Fig 4 per phase: mean cost of each op on each edge (summed over cells),
                   a diverging colour map centred at 0, values written in, never-sampled entries blank;
  cost-progress    per-epoch mean of /steps/edge_cost per edge against the global epoch index;
  split            C/L/H per (phase, epoch) for correct, wrong and all samples (Fig 10b, Figs 21-26);
  residuals        the identity residuals of Theorem 2 and Corollary 1.2 per step (log scale);
  alpha            only with /search/alpha: softmax probability of each op per edge over epochs.

--table prints the mean-cost matrices as text. Runs under Debian's /usr/bin/python3 with python3-h5py,
python3-matplotlib and numpy. User errors (missing file, not a result file) print one line and exit 2.
"""

import argparse
import os
import re
import sys

FORMAT = "wiringlab-results"
FORMAT_VERSION = 1
PROG = "plot_results.py"


class UsageError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------------------------------------------------
# Reading


def text(value):
    """An HDF5 string (fixed-length strings come back as bytes) as str."""
    if hasattr(value, "tolist") and not isinstance(value, (bytes, str)):
        value = value.tolist()
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class Result:
    """The parts of one result file the figures need, read eagerly so the file is closed at once."""

    def __init__(self, path):
        import h5py
        import numpy as np

        if not os.path.exists(path):
            raise UsageError(f"{path}: no such file")
        if os.path.isdir(path):
            raise UsageError(f"{path}: is a folder, not a result file")
        if not h5py.is_hdf5(path):
            raise UsageError(f"{path}: not an HDF5 file, so not a WiringLab result "
                             f"(results are written by `wiringlab run` as <run id>.h5)")
        self.path = path
        self.name = re.sub(r"\.h5$", "", os.path.basename(path))
        with h5py.File(path, "r") as f:
            found = text(f.attrs["format"]) if "format" in f.attrs else None
            if found != FORMAT:
                what = "has no root attribute 'format'" if found is None else f"has format '{found}'"
                raise UsageError(f"{path}: not a WiringLab result file ({what}, expected '{FORMAT}')")
            version = int(f.attrs.get("format_version", -1))
            if version != FORMAT_VERSION:
                raise UsageError(f"{path}: format_version {version}, this tool reads {FORMAT_VERSION} "
                                 f"(update tools/plot_results.py together with the writer)")

            def read(name):
                if name not in f:
                    raise UsageError(f"{path}: missing dataset /{name} (an incomplete or damaged result file)")
                return f[name][()]

            self.title = " / ".join(text(f.attrs[k]) for k in ("experiment", "run_name") if k in f.attrs) or self.name
            self.phases = [text(s) for s in read("phases")]
            self.edges = [text(s) for s in read("edges")]
            self.ops = [text(s) for s in read("ops")]
            self.cost_mean = np.asarray(read("summary/cost_mean"), dtype=float)     # (P, L, E, O)
            self.cost_count = np.asarray(read("summary/cost_count"), dtype=np.int64)
            self.step_phase = np.asarray(read("steps/phase"), dtype=int)             # (S,)
            self.step_epoch = np.asarray(read("steps/epoch"), dtype=int)
            self.edge_cost = np.asarray(read("steps/edge_cost"), dtype=float)       # (S, L, E)
            self.split_phase = np.asarray(read("summary/split_phase"), dtype=int)   # (R,)
            self.split_epoch = np.asarray(read("summary/split_epoch"), dtype=int)
            self.split_mean = np.asarray(read("summary/split_mean"), dtype=float)   # (R, subset, quantity)
            self.subsets = [text(s) for s in read("subset")]
            self.thm2 = np.asarray(read("checks/thm2_residual"), dtype=float)       # (S,)
            self.cor12 = np.asarray(read("checks/cor12_residual"), dtype=float)
            self.alpha = np.asarray(f["search/alpha"][()], dtype=float) if "search/alpha" in f else None
        self.cells = self.cost_mean.shape[1]

    def phase_cost_matrix(self, p):
        """(edges, ops) mean cost of phase p summed over cells; NaN where some cell never sampled the op."""
        import numpy as np

        sampled = (self.cost_count[p] > 0).all(axis=0)
        return np.where(sampled, self.cost_mean[p].sum(axis=0), np.nan)

    def epoch_keys(self):
        """The (phase, epoch) pairs of the steps in order of first appearance: the global epoch axis."""
        keys = []
        for pair in zip(self.step_phase.tolist(), self.step_epoch.tolist()):
            if not keys or keys[-1] != pair:
                keys.append(pair)
        return keys


# ---------------------------------------------------------------------------------------------------------------------
# Figures


def file_name(*parts):
    """A file name from labels: anything but letters, digits, '.', '_' and '-' becomes '_'."""
    return "-".join(re.sub(r"[^A-Za-z0-9._-]+", "_", part) for part in parts) + ".png"


def mark_phases(ax, keys, phases):
    """Dashed lines between phases along an axis whose position i has phase keys[i][0]; names above the axes.

    Callers give their title a pad so that the names sit between the axes and the title."""
    import matplotlib.transforms as transforms

    starts = [i for i, key in enumerate(keys) if i == 0 or key[0] != keys[i - 1][0]]
    trans = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    for n, start in enumerate(starts):
        if start > 0:
            ax.axvline(start - 0.5, color="0.6", linestyle="--", linewidth=0.8)
        end = starts[n + 1] if n + 1 < len(starts) else len(keys)
        ax.text((start + end - 1) / 2, 1.01, phases[keys[start][0]], transform=trans, ha="center", va="bottom",
                fontsize=8, color="0.35")


def heatmap(result, p, out):
    """Fig 4: mean cost per (edge, op) in phase p, centred at 0, annotated; never-sampled entries blank."""
    import matplotlib.pyplot as plt
    import numpy as np

    matrix = result.phase_cost_matrix(p)
    finite = np.abs(matrix[np.isfinite(matrix)])
    limit = finite.max() if finite.size and finite.max() > 0 else 1.0
    cmap = plt.get_cmap("RdBu_r").copy()
    cmap.set_bad("white")
    edges, ops = matrix.shape
    fig, ax = plt.subplots(figsize=(1.0 + 0.95 * ops, 1.6 + 0.45 * edges), constrained_layout=True)
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
    for e in range(edges):
        for o in range(ops):
            v = matrix[e, o]
            if np.isfinite(v):
                dark = abs(v) > 0.6 * limit
                ax.text(o, e, f"{v:.3g}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
    ax.set_xticks(range(ops), result.ops, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(edges), result.edges, fontsize=8)
    ax.set_xlabel("op")
    ax.set_ylabel("edge (source -> node)")
    cells = f", summed over {result.cells} cells" if result.cells > 1 else ""
    ax.set_title(f"{result.title}\nmean edge cost, phase '{result.phases[p]}'{cells}", fontsize=9)
    fig.colorbar(image, ax=ax, label="mean cost  sum dL/dh * h  (nats)")
    path = os.path.join(out, file_name(result.name, "heatmap", result.phases[p]))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def cost_progress(result, out):
    """Per-epoch mean edge cost (summed over cells) of every edge, against the global epoch index."""
    import matplotlib.pyplot as plt
    import numpy as np

    keys = result.epoch_keys()
    per_step = result.edge_cost.sum(axis=1)                                   # (S, E)
    means = np.array([per_step[(result.step_phase == p) & (result.step_epoch == e)].mean(axis=0) for p, e in keys])
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
    path = os.path.join(out, file_name(result.name, "cost-progress"))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


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
    path = os.path.join(out, file_name(result.name, "split"))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


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
    path = os.path.join(out, file_name(result.name, "residuals"))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def alpha_probabilities(result, out):
    """Softmax over ops of /search/alpha per edge over epochs, one small panel per edge."""
    import matplotlib.pyplot as plt
    import numpy as np

    alpha = result.alpha
    if alpha.ndim == 4:  # (epoch, cells, edges, ops): one panel per (cell, edge)
        labels = [f"cell{c} {e}" for c in range(alpha.shape[1]) for e in result.edges]
        alpha = alpha.reshape(alpha.shape[0], -1, alpha.shape[-1])
    else:
        labels = result.edges
    shifted = np.exp(alpha - alpha.max(axis=-1, keepdims=True))
    prob = shifted / shifted.sum(axis=-1, keepdims=True)                       # (epoch, panel, op)
    panels = prob.shape[1]
    columns = min(panels, 5)
    rows = (panels + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(2.6 * columns + 1.6, 2.2 * rows + 0.6), squeeze=False,
                             sharex=True, sharey=True, constrained_layout=True)
    epochs = np.arange(prob.shape[0])
    for i, ax in enumerate(axes.flat):
        if i >= panels:
            ax.set_visible(False)
            continue
        for o, op in enumerate(result.ops):
            ax.plot(epochs, prob[:, i, o], linewidth=1.2, label=op)
        ax.set_title(labels[i] if i < len(labels) else f"edge {i}", fontsize=8)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=7)
        if i % columns == 0:
            ax.set_ylabel("p(op)", fontsize=8)
        if i >= panels - columns:
            ax.set_xlabel("epoch", fontsize=8)
    handles, names = axes[0, 0].get_legend_handles_labels()
    axes[0, -1].legend(handles, names, loc="upper left", bbox_to_anchor=(1.03, 1.0), fontsize=7)  # outside the grid
    fig.suptitle(f"{result.title}: softmax(alpha) per edge", fontsize=9)
    path = os.path.join(out, file_name(result.name, "alpha"))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def print_table(result):
    """The mean-cost matrix of every phase as text ('.' = never sampled)."""
    import numpy as np

    width = max(10, max(len(op) for op in result.ops) + 1)
    edge_width = max(len(e) for e in result.edges)
    cells = f", summed over {result.cells} cells" if result.cells > 1 else ""
    print(f"# {result.path}: {result.title}")
    for p, phase in enumerate(result.phases):
        matrix = result.phase_cost_matrix(p)
        print(f"\nphase {phase}: mean edge cost (nats{cells})")
        print(" " * edge_width + "".join(op.rjust(width + 1) for op in result.ops))
        for e, edge in enumerate(result.edges):
            entries = ("." if not np.isfinite(v) else f"{v:.3e}" for v in matrix[e])
            print(edge.ljust(edge_width) + "".join(entry.rjust(width + 1) for entry in entries))
    print()


# ---------------------------------------------------------------------------------------------------------------------
# Command line


def parse(argv):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write PNG figures (cost heatmaps per phase, cost over training, C/L/H split, identity "
                    "residuals, op probabilities of search runs) from WiringLab result files. "
                    "The file layout is documented in docs/results-format.md.")
    parser.add_argument("results", nargs="+", metavar="RESULT.h5", help="Result files written by `wiringlab run`.")
    parser.add_argument("--out", metavar="DIR",
                        help="Folder for the PNG files (created if missing); each is named <result name>-<figure>.png.")
    parser.add_argument("--table", action="store_true",
                        help="Print the mean-cost matrix (edges x ops) of every phase as text.")
    args = parser.parse_args(argv)
    if args.out is None and not args.table:
        parser.error("nothing to do: give --out DIR for figures, --table for text, or both")
    return args


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
        results = [Result(path) for path in args.results]
    except UsageError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot read result file: {error}")
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
    for result in results:
        if args.table:
            print_table(result)
        if args.out is None:
            continue
        written = [heatmap(result, p, args.out) for p in range(len(result.phases))]
        written += [cost_progress(result, args.out), split(result, args.out), residuals(result, args.out)]
        if result.alpha is not None:
            written.append(alpha_probabilities(result, args.out))
        for path in written:
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
