#!/usr/bin/env python3
"""NumPy references for the Monte Carlo simulators (`npm run bench`; timed in the same run).

Usage: simulate_reference.py CASE ARGS...   prints one JSON line {"case", "seconds", "rate", "unit", "value"}.
Cases (the same algorithms and workloads as src/simulate/bench.ts; tanh ResNet, alpha 0.7,
sw2 2, sb2 0.05, inputs with correlation 0.5):
  full N depth networks P      explicit weights: per layer W = standard_normal((N, N)) * sqrt(sw2/N),
                               h += alpha (W @ tanh(h) + b); rate in multiply-adds/s (N^2 P per layer)
  fast N depth networks P      the conditional-Gaussian sampler, vectorised over networks:
                               C = sb2 + sw2/N phi^T phi, batched Cholesky, branch = z L^T;
                               rate in neuron-layers/s
  normals n                    Generator.standard_normal, normals/s
  matmul N M reps              W @ X with X of M columns (BLAS), multiply-adds/s
OpenBLAS threads: by default each case runs twice, with 1 and with 2 threads (set before numpy is
imported, in a subprocess), and the faster is reported; --threads K runs once with K.
"""
import json
import os
import subprocess
import sys
import time


def run(case, args):
    import numpy as np

    rng = np.random.default_rng(1)
    alpha, sw2, sb2 = 0.7, 2.0, 0.05
    if case == "normals":
        n = int(args[0])
        rng.standard_normal(1000)
        t0 = time.perf_counter()
        done = 0
        while done < n:
            k = min(1 << 20, n - done)
            rng.standard_normal(k)
            done += k
        s = time.perf_counter() - t0
        return s, n / s, "normals/s"
    if case == "matmul":
        N, M, reps = map(int, args)
        W = rng.standard_normal((N, N))
        X = rng.standard_normal((N, M))
        W @ X
        t0 = time.perf_counter()
        for _ in range(reps):
            W @ X
        s = time.perf_counter() - t0
        return s, reps * N * N * M / s, "multiply-adds/s"
    N, depth, networks, P = map(int, args)
    K0 = np.full((P, P), 0.5) + 0.5 * np.eye(P)
    L0 = np.linalg.cholesky(K0)
    if case == "full":
        sw = np.sqrt(sw2 / N)
        sb = np.sqrt(sb2)
        t0 = time.perf_counter()
        for _ in range(networks):
            h = rng.standard_normal((N, P)) @ L0.T
            for _ in range(depth):
                W = rng.standard_normal((N, N)) * sw
                b = rng.standard_normal((N, 1)) * sb
                h = h + alpha * (W @ np.tanh(h) + b)
        s = time.perf_counter() - t0
        return s, networks * depth * N * N * P / s, "multiply-adds/s"
    if case == "fast":
        batch = max(1, min(networks, 200))
        t0 = time.perf_counter()
        done = 0
        while done < networks:
            S = min(batch, networks - done)
            h = rng.standard_normal((S, N, P)) @ L0.T
            for _ in range(depth):
                phi = np.tanh(h)
                C = sb2 + (sw2 / N) * np.einsum("sna,snb->sab", phi, phi)
                L = np.linalg.cholesky(C)
                z = rng.standard_normal((S, N, P))
                h = h + alpha * np.einsum("sab,snb->sna", L, z)
            done += S
        s = time.perf_counter() - t0
        return s, networks * depth * N / s, "neuron-layers/s"
    raise SystemExit(f"unknown case {case}")


def fmt(rate, unit):
    scale = 1e6
    return f"{rate / scale:.2f}M {unit}" if unit == "neuron-layers/s" else f"{rate / scale:.1f}M {unit}"


def main():
    argv = sys.argv[1:]
    if "--threads" in argv:
        i = argv.index("--threads")
        threads = argv[i + 1]
        del argv[i : i + 2]
        os.environ["OPENBLAS_NUM_THREADS"] = threads
        os.environ["OMP_NUM_THREADS"] = threads
        s, rate, unit = run(argv[0], argv[1:])
        print(json.dumps({"case": " ".join(argv) + f" threads={threads}", "seconds": s, "rate": rate, "unit": unit, "value": fmt(rate, unit)}))
        return
    best = None
    for threads in ("1", "2"):
        r = subprocess.run([sys.executable, __file__, *argv, "--threads", threads], capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr)
            raise SystemExit(r.returncode)
        j = json.loads(r.stdout.strip().splitlines()[-1])
        if best is None or j["rate"] > best["rate"]:
            best = j
    print(json.dumps(best))


if __name__ == "__main__":
    main()
