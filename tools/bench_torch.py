#!/usr/bin/env python3
"""PyTorch side of `make bench`: the same blocks and supernet steps as WiringLab's engine, timed in
the same invocation. Run by the Swift benchmark as a co-process: it reads one request per line on
stdin, `<kind> <name> <B> <threads> <reps> [<warm-up runs, 3>]`, and answers one JSON line with median milliseconds.
A step's name may end in `:<channels>x<side>` for images other than 3x32x32 (the regime's Fashion-MNIST).

`bench_torch.py memory <name> <B> <threads>` (a fresh process per step, started by the bench) runs one
step three times and prints the resident memory before the first step and the peak after the third, in MB.

Settings follow the engine issue: float32, channels_last, torch.set_num_threads(threads); the caller
sets GLIBC_TUNABLES so that glibc keeps freed memory (as a long-running trainer would).
Needs Debian's python3-torch for /usr/bin/python3.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

C = 16


def sep_conv(k):
    p = k // 2
    return nn.Sequential(
        nn.ReLU(), nn.Conv2d(C, C, k, padding=p, groups=C, bias=False), nn.Conv2d(C, C, 1, bias=False),
        nn.BatchNorm2d(C, affine=False), nn.ReLU(),
        nn.Conv2d(C, C, k, padding=p, groups=C, bias=False), nn.Conv2d(C, C, 1, bias=False),
        nn.BatchNorm2d(C, affine=False))


def dil_conv(k):
    return nn.Sequential(
        nn.ReLU(), nn.Conv2d(C, C, k, padding=k - 1, dilation=2, groups=C, bias=False),
        nn.Conv2d(C, C, 1, bias=False), nn.BatchNorm2d(C, affine=False))


class Identity(nn.Module):
    def forward(self, x):
        return x


def make_op(name):
    if name == "none":
        return None
    if name == "skip_connect":
        return Identity()
    if name == "max_pool_3x3":
        return nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.BatchNorm2d(C, affine=False))
    if name == "avg_pool_3x3":
        return nn.Sequential(nn.AvgPool2d(3, 1, 1, count_include_pad=False), nn.BatchNorm2d(C, affine=False))
    if name.startswith("sep_conv"):
        return sep_conv(int(name[-1]))
    if name.startswith("dil_conv"):
        return dil_conv(int(name[-1]))
    raise ValueError(name)


ORDER_B = ["none", "skip_connect", "max_pool_3x3", "avg_pool_3x3", "sep_conv_3x3", "dil_conv_3x3",
           "dil_conv_5x5", "sep_conv_5x5"]


def block(name):
    """A single op block on a (B, 16, 32, 32) input, or the stem on (B, 3, 32, 32)."""
    if name == "stem":
        return nn.Sequential(nn.Conv2d(3, 48, 3, padding=1, bias=False), nn.BatchNorm2d(48)), 3
    if name == "preprocess":
        return nn.Sequential(nn.ReLU(), nn.Conv2d(3 * C, C, 1, bias=False), nn.BatchNorm2d(C, affine=False)), 3 * C
    if name == "max_pool_3x3+BN":
        return make_op("max_pool_3x3"), C
    if name == "avg_pool_3x3+BN":
        return make_op("avg_pool_3x3"), C
    return make_op(name), C


class Cell(nn.Module):
    def __init__(self, cpp, cp, steps, mult):
        super().__init__()
        self.steps, self.mult = steps, mult
        self.pre0 = nn.Sequential(nn.ReLU(), nn.Conv2d(cpp, C, 1, bias=False), nn.BatchNorm2d(C, affine=False))
        self.pre1 = nn.Sequential(nn.ReLU(), nn.Conv2d(cp, C, 1, bias=False), nn.BatchNorm2d(C, affine=False))
        k = steps * (steps + 3) // 2
        self.ops = nn.ModuleList(nn.ModuleList(
            [make_op(o) if o not in ("none", "skip_connect") else nn.Identity() for o in ORDER_B])
            for _ in range(k))

    def forward(self, s0, s1, arch, mixture, probes):
        states = [self.pre0(s0), self.pre1(s1)]
        e = 0
        for i in range(self.steps):
            acc = 0
            for j in range(i + 2):
                x = states[j]
                if mixture is not None:
                    out = sum(mixture[e, o] * self.ops[e][o](x) for o in range(1, 8))
                else:
                    o = arch[e]
                    if o == 0:
                        e += 1
                        continue
                    out = self.ops[e][o](x)
                if probes is not None and out.requires_grad:
                    out.retain_grad()
                    probes.append(out)
                acc = acc + out
                e += 1
            states.append(acc if torch.is_tensor(acc) else torch.zeros_like(states[1]))
        return torch.cat(states[-self.mult:], dim=1)


class Net(nn.Module):
    def __init__(self, cells, steps, mult, in_channels=3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 48, 3, padding=1, bias=False), nn.BatchNorm2d(48))
        cpp = cp = 48
        self.cells = nn.ModuleList()
        for _ in range(cells):
            self.cells.append(Cell(cpp, cp, steps, mult))
            cpp, cp = cp, mult * C
        self.classifier = nn.Linear(mult * C, 10, bias=False)

    def forward(self, x, arch, mixture, probes):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, arch, mixture, probes)
        return self.classifier(F.adaptive_avg_pool2d(s1, 1).flatten(1))


def edge_count(steps):
    return steps * (steps + 3) // 2


def theta_optimizer(net):
    """The reference's theta optimiser: SGD, momentum 0.9, weight decay 3e-4, gradients clipped at 5."""
    sgd = torch.optim.SGD(net.parameters(), lr=0.025, momentum=0.9, weight_decay=3e-4)

    def step():
        nn.utils.clip_grad_norm_(net.parameters(), 5)
        sgd.step()
    return step


