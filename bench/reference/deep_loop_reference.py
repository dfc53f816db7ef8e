#!/usr/bin/env python3
"""Reference for the deep two-input one-loop benchmarks of `npm run bench` (src/bench/deepLoop.ts).

Usage: deep_loop_reference.py ACT [DEPTH [LAYERS]]   prints one JSON line {"case", "seconds", "value"}.

The route a user would otherwise take: the NumPy two-input one-loop table of
test/fixtures/loop_theory.py (one_loop_2: the same heat-flow sums on one fixed 2D grid covering
the widest kernel of the network at the step its narrowest kernel needs). At depth 1000 it would
run for hours, so it runs LAYERS layers (default 2) on the grid the DEPTH-layer network needs
(widest kernel K^DEPTH, narrowest eigenvalue over all layers) and extrapolates the time per layer
to DEPTH layers: `seconds` is that extrapolation. When the grid cannot be allocated (relu: the
kernel grows exponentially with depth) the script says so and exits with status 1.
"""
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures'))
import loop_theory  # noqa: E402

# the benchmark network: alpha 0.3 (a = 0.09), sw2 1.6, sb2 0.1, q0 1, c0 0.6
SW2, SB2, A, Q0, C0 = 1.6, 0.1, 0.09, 1.0, 0.6
# the largest grid this reference allocates (one_loop_2 keeps ~30 complex n x n arrays)
MAX_POINTS = 1 << 22


def main():
    act = sys.argv[1] if len(sys.argv) > 1 else 'erf'
    depth = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    layers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    phi = loop_theory.ACTS[act]
    # the kernels of every layer (one_loop_2's own mean field), for the grid one_loop_2 would choose
    Kmf, _ = loop_theory.mean_field_2(phi, SW2, SB2, A, depth, Q0, C0)
    Kmax = max(k[0, 0] for k in Kmf)
    lam_min = min(min(np.linalg.eigvalsh(k)) for k in Kmf)
    h = min(0.2, 0.45 * math.sqrt(lam_min))
    half = 10.0 * math.sqrt(Kmax) + 2.0
    n = 1 << int(math.ceil(math.log2(2 * half / h)))
    if n * n > MAX_POINTS:
        raise SystemExit(f'not run: one fixed grid for depth {depth} needs {n} x {n} points (K^{depth}_11 = {Kmax:.3g}, step {h:.3g})')
    # run `layers` layers on that grid: one_loop_2 sizes its grid from the kernels it is given
    full = loop_theory.mean_field_2
    narrowest = min(Kmf, key=lambda k: min(np.linalg.eigvalsh(k)))
    loop_theory.mean_field_2 = lambda *args, **kw: (full(*args, **kw)[0] + [Kmf[-1], narrowest], None)
    t0 = time.time()
    r = loop_theory.one_loop_2(phi, SW2, SB2, A, layers, Q0, C0)
    dt = time.time() - t0
    loop_theory.mean_field_2 = full
    per_layer = dt / layers
    print(json.dumps({
        'case': f'{act}{depth}',
        'seconds': per_layer * depth,
        'value': f'extrapolated from {layers} layers on {n} x {n} ({per_layer:.2f} s per layer); k1_12 at layer {layers} = {float(r["k1"][layers][1]):.6g}',
    }))


if __name__ == '__main__':
    main()
