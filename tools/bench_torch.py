#!/usr/bin/env python3
"""PyTorch side of `make bench`: the same blocks and supernet steps as WiringLab's engine, timed in
the same invocation. Run by the Swift benchmark as a co-process: it reads one request per line on
stdin, `<kind> <name> <B> <threads> <reps>`, and answers one JSON line with median milliseconds.

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
    def __init__(self, cells, steps, mult):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 48, 3, padding=1, bias=False), nn.BatchNorm2d(48))
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


def supernet_step(name):
    """dsnas_minimal (1 minimal cell, one sampled op per edge, probes), original8 (8 original cells,
    B = 64, sampled ops) or darts_minimal (1 minimal cell, all ops mixed with weights 1/8)."""
    if name == "dsnas_minimal":
        net, k, mixture = Net(1, 2, 2), 5, None
    elif name == "original8":
        net, k, mixture = Net(8, 4, 4), 14, None
    elif name == "darts_minimal":
        net, k, mixture = Net(1, 2, 2), 5, torch.full((5, 8), 0.125, requires_grad=True)
    else:
        raise ValueError(name)
    net = net.to(memory_format=torch.channels_last)
    gen = torch.Generator().manual_seed(0)
    state = {"gen": gen}

    def step(x, y):
        arch = torch.randint(0, 8, (k,), generator=state["gen"]).tolist()
        probes = []
        net.zero_grad(set_to_none=True)
        logits = net(x, arch, mixture, probes)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        with torch.no_grad():
            costs = [float((p.grad * p).sum()) for p in probes if p.grad is not None]
        return costs
    return step


def time_request(kind, name, b, threads, reps):
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
        step = supernet_step(name)
        x = torch.randn(b, 3, 32, 32).to(memory_format=torch.channels_last)
        y = torch.randint(0, 10, (b,))
        runs = {"forward_backward": lambda: step(x, y)}
    result = {}
    for label, fn in runs.items():
        for _ in range(3):
            fn()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
        result[label] = statistics.median(times)
    return result


def main():
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        kind, name, b, threads, reps = parts[0], parts[1], int(parts[2]), int(parts[3]), int(parts[4])
        try:
            print(json.dumps(time_request(kind, name, b, threads, reps)), flush=True)
        except Exception as error:  # report, keep serving
            print(json.dumps({"error": str(error)}), flush=True)


if __name__ == "__main__":
    main()