def probe_costs(probes):
    with torch.no_grad():
        return [float((p.grad * p).sum()) for p in probes if p.grad is not None]


def supernet_step(name, in_channels=3):
    """The step `name` names, as a function of one train batch (and a search batch for bi level):
    dsnas_minimal (1 minimal cell, one sampled op per edge, probes), original8 (8 original cells,
    sampled ops) or darts_minimal (1 minimal cell, all ops mixed with weights 1/8): forward, backward
    and probes only. The search steps add what a search step does: darts_bilevel_minimal /
    darts_bilevel_2_minimal (first-order bi-level DARTS: the architect's mixture pass on the search batch
    and Adam on alpha, then the theta pass on the train batch and SGD), snas_original8 (a Gumbel-softmax
    mixture on 8 original cells, alpha's Adam and theta's SGD from one pass), regime_dsnas_2_original
    (DSNAS's sampled pass on 2 original cells and theta's SGD; alpha's update from the costs is a few
    numbers), regime_darts_bilevel_2_minimal (bi-level DARTS on 2 minimal cells)."""
    shapes = {"dsnas_minimal": (1, 2, 2, "sampled"), "original8": (8, 4, 4, "sampled"),
              "darts_minimal": (1, 2, 2, "uniform"), "darts_bilevel_minimal": (1, 2, 2, "bilevel"),
              "darts_bilevel_2_minimal": (2, 2, 2, "bilevel"), "snas_original8": (8, 4, 4, "gumbel"),
              "regime_dsnas_2_original": (2, 4, 4, "sampled_search"),
              "regime_darts_bilevel_2_minimal": (2, 2, 2, "bilevel")}
    if name not in shapes:
        raise ValueError(name)
    cells, steps, mult, kind = shapes[name]
    k = edge_count(steps)
    net = Net(cells, steps, mult, in_channels).to(memory_format=torch.channels_last)
    gen = torch.Generator().manual_seed(0)
    alpha = (1e-3 * torch.randn(k, 8)).requires_grad_(True)
    adam = torch.optim.Adam([alpha], lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    theta_step = theta_optimizer(net)

    def pass_(x, y, arch=None, mixture=None):
        probes = []
        net.zero_grad(set_to_none=True)
        alpha.grad = None
        loss = F.cross_entropy(net(x, arch, mixture, probes), y)
        loss.backward()
        return probe_costs(probes)

    def step(x, y, xs=None):
        if kind in ("sampled", "sampled_search"):
            arch = torch.randint(0, 8, (k,), generator=gen).tolist()
            costs = pass_(x, y, arch=arch)
            if kind == "sampled_search":
                theta_step()
            return costs
        if kind == "uniform":
            return pass_(x, y, mixture=torch.full((k, 8), 0.125, requires_grad=True))
        if kind == "gumbel":
            costs = pass_(x, y, mixture=F.gumbel_softmax(alpha, tau=1.0, dim=-1))
            adam.step()
            theta_step()
            return costs
        # bilevel: the architect's step on the search batch, then theta's on the train batch.
        pass_(xs, y, mixture=F.softmax(alpha, dim=-1))
        adam.step()
        costs = pass_(x, y, mixture=F.softmax(alpha, dim=-1))
        theta_step()
        return costs
    return step


def step_inputs(name, b):
    """The step's function and its batches: `name` may end in :<channels>x<side>."""
    channels, side = 3, 32
    if ":" in name:
        name, shape = name.split(":")
        channels, side = (int(v) for v in shape.split("x"))
    step = supernet_step(name, channels)
    x = torch.randn(b, channels, side, side).to(memory_format=torch.channels_last)
    xs = torch.randn(b, channels, side, side).to(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (b,))
    return lambda: step(x, y, xs)


def give_back_memory():
    """Returns freed memory to the system between requests: an 8-cell mixture step holds ~20 GB, and
    the Swift side's next step needs it back (the caller's GLIBC_TUNABLES keep glibc from trimming)."""
    import ctypes
    import gc
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def resident_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def peak_mb():
    """VmHWM, this address space's high-water mark (ru_maxrss carries the parent's peak over fork and exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory_request(name, b, threads):
    """Resident MB before the first step (model, optimiser state and batches built) and the peak after three."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    run = step_inputs(name, b)
    baseline = resident_mb()
    for _ in range(3):
        run()
    return {"baseline_mb": baseline, "peak_mb": peak_mb()}


def time_request(kind, name, b, threads, reps, warmup=3):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if kind == "block":
        module, cin = block(name)
        module = module.to(memory_format=torch.channels_last)
        x = torch.randn(b, cin, 32, 32).to(memory_format=torch.channels_last).requires_grad_(True)
        dy = None

        def fwd():
            with torch.no_grad():
                module(x)

        def fwdbwd():
            nonlocal dy
            y = module(x)
            if dy is None:
                dy = torch.randn_like(y)
            x.grad = None
            module.zero_grad(set_to_none=True)
            y.backward(dy)
        runs = {"forward": fwd, "forward_backward": fwdbwd}
    else:
        runs = {"forward_backward": step_inputs(name, b)}
    result = {}
    for label, fn in runs.items():
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
        result[label] = statistics.median(times)
    return result


def main():
    if sys.argv[1:2] == ["memory"]:
        name, b, threads = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        print(json.dumps(memory_request(name, b, threads)), flush=True)
        return
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        kind, name, b, threads, reps = parts[0], parts[1], int(parts[2]), int(parts[3]), int(parts[4])
        warmup = int(parts[5]) if len(parts) > 5 else 3
        try:
            print(json.dumps(time_request(kind, name, b, threads, reps, warmup)), flush=True)
        except Exception as error:  # report, keep serving
            print(json.dumps({"error": str(error)}), flush=True)
        give_back_memory()


if __name__ == "__main__":
    main()
