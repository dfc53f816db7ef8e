/**
 * Monte Carlo runs: many independent networks, observed layer by layer and reduced to streaming
 * moment sums. Work is cut into chunks of consecutive network indices whose size depends only
 * on the job (never on the number of workers or the timing); each chunk's sums are computed in
 * index order and the chunks are merged in chunk order, so a run's numbers are bit-for-bit the
 * same with one thread or two. Moments are merged with Pebay's formulas (stats.ts). Memory is
 * O(layout), never O(samples).
 */
import { ObservationPlan, makeObserver, planLayout } from './observe';
import { simulator } from './samplers';
import { Sampler, SimSpec } from './spec';
import { MomentLayout, addSample, mergeInto, momentData } from './stats';
import { WorkerPool } from './pool';

export interface MonteCarloJob {
  spec: SimSpec;
  sampler: Sampler;
  plan: ObservationPlan;
  seed: number;
  samples: number;
}

export interface MonteCarloResult {
  layout: MomentLayout;
  /** Merged moment sums (data[0] = number of networks). */
  data: Float64Array;
  samples: number;
  interrupted: boolean;
  seconds: number;
  threads: number;
  chunkSize: number;
}

export interface RunOptions {
  /** Worker threads: 1 = in this thread; default: 2 (or the cores there are) when the job is long. */
  threads?: number;
  /** Stops after the chunks in flight; the result says interrupted and holds what was done. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Reuse a pool across runs (the caller closes it). */
  pool?: WorkerPool;
}

/** Rough cost of one network in nanoseconds (decides chunk sizes and threading). */
export function costPerNetwork(spec: SimSpec, sampler: Sampler, plan: ObservationPlan): number {
  const N = spec.width;
  const M = spec.P + (spec.tangents ?? 0);
  const perLayer = sampler === 'full' ? N * N * (12 + 1.5 * M) + N * M * 12 : N * (24 * M + 3 * M * M);
  const observe = N * (plan.pairs.length + 4) * 2 + (plan.crossLayer ? plan.depth * 2 : 0);
  return spec.depth * (perLayer + observe) + N * M * 12;
}

/** Networks per chunk: about 40 ms of work, at least 1, at most 4096. A function of the job only. */
export function chunkSize(job: MonteCarloJob): number {
  const c = costPerNetwork(job.spec, job.sampler, job.plan);
  return Math.max(1, Math.min(4096, Math.floor(4e7 / c)));
}

/** Sums of the networks first .. first+count-1 (in index order). */
export function runChunk(job: MonteCarloJob, first: number, count: number, layout = planLayout(job.plan)): Float64Array {
  const sim = simulator(job.spec, job.sampler);
  const { x, observe } = makeObserver(job.plan, job.spec.width);
  const d = new Float64Array(layout.size);
  const data = momentData(layout);
  for (let k = 0; k < count; k++) {
    sim.run(job.seed, first + k, observe);
    addSample(layout, data, x, d);
  }
  return data;
}

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function runMonteCarlo(job: MonteCarloJob, opts: RunOptions = {}): Promise<MonteCarloResult> {
  const t0 = Date.now();
  const layout = planLayout(job.plan);
  const total = job.samples;
  const size = chunkSize(job);
  const nChunks = Math.ceil(total / size);
  const estimate = (costPerNetwork(job.spec, job.sampler, job.plan) * total) / 1e9;
  const threads = opts.pool ? opts.pool.size : Math.max(1, Math.min(opts.threads ?? (estimate > 0.75 && nChunks > 1 ? WorkerPool.defaultSize() : 1), nChunks));
  const data = momentData(layout);
  let done = 0;
  let interrupted = false;
  const results = new Map<number, Float64Array>();
  let nextMerge = 0;
  const mergeReady = (): void => {
    while (results.has(nextMerge)) {
      mergeInto(data, results.get(nextMerge) as Float64Array, layout);
      results.delete(nextMerge);
      nextMerge++;
    }
  };
  const chunkRange = (c: number): [number, number] => [c * size, Math.min(size, total - c * size)];

  if (threads <= 1 && !opts.pool) {
    for (let c = 0; c < nChunks; c++) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const [first, count] = chunkRange(c);
      mergeInto(data, runChunk(job, first, count, layout), layout);
      done += count;
      opts.onProgress?.(done, total);
      await yieldToEventLoop(); // lets SIGINT and progress timers run
    }
  } else {
    const pool = opts.pool ?? new WorkerPool(threads);
    try {
      await pool.setJob(job);
      let next = 0;
      await new Promise<void>((resolve, reject) => {
        let inFlight = 0;
        let failed = false;
        const pump = (): void => {
          if (failed) return;
          while (inFlight < pool.size * 2 && next < nChunks && !opts.signal?.aborted) {
            const c = next++;
            const [first, count] = chunkRange(c);
            inFlight++;
            pool.runChunk(first, count).then(
              (part) => {
                inFlight--;
                results.set(c, part);
                done += count;
                // Under interruption, keep only a contiguous prefix of chunks (merged below).
                mergeReady();
                opts.onProgress?.(done, total);
                pump();
              },
              (err) => {
                failed = true;
                reject(err);
              },
            );
          }
          if (opts.signal?.aborted && next < nChunks) interrupted = true;
          if (inFlight === 0) resolve();
        };
        opts.signal?.addEventListener('abort', () => pump(), { once: true });
        pump();
      });
    } finally {
      if (!opts.pool) await pool.close();
    }
    // Chunks that finished out of order after an interruption are merged too (in chunk order).
    for (const c of [...results.keys()].sort((a, b) => a - b)) mergeInto(data, results.get(c) as Float64Array, layout);
  }
  return { layout, data, samples: data[0], interrupted, seconds: (Date.now() - t0) / 1000, threads, chunkSize: size };
}
