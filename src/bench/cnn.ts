/**
 * CNN benchmarks:
 *   - cnn-fft-vs-dense: one layer of the covariance map (variance plane + the two nearest-neighbour
 *     planes, erf) on n x n images, n = 8, 16, 32, 64, by the FFT route and by the dense
 *     n^2 x n^2 circulant-matrix route; the two must agree (1e-12 relative) and the FFT route
 *     must be faster from 16 x 16 up. The value reports the time ratio dense / FFT per size.
 *   - cnn-covariance-erf-32x32-depth10000: 10,000 layers of the same map on a 32 x 32 image
 *     (FFT route), target 60 s; the value reports the final spatial mean of q next to q*.
 */
import { cnnSpec, CnnCovarianceMap, displacementSet, inputCovariance, randomImage, cnnFixedPoint, CovariancePlanes } from '../quantities/cnn';

export interface CnnBench {
  name: string;
  description: string;
  target: number;
  run(): string;
  judge?: (value: string) => boolean;
}

function timeLayers(map: CnnCovarianceMap, s0: CovariancePlanes, minSeconds: number): { perLayer: number; out: CovariancePlanes } {
  let layers = 0;
  let out = s0;
  const t0 = process.hrtime.bigint();
  let el = 0;
  while (el < minSeconds || layers < 3) {
    out = map.step(s0);
    layers++;
    el = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  return { perLayer: el / layers, out };
}

/** dense/FFT time ratio of one layer, per image size; throws if the routes disagree. */
export function fftVersusDense(sizes = [8, 16, 32, 64], minSeconds = 0.5): { size: number; fft: number; dense: number; ratio: number }[] {
  return sizes.map((n) => {
    const spec = cnnSpec({ act: 'erf', sw2: '1.5', sb2: '0.05', dims: 2, image: n, kernelSize: 3 });
    const nn = displacementSet(spec.shape, 'nn');
    const s0 = inputCovariance(spec, randomImage(spec.shape, 3, 1), nn);
    const f = timeLayers(new CnnCovarianceMap(spec, 'fft'), s0, minSeconds);
    const fftOut = f.out.planes.map((p) => Float64Array.from(p));
    const d = timeLayers(new CnnCovarianceMap(spec, 'dense'), s0, minSeconds);
    for (let p = 0; p < fftOut.length; p++)
      for (let a = 0; a < fftOut[p].length; a++) {
        if (Math.abs(fftOut[p][a] - d.out.planes[p][a]) > 1e-12 * Math.abs(d.out.planes[0][a])) throw new Error(`FFT and dense routes disagree at ${n}x${n}`);
      }
    return { size: n, fft: f.perLayer, dense: d.perLayer, ratio: d.perLayer / f.perLayer };
  });
}

export function cnnBenches(): CnnBench[] {
  return [
    {
      name: 'cnn-fft-vs-dense',
      description: 'one layer of the CNN covariance map (variance + nearest-neighbour planes, erf, 3x3 kernel) on n x n images: dense n^2 x n^2 matrix route time / FFT route time; target: FFT faster from 16x16 up',
      target: 600,
      run: () =>
        fftVersusDense()
          .map((r) => `${r.size}x${r.size}: ratio ${r.ratio.toFixed(1)} (fft ${(r.fft * 1e3).toFixed(3)} ms, dense ${(r.dense * 1e3).toFixed(3)} ms)`)
          .join('; '),
      judge: (v) => [...v.matchAll(/(\d+)x\d+: ratio ([\d.]+)/g)].every((m) => Number(m[1]) < 16 || Number(m[2]) > 1),
    },
    {
      name: 'cnn-covariance-erf-32x32-depth10000',
      description: '10,000 layers of CNN covariance propagation on a 32x32 image (variance + nearest-neighbour planes, erf, 3x3 Gaussian kernel, FFT route)',
      target: 60,
      run: () => {
        const spec = cnnSpec({ act: 'erf', sw2: '1.5', sb2: '0.05', dims: 2, image: 32, kernelSize: 3 });
        const nn = displacementSet(spec.shape, 'nn');
        let c = inputCovariance(spec, randomImage(spec.shape, 3, 1), nn);
        const map = new CnnCovarianceMap(spec, 'fft');
        for (let l = 0; l < 10000; l++) c = map.step(c);
        let m = 0;
        for (const x of c.planes[0]) m += x;
        m /= c.planes[0].length;
        return `mean q at layer 10000 = ${m.toPrecision(15)} (q* = ${cnnFixedPoint(spec).q_star.toPrecision(15)})`;
      },
    },
  ];
}
