/**
 * batchnorm --net --simulate: the description's L is the depth of the Monte Carlo networks (the
 * same digits as --depth L), and --depth beside a file is refused in one line.
 */
import { run, jsonFiles } from './cliRun';

const { file } = jsonFiles('fieldprop-bnnet-');

test('batchnorm --net --simulate runs the networks at the description\'s depth L', async () => {
  const net = file({ inputs: { q0: 1, c0: 0.5 }, layers: [{ repeat: 5, layers: [{ dense: { sw2: 1, sb2: 0 } }, { batchnorm: { batch: 4 } }, { act: 'relu' }] }] });
  const mc = ['--simulate', '--width', '16', '--networks', '2', '--samples', '200', '--json'];
  const a = await run(['batchnorm', '--net', net, ...mc]);
  const b = await run(['batchnorm', '--act', 'relu', '--batch', '4', '--depth', '5', ...mc]);
  expect(a.code).toBe(0);
  expect(a.out).toBe(b.out);
  expect(JSON.parse(a.out).simulation.depth).toBe(5);
  const r = await run(['batchnorm', '--net', net, '--depth', '6']);
  expect(r.code).toBe(2);
  expect(r.err.trim()).toMatch(/^fieldprop batchnorm: --net: replaces --depth/);
});
