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
  /** Number of blocks of the whole run. */
  nBlocks: number;
  /** With RunOptions.blocks: the sums of each block run (in block order). */
  blocks?: { index: number; data: Float64Array }[];
}

export interface RunOptions {
  /** Worker threads: 1 = in this thread; default: 2 (or the cores there are) when the job is long. */
  threads?: number;
  /** Stops after the chunks in flight; the result says interrupted and holds what was done. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Reuse a pool across runs (the caller closes it). */
  pool?: WorkerPool;
  /** Run only the blocks b for which this is true (a shard) and return their sums (see MAX_BLOCKS). */
  blocks?: (b: number) => boolean;
  /** Blocks of the run (default MAX_BLOCKS); fewer give blocks of several chunks in a small run (tests). */
  maxBlocks?: number;
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

/**
 * Blocks: the chunks of a run are grouped into at most MAX_BLOCKS blocks of consecutive chunks
 * (block b holds chunks floor(b C / B) .. floor((b+1) C / B) - 1 of C chunks, B blocks). A
 * block's sums merge its chunks in order from zero; the run's sums merge the blocks in order.
 * Blocks are the unit of sharding (`validate --shard`): a shard returns its blocks' sums, and
 * merging every block in order (mergeBlocks) gives bit for bit the sums of the whole run. With
 * at most MAX_BLOCKS chunks every block is one chunk and this is plain chunk order.
 */
export const MAX_BLOCKS = 256;

export function blockCount(nChunks: number, max = MAX_BLOCKS): number {
  return Math.min(nChunks, max);
}

/** Chunks [first, end) of block b. */
function blockChunks(b: number, nChunks: number, nBlocks: number): [number, number] {
  return [Math.floor((b * nChunks) / nBlocks), Math.floor(((b + 1) * nChunks) / nBlocks)];
}

/** Networks a run of the blocks `blocks` selects simulates (all blocks: job.samples). */
export function networksIn(job: MonteCarloJob, blocks?: (b: number) => boolean): number {
  const size = chunkSize(job);
  const nChunks = Math.ceil(job.samples / size);
  const nBlocks = blockCount(nChunks);
  let n = 0;
  for (let b = 0; b < nBlocks; b++) {
    if (blocks && !blocks(b)) continue;
    const [c0, c1] = blockChunks(b, nChunks, nBlocks);
    n += Math.min(c1 * size, job.samples) - c0 * size;
  }
  return n;
}

/** The sums of a whole run from the sums of all its blocks (in block order). */
export function mergeBlocks(layout: MomentLayout, blocks: Float64Array[]): Float64Array {
  const data = momentData(layout);
  for (const b of blocks) mergeInto(data, b, layout);
  return data;
}

export async function runMonteCarlo(job: MonteCarloJob, opts: RunOptions = {}): Promise<MonteCarloResult> {
  const t0 = Date.now();
  const layout = planLayout(job.plan);
  const total = job.samples;
  const size = chunkSize(job);
  const nChunks = Math.ceil(total / size);
  const nBlocks = blockCount(nChunks, opts.maxBlocks);
  const chosen: number[] = [];
  for (let b = 0; b < nBlocks; b++) if (!opts.blocks || opts.blocks(b)) chosen.push(b);
  // The chunks to run (in order), and the block each belongs to.
  const chunks: number[] = [];
  const blockOf = new Map<number, number>();
  for (const b of chosen) {
    const [c0, c1] = blockChunks(b, nChunks, nBlocks);
    for (let c = c0; c < c1; c++) {
      chunks.push(c);
      blockOf.set(c, b);
    }
  }
  const chunkRange = (c: number): [number, number] => [c * size, Math.min(size, total - c * size)];
  const todo = chunks.reduce((a, c) => a + chunkRange(c)[1], 0);
  const estimate = (costPerNetwork(job.spec, job.sampler, job.plan) * todo) / 1e9;
  const threads = opts.pool ? opts.pool.size : Math.max(1, Math.min(opts.threads ?? (estimate > 0.75 && chunks.length > 1 ? WorkerPool.defaultSize() : 1), chunks.length));

  // Chunk results wait in `results` until their block's earlier chunks are merged; finished blocks
  // are merged into `data` in block order (or kept, when the caller asked for blocks).
  const data = momentData(layout);
  const blockData = new Map<number, Float64Array>();
  const nextChunk = new Map<number, number>(chosen.map((b) => [b, blockChunks(b, nChunks, nBlocks)[0]]));
  const results = new Map<number, Float64Array>();
  let nextBlock = 0; // index into `chosen`
  const absorb = (c: number, part: Float64Array): void => {
    results.set(c, part);
    const b = blockOf.get(c) as number;
    let acc = blockData.get(b);
    if (!acc) blockData.set(b, (acc = momentData(layout)));
    let next = nextChunk.get(b) as number;
    while (results.has(next)) {
      mergeInto(acc, results.get(next) as Float64Array, layout);
      results.delete(next);
      next++;
    }
    nextChunk.set(b, next);
    if (opts.blocks) return;
    while (nextBlock < chosen.length) {
      const nb = chosen[nextBlock];
      if (nextChunk.get(nb) !== blockChunks(nb, nChunks, nBlocks)[1]) break;
      mergeInto(data, blockData.get(nb) as Float64Array, layout);
      blockData.delete(nb);
      nextBlock++;
    }
  };
  let done = 0;
  let interrupted = false;

  if (threads <= 1 && !opts.pool) {
    for (const c of chunks) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const [first, count] = chunkRange(c);
      absorb(c, runChunk(job, first, count, layout));
      done += count;
      opts.onProgress?.(done, todo);
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
          while (inFlight < pool.size * 2 && next < chunks.length && !opts.signal?.aborted) {
            const c = chunks[next++];
            const [first, count] = chunkRange(c);
            inFlight++;
            pool.runChunk(first, count).then(
              (part) => {
                inFlight--;
                absorb(c, part);
                done += count;
                opts.onProgress?.(done, todo);
                pump();
              },
              (err) => {
                failed = true;
                reject(err);
              },
            );
          }
          if (opts.signal?.aborted && next < chunks.length) interrupted = true;
          if (inFlight === 0) resolve();
        };
        opts.signal?.addEventListener('abort', () => pump(), { once: true });
        pump();
      });
    } finally {
      if (!opts.pool) await pool.close();
    }
  }
  if (interrupted) {
    // Chunks that finished out of order after the interruption join their block (in chunk order).
    for (const c of [...results.keys()].sort((a, b) => a - b)) {
      const b = blockOf.get(c) as number;
      if (!blockData.has(b)) blockData.set(b, momentData(layout));
      mergeInto(blockData.get(b) as Float64Array, results.get(c) as Float64Array, layout);
    }
  }
  const blocks = chosen.filter((b) => blockData.has(b)).map((b) => ({ index: b, data: blockData.get(b) as Float64Array }));
  if (opts.blocks) {
    const merged = mergeBlocks(layout, blocks.map((b) => b.data));
    data.set(merged);
  } else for (const b of blocks) mergeInto(data, b.data, layout); // what an interruption left unmerged
  return { layout, data, samples: data[0], interrupted, seconds: (Date.now() - t0) / 1000, threads, chunkSize: size, blocks: opts.blocks ? blocks : undefined, nBlocks };
}
