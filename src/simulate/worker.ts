/**
 * Worker-thread entry (started by pool.ts): receives a job, then chunk requests, and answers
 * each with the chunk's moment sums (transferred, not copied).
 */
import { parentPort } from 'worker_threads';
import { NumericalError } from '../model/errors';
import { MonteCarloJob, runChunk } from './montecarlo';
import { planLayout } from './observe';
import { MomentLayout } from './stats';

let job: MonteCarloJob | null = null;
let layout: MomentLayout | null = null;

if (parentPort) {
  const port = parentPort;
  port.on('message', (m: { type: 'job'; job: MonteCarloJob } | { type: 'chunk'; first: number; count: number }) => {
    if (m.type === 'job') {
      job = m.job;
      layout = planLayout(job.plan);
      return;
    }
    try {
      if (!job || !layout) throw new Error('chunk before job');
      const data = runChunk(job, m.first, m.count, layout);
      port.postMessage({ type: 'result', data }, [data.buffer as ArrayBuffer]);
    } catch (e) {
      const err = e as Error;
      port.postMessage({ type: 'error', name: err.name, message: err.message, stack: err.stack, layer: e instanceof NumericalError ? e.layer : undefined });
    }
  });
}
