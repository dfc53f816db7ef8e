/**
 * A small pool of worker threads running Monte Carlo chunks (src/simulate/worker). The worker is
 * started from a tiny CommonJS bootstrap, so that it works from the compiled build (dist/*.js)
 * and from the TypeScript sources (under jest), where the bootstrap registers a transpile-only
 * loader for .ts files using the project's own TypeScript compiler (a dev dependency; never
 * needed by the built package).
 */
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { MonteCarloJob } from './montecarlo';
import { NumericalError } from '../model/errors';

const BOOTSTRAP = `
const { workerData } = require('worker_threads');
if (workerData.tsCompiler) {
  const ts = require(workerData.tsCompiler);
  const fs = require('fs');
  require.extensions['.ts'] = function (m, filename) {
    const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
    });
    m._compile(out.outputText, filename);
  };
}
require(workerData.entry);
`;

/** The worker entry next to this file, and (for .ts sources) the TypeScript compiler to load it with. */
function workerEntry(): { entry: string; tsCompiler?: string } {
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `worker${ext}`);
  if (ext === '.ts') return { entry, tsCompiler: require.resolve('typescript') };
  return { entry };
}

interface Pending {
  resolve: (data: Float64Array) => void;
  reject: (e: Error) => void;
}

export class WorkerPool {
  readonly size: number;
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { first: number; count: number; p: Pending }[] = [];
  private readonly pending = new Map<Worker, Pending>();
  private error: Error | null = null;
  private closed = false;

  /** Both cores, when there are two. */
  static defaultSize(): number {
    const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    return Math.max(1, Math.min(2, n));
  }

  constructor(size = WorkerPool.defaultSize()) {
    this.size = Math.max(1, size);
    const data = workerEntry();
    for (let k = 0; k < this.size; k++) {
      const w = new Worker(BOOTSTRAP, { eval: true, workerData: data });
      w.on('message', (m: { type: string; data?: Float64Array; message?: string; stack?: string }) => this.onMessage(w, m));
      w.on('error', (e) => this.fail(w, e));
      w.on('exit', (code) => {
        if (!this.closed && code !== 0) this.fail(w, new Error(`simulation worker exited with code ${code}`));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Send the job description to every worker (each builds its simulator once). */
  async setJob(job: MonteCarloJob): Promise<void> {
    if (this.error) throw this.error;
    for (const w of this.workers) w.postMessage({ type: 'job', job });
  }

  /** Moment sums of networks first .. first+count-1 of the current job. */
  runChunk(first: number, count: number): Promise<Float64Array> {
    return new Promise((resolve, reject) => {
      if (this.error) return reject(this.error);
      this.queue.push({ first, count, p: { resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop() as Worker;
      const task = this.queue.shift() as (typeof this.queue)[number];
      this.pending.set(w, task.p);
      w.postMessage({ type: 'chunk', first: task.first, count: task.count });
    }
  }

  private onMessage(w: Worker, m: { type: string; data?: Float64Array; message?: string; stack?: string; name?: string; layer?: number }): void {
    const p = this.pending.get(w);
    this.pending.delete(w);
    this.idle.push(w);
    if (m.type === 'result' && p) p.resolve(m.data as Float64Array);
    else if (m.type === 'error' && p) {
      const e = m.name === 'NumericalError' ? new NumericalError(m.message ?? '', m.layer) : new Error(m.message);
      if (m.stack) e.stack = m.stack;
      p.reject(e);
    }
    this.dispatch();
  }

  private fail(w: Worker, e: Error): void {
    this.error = e;
    const p = this.pending.get(w);
    this.pending.delete(w);
    p?.reject(e);
    for (const t of this.queue.splice(0)) t.p.reject(e);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
