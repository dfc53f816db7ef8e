#!/usr/bin/env python3
"""Reference for the one-loop benchmark of `npm run bench` (src/bench/run.ts).

Usage: loop_reference.py CASE   prints one JSON line {"case", "seconds", "value"}.
Cases:
  erf1000   one-input one-loop tables of the default erf ResNet (alpha 0.3, sw2 1.5, sb2 0.05,
            q0 1) at depth 1000, float64: the same heat-flow algorithm as src/quantities/loop.ts,
            in NumPy (test/fixtures/loop_theory.py). value = c1 at layer 1000.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures'))
from loop_theory import ACTS, one_loop_1  # noqa: E402


def main():
    case = sys.argv[1] if len(sys.argv) > 1 else 'erf1000'
    if case != 'erf1000':
        raise SystemExit('unknown case ' + case)
    t0 = time.time()
    r = one_loop_1(ACTS['erf'], 1.5, 0.05, 0.09, 1000, 1.0)
    dt = time.time() - t0
    print(json.dumps({'case': case, 'seconds': dt, 'value': repr(float(r['c1'][1000]))}))


if __name__ == '__main__':
    main()
