#!/usr/bin/python3
"""Compare two WiringLab HDF5 files dataset by dataset, bitwise.

    /usr/bin/python3 tools/compare_results.py A.h5 B.h5 [--attributes]

Every dataset (values, dtype, shape) must be identical; provenance attributes (created, host,
code_version, run_id, ...) are ignored unless --attributes is given. Exit 0 when equal, 1 when not
(the differing paths are listed), 2 when a file cannot be read.
"""
import argparse
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wiringlab_files import DamagedFile, open_sealed  # noqa: E402


def datasets(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--attributes", action="store_true", help="also compare the root attributes")
    args = ap.parse_args()
    try:
        fa, fb = open_sealed(args.a), open_sealed(args.b)
    except (OSError, DamagedFile) as e:
        print(f"cannot read: {e}", file=sys.stderr)
        return 2
    da, db = datasets(fa), datasets(fb)
    problems = []
    for name in sorted(set(da) | set(db)):
        if name not in da or name not in db:
            problems.append(f"{name}: only in {'b' if name not in da else 'a'}")
            continue
        x, y = da[name][()], db[name][()]
        if da[name].dtype != db[name].dtype or np.shape(x) != np.shape(y):
            problems.append(f"{name}: {da[name].dtype}{np.shape(x)} vs {db[name].dtype}{np.shape(y)}")
        elif isinstance(x, np.ndarray) and x.dtype.kind == "f":
            if x.tobytes() != y.tobytes():
                problems.append(f"{name}: values differ (max |d| {np.nanmax(np.abs(x - y))})")
        elif not np.array_equal(x, y):
            problems.append(f"{name}: values differ")
    if args.attributes:
        for key in sorted(set(fa.attrs) | set(fb.attrs)):
            if key not in fa.attrs or key not in fb.attrs or str(fa.attrs[key]) != str(fb.attrs[key]):
                problems.append(f"attribute {key} differs")
    for p in problems:
        print(p)
    print(f"{len(da)} datasets compared: {'identical' if not problems else f'{len(problems)} differ'}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
