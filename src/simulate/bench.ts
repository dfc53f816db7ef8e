/**
 * Throughput measurements of the simulators (used by `npm run bench`, src/bench/run.ts, which
 * runs this file in a child process because the two-core measurements are asynchronous):
 *
 *   node dist/simulate/bench.js full N depth networks P     multiply-adds/s of the full network (both cores)
 *   node dist/simulate/bench.js fast N depth networks P     neuron-layers/s of the fast sampler (both cores)
 *   node dist/simulate/bench.js normals n                   normals/s (one core)
 *   node dist/simulate/bench.js matmul N M reps             multiply-adds/s of W (stored) times M columns (one core)
 *
 * Each prints one JSON line {case, seconds, rate, unit, value}.
 */
import { network } from '../model/network';
import { rowTimesColumns } from './linalg';
import { runMonteCarlo } from './montecarlo';
import { ObservationPlan } from './observe';
import { Rng } from './rng';
import { Sampler, simSpec } from './spec';
import { WorkerPool } from './pool';

export interface Measurement {
  case: string;
  seconds: number;
  rate: number;
  unit: string;
  value: string;
}

function benchNet(depth: number) {
  // the workload of the validator: a tanh ResNet
  return network({ act: 'tanh', alpha: '0.7', sw2: '2', sb2: '0.05', depth, q0: '1', c0: '0.5' });
}

function minimalPlan(depth: number, P: number): ObservationPlan {
  return { depth, P, pairs: [[0, 0]], corr: false, sensitivityDelta: null, jvp: false, kurtosis: false, crossLayer: false };
}

async function simulate(sampler: Sampler, N: number, depth: number, networks: number, P: number, threads: number): Promise<number> {
  const K0: number[] = [];
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) K0.push(a === b ? 1 : 0.5);
  const spec = simSpec(benchNet(depth), N, { K0 });
  const pool = threads > 1 ? new WorkerPool(threads) : undefined;
  try {
    const job = { spec, sampler, plan: minimalPlan(depth, P), seed: 1, samples: networks };
    if (pool) await runMonteCarlo({ ...job, samples: Math.min(networks, 4 * threads) }, { pool }); // warm-up (worker start, JIT)
    else await runMonteCarlo({ ...job, samples: Math.max(1, Math.min(networks, 4)) }, { threads: 1 });
    const t0 = process.hrtime.bigint();
    await runMonteCarlo(job, pool ? { pool } : { threads: 1 });
    return Number(process.hrtime.bigint() - t0) / 1e9;
  } finally {
    if (pool) await pool.close();
  }
}

export async function measureFull(N: number, depth: number, networks: number, P: number, threads = WorkerPool.defaultSize()): Promise<Measurement> {
  const seconds = await simulate('full', N, depth, networks, P, threads);
  const rate = (networks * depth * N * N * P) / seconds;
  return { case: `full N=${N} depth=${depth} networks=${networks} P=${P} threads=${threads}`, seconds, rate, unit: 'multiply-adds/s', value: `${(rate / 1e6).toFixed(1)}M multiply-adds/s` };
}

export async function measureFast(N: number, depth: number, networks: number, P: number, threads = WorkerPool.defaultSize()): Promise<Measurement> {
  const seconds = await simulate('fast', N, depth, networks, P, threads);
  const rate = (networks * depth * N) / seconds;
  return { case: `fast N=${N} depth=${depth} networks=${networks} P=${P} threads=${threads}`, seconds, rate, unit: 'neuron-layers/s', value: `${(rate / 1e6).toFixed(2)}M neuron-layers/s` };
}

export function measureNormals(n: number): Measurement {
  const buf = new Float64Array(65536);
  const r = Rng.stream(1, 0);
  r.fillNormal(buf, 0, buf.length, 1); // warm-up
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < n; done += buf.length) r.fillNormal(buf, 0, Math.min(buf.length, n - done), 1);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = n / seconds;
  return { case: `normals n=${n} (one core)`, seconds, rate, unit: 'normals/s', value: `${(rate / 1e6).toFixed(1)}M normals/s` };
}

export function measureMatmul(N: number, M: number, reps: number): Measurement {
  const W = new Float64Array(N * N);
  const g = new Float64Array(N * M);
  const out = new Float64Array(N * M);
  const r = Rng.stream(2, 0);
  r.fillNormal(W, 0, W.length, 1);
  r.fillNormal(g, 0, g.length, 1);
  const once = () => {
    for (let i = 0; i < N; i++) rowTimesColumns(W, i * N, g, N, M, out, i);
  };
  once();
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < reps; k++) once();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = (reps * N * N * M) / seconds;
  return { case: `matmul N=${N} M=${M} reps=${reps} (one core)`, seconds, rate, unit: 'multiply-adds/s', value: `${(rate / 1e6).toFixed(1)}M multiply-adds/s` };
}

async function cli(argv: string[]): Promise<Measurement> {
  const [kind, ...rest] = argv;
  const n = rest.map(Number);
  switch (kind) {
    case 'full':
      return measureFull(n[0], n[1], n[2], n[3], n[4] || undefined);
    case 'fast':
      return measureFast(n[0], n[1], n[2], n[3], n[4] || undefined);
    case 'normals':
      return measureNormals(n[0]);
    case 'matmul':
      return measureMatmul(n[0], n[1], n[2]);
    default:
      throw new Error(`unknown case ${kind}`);
  }
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (m) => process.stdout.write(JSON.stringify(m) + '\n'),
    (e) => {
      process.stderr.write(String((e as Error).stack ?? e) + '\n');
      process.exitCode = 1;
    },
  );
}
