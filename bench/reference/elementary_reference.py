#!/usr/bin/env python3
"""Reference for `npm run bench` (src/bench/elementary.ts): mpmath (pure-Python back end unless
gmpy is installed) doing what the engine does, timed in the same benchmark run.

Usage: elementary_reference.py CASE   prints one JSON line {"case", "seconds", "value"}.
Cases:
  percall    exp, log, sqrt, sin, cos, atan, asin, acos at dps 50, microseconds per call over the
             same 64 arguments as the engine's benchmark, x_i = (i + 1)/67 + 0.01 (best of 5 rounds)
  erf40x2    the 40-digit erf ResNet kernel at depth 50 (alpha 0.3, sw2 1.5, sb2 0.05, q0 1, c0 0.6)
             computed twice, at dps 50 and dps 60, as the engine's two verification passes do;
             seconds = best of 20 runs of both passes
  optimal1000  optimal_reference.py's erf1000 case (mpmath findroot of the numerical derivative of
             S(alpha) at dps 30, depth 1000) timed in CPU seconds of this process
             (time.process_time), as the engine's run is: on a shared machine wall time mostly
             measures the other processes
"""
import json
import os
import sys
import time

import mpmath as mp

FUNCS = ['exp', 'log', 'sqrt', 'sin', 'cos', 'atan', 'asin', 'acos']


def percall():
    mp.mp.dps = 50
    xs = [mp.mpf(i + 1) / 67 + mp.mpf('0.01') for i in range(64)]
    out = []
    total = 0.0
    for name in FUNCS:
        f = getattr(mp, name)
        for x in xs:
            f(x)
        best = float('inf')
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(8):
                for x in xs:
                    f(x)
            best = min(best, (time.perf_counter() - t) / (8 * len(xs)))
        total += best
        out.append(f'{name} {best * 1e6:.2f} us')
    return total, ', '.join(out)


def erf_kernel(depth, dps):
    with mp.workdps(dps):
        alpha, sw2, sb2, q, c0 = mp.mpf('0.3'), mp.mpf('1.5'), mp.mpf('0.05'), mp.mpf(1), mp.mpf('0.6')
        k = q * c0
        a = alpha * alpha
        for _ in range(depth):
            C11 = sb2 + sw2 * (2 / mp.pi) * mp.asin(2 * q / (1 + 2 * q))
            C12 = sb2 + sw2 * (2 / mp.pi) * mp.asin(2 * k / mp.sqrt((1 + 2 * q) * (1 + 2 * q)))
            q, k = q + a * C11, k + a * C12
        return k / q


def erf40x2():
    times = []
    value = None
    for _ in range(20):
        t = time.perf_counter()
        c1 = erf_kernel(50, 50)
        c2 = erf_kernel(50, 60)
        times.append(time.perf_counter() - t)
        if mp.nstr(c1, 40) != mp.nstr(c2, 40):
            raise SystemExit('the two passes disagree')
        value = mp.nstr(c2, 40)
    return min(times), value


def optimal1000():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from optimal_reference import sensitivity
    mp.mp.dps = 30
    t = time.process_time()
    alpha = mp.findroot(lambda x: mp.diff(sensitivity, x), mp.mpf('0.2775982343707'))
    return time.process_time() - t, mp.nstr(alpha, 20)


def main():
    case = sys.argv[1]
    if case == 'percall':
        seconds, value = percall()
    elif case == 'erf40x2':
        seconds, value = erf40x2()
    elif case == 'optimal1000':
        seconds, value = optimal1000()
    else:
        raise SystemExit(f'unknown case {case}')
    print(json.dumps({'case': case, 'seconds': seconds, 'value': value}))


if __name__ == '__main__':
    main()
