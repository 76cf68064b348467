#!/usr/bin/env python3
"""Compares .npy tensors (numpy only): relative L2 error ||b - a|| / ||a|| and max |b - a|,
in float64, with the reference first.

usage: compare_npy.py REF CAND [--prefix P] [--tol REL] [--atol A] [--name LABEL]
  REF, CAND files: one comparison.
  REF, CAND directories: every CAND/*.npy against REF/<P><same name> (so that
  `compare_npy.py DIR DIR/name_clbb --prefix name_` pairs DIR/name_out0.npy with
  DIR/name_clbb/out0.npy); a candidate without its reference is an error.
Exit status: 0 when every pair has rel_l2 <= --tol (default 1e-4) and, if --atol is given,
max_abs <= --atol; 1 when one exceeds them or holds NaN/Inf; 2 for missing files or shapes
that differ.
"""
import argparse
import glob
import os
import sys

import numpy as np


def compare(ref, cand):
    """(rel_l2, max_abs, nonfinite) of cand against ref, both float64."""
    a = np.asarray(ref, dtype=np.float64)
    b = np.asarray(cand, dtype=np.float64)
    nonfinite = int(np.count_nonzero(~np.isfinite(b)))
    d = b - a
    na = np.linalg.norm(a.ravel())
    nd = np.linalg.norm(d.ravel())
    rel = nd / na if na > 0 else (0.0 if nd == 0 else float('inf'))
    mx = float(np.max(np.abs(d))) if d.size else 0.0
    return float(rel), mx, nonfinite


def pairs(ref, cand, prefix):
    if os.path.isdir(cand):
        if not os.path.isdir(ref):
            raise FileNotFoundError(f'{ref}: not a directory (the candidate {cand} is one)')
        found = sorted(glob.glob(os.path.join(cand, '*.npy')))
        if not found:
            raise FileNotFoundError(f'{cand}: no .npy files')
        return [(os.path.join(ref, prefix + os.path.basename(c)), c) for c in found]
    return [(ref, cand)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('ref')
    ap.add_argument('cand')
    ap.add_argument('--prefix', default='')
    ap.add_argument('--tol', type=float, default=1e-4)
    ap.add_argument('--atol', type=float)
    ap.add_argument('--name', default='')
    args = ap.parse_args(argv)
    label = f'{args.name} ' if args.name else ''
    try:
        todo = pairs(args.ref, args.cand, args.prefix)
    except FileNotFoundError as e:
        print(f'{label}error: {e}')
        return 2
    rc = 0
    for r, c in todo:
        if not os.path.exists(r):
            print(f'{label}{os.path.basename(c)}: no reference {r}')
            rc = 2
            continue
        a, b = np.load(r), np.load(c)
        if a.shape != b.shape:
            print(f'{label}{os.path.basename(c)}: shape {b.shape} != reference {a.shape}')
            rc = 2
            continue
        rel, mx, bad = compare(a, b)
        ok = bad == 0 and rel <= args.tol and (args.atol is None or mx <= args.atol)
        if not ok and rc == 0:
            rc = 1
        extra = f'  {bad} non-finite' if bad else ''
        print(f'{label}{os.path.basename(c):12s} {str(a.shape):22s} rel_l2 {rel:.3e}  '
              f'max_abs {mx:.3e}  {"ok" if ok else "FAIL"}{extra}')
    return rc


if __name__ == '__main__':
    sys.exit(main())
