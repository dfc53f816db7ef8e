#!/usr/bin/env python3
"""Reference for the float64 Gaussian-expectation benchmark of `npm run bench` (src/bench/run.ts).

Usage: gaussian_reference.py CASE   prints one JSON line {"case", "seconds", "value"}.
Cases:
  expect2   E[f(u) g(v)], (u, v) ~ N(0, [[K, rho K], [rho K, K]]), f = g, by a tensor
            Gauss-Hermite rule in NumPy (numpy.polynomial.hermite.hermgauss, n = 64 and 128;
            x, y iid N(0, 1), u = sqrt(K) x, v = sqrt(K) (rho x + sqrt(1 - rho^2) y)), on the
            same cases as the fieldprop entry: smooth tanh, erf, gelu, silu with K in
            {0.5, 1.5, 4} and rho in {0.3, 0.6, 0.9, 0.99, 0.999}; relu (kinked) at the same K, rho.
            value = "<ms per call at n = 64> ms/call smooth, <...> relu; n=64 vs n=128 differ up to
            <d> (smooth), <d> (relu)": the plain rule's speed and its accuracy (which fieldprop's
            1e-13 relative target is far beyond for relu, and for tanh at larger K).
"""
import json
import math
import sys
import time

import numpy as np
from scipy.special import erf

KS = [0.5, 1.5, 4.0]
RHOS = [0.3, 0.6, 0.9, 0.99, 0.999]
SMOOTH = {
    'tanh': np.tanh,
    'erf': erf,
    'gelu': lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),
    'silu': lambda x: x / (1 + np.exp(-x)),
}
RELU = lambda x: np.maximum(x, 0.0)  # noqa: E731


def rule(n):
    t, w = np.polynomial.hermite.hermgauss(n)
    return t * math.sqrt(2), w / math.sqrt(math.pi)


def expect2(f, K, rho, x, w):
    s = math.sqrt(K)
    sig = math.sqrt(1 - rho * rho)
    fx = f(s * x)                                  # n
    gv = f(s * (rho * x[:, None] + sig * x[None, :]))  # n x n
    return float((w * fx) @ (gv @ w))


def per_call(f, K, rho, x, w, reps=20):
    best = math.inf
    for _ in range(3):
        t0 = time.process_time()  # CPU time, as the fieldprop entry measures
        for _ in range(reps):
            expect2(f, K, rho, x, w)
        best = min(best, (time.process_time() - t0) / reps)
    return best


def main():
    case = sys.argv[1] if len(sys.argv) > 1 else 'expect2'
    if case != 'expect2':
        raise SystemExit('unknown case ' + case)
    x64, w64 = rule(64)
    x128, w128 = rule(128)
    t0 = time.time()
    times = {'smooth': [], 'relu': []}
    diff = {'smooth': 0.0, 'relu': 0.0}
    for kind, fs in (('smooth', list(SMOOTH.values())), ('relu', [RELU])):
        for f in fs:
            for K in KS:
                for rho in RHOS:
                    times[kind].append(per_call(f, K, rho, x64, w64))
                    a = expect2(f, K, rho, x64, w64)
                    b = expect2(f, K, rho, x128, w128)
                    diff[kind] = max(diff[kind], abs(a - b) / max(abs(b), 1e-300))
    dt = time.time() - t0
    ms = {k: 1000 * sum(v) / len(v) for k, v in times.items()}
    value = (f"{ms['smooth']:.3f} ms/call smooth, {ms['relu']:.3f} ms/call relu; "
             f"n=64 vs n=128 differ up to {diff['smooth']:.1e} (smooth), {diff['relu']:.1e} (relu) relative")
    print(json.dumps({'case': case, 'seconds': dt, 'value': value}))


if __name__ == '__main__':
    main()
