/**
 * Phase diagrams (src/quantities/phase.ts, `fieldprop phase`): every number against an
 * independent computation — fixed points against the verified Decimal analysis, depth scales
 * against the contraction rate of a long iteration, the critical line against the sign of
 * chi_1 - 1 on the grid, contour points against a recomputation at the contour, and the
 * sensitivity against finite differences of the kernel.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { activation } from '../src/model/activation';
import { network } from '../src/model/network';
import { float64Interp } from '../src/interpret/numeric';
import { phiPhi } from '../src/quantities/moments';
import { parseGrid, phasePoint, swSbDiagram, alphaSwDiagram, criticalSw2 } from '../src/quantities/phase';
import { fixedPointAnalysis, kernel64 } from '../src/api';
import { locateMaximum } from '../src/quantities/optimal';
import { main } from '../src/cli/main';
import { InputError } from '../src/model/errors';
import { plainMath } from '../src/numeric/plainMath';
const Math = plainMath();

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('grids', () => {
  test('a:b:n gives n points from a to b inclusive; bad grids are InputErrors naming the option', () => {
    expect(parseGrid('sw2', '0.5:2:4', { min: 0, what: '>= 0' }).values).toEqual([0.5, 1, 1.5, 2]);
    for (const bad of ['1:2', '2:1:5', '0:1:1', '0:1:1000', 'a:b:3', '-1:1:3', '0:1:2.5']) {
      expect(() => parseGrid('sw2', bad, { min: 0, what: '>= 0' })).toThrow(InputError);
      try {
        parseGrid('sw2', bad, { min: 0, what: '>= 0' });
      } catch (e) {
        expect((e as Error).message).toMatch(/^--sw2: /);
      }
    }
  });
});

describe('(sw2, sb2) plane', () => {
  test('phase points agree with the verified fixed-point analysis (8 digits) to their 6 printed digits', () => {
    for (const [name, w, b] of [['tanh', 3, 0.1], ['erf', 1.2, 0.1], ['erf', 2.5, 0.3], ['erf', 0.6, 0]] as [string, number, number][]) {
      const p = phasePoint(activation(name), w, b);
      const v = fixedPointAnalysis(name, String(w), String(b), { digits: 8 });
      expect(Math.abs(p.chi1! - Number(v.chi1)) / Number(v.chi1)).toBeLessThan(5e-7);
      expect(Math.abs(p.c_star! - Number(v.c_star))).toBeLessThan(5e-7);
      if (v.xi_c !== 'Infinity') expect(Math.abs(p.xi_c! - Number(v.xi_c)) / Number(v.xi_c)).toBeLessThan(5e-7);
      expect(p.phase).toBe(Number(v.chi1) < 1 ? 'ordered' : 'chaotic');
    }
  });

  test('xi_c in the chaotic phase equals the contraction rate of a long iteration of the correlation map', () => {
    const erf = activation('erf');
    const p = phasePoint(erf, 2.5, 0.2);
    expect(p.phase).toBe('chaotic');
    const q = p.q_star!;
    // Iterate c -> (sb2 + sw2 <phi phi>)/q* from c = 0.2 and measure |c_l - c*| ratios.
    let c = 0.2;
    const cs: number[] = [];
    for (let l = 0; l < 1000; l++) {
      c = (0.2 + 2.5 * phiPhi(float64Interp, erf, q, c * q, q)) / q;
      cs.push(c);
    }
    const cStar = cs[999];
    expect(Math.abs(cStar - p.c_star!)).toBeLessThan(1e-12);
    // The ratio of successive distances, where the distance is small (1e-7) but far above rounding.
    const k = cs.findIndex((x) => Math.abs(x - cStar) < 1e-7);
    expect(k).toBeGreaterThan(0);
    const rate = (cs[k + 1] - cStar) / (cs[k] - cStar);
    expect(Math.abs(rate - p.chi_c!)).toBeLessThan(1e-5);
    expect(Math.abs(-1 / Math.log(rate) - p.xi_c!) / p.xi_c!).toBeLessThan(1e-4);
  });

  test('the critical line separates the ordered from the chaotic grid points', () => {
    const tanh = activation('tanh');
    const dg = swSbDiagram(tanh, parseGrid('sw2', '0.65:3.45:6', { min: 0, what: '' }), parseGrid('sb2', '0:0.3:3', { min: 0, what: '' }), [2, 10], 3);
    expect(dg.critical_sb2).toEqual([0, 0.15, 0.3]);
    for (let r = 0; r < 3; r++) {
      const sc = dg.critical_sw2[r];
      expect(sc).not.toBeNull();
      for (const p of dg.points[r]) {
        expect(p.phase).toBe(p.sw2 < sc! ? 'ordered' : 'chaotic');
        expect(p.chi1! < 1).toBe(p.sw2 < sc!);
      }
    }
    // sb2 = 0, phi(0) = 0: the critical point sits at q* = 0, sw2_c = 1/phi'(0)^2 = 1 for tanh.
    expect(dg.critical_sw2[0]).toBe(1);
    expect(Math.abs(criticalSw2(activation('erf'), 0)! - Math.PI / 4)).toBeLessThan(1e-15);
  });

  test('contour points: xi_c recomputed at each contour point is close to its level, and closer on a finer grid', () => {
    const erf = activation('erf');
    const maxErr = (sw2: string, sb2: string): Map<number, number> => {
      const dg = swSbDiagram(erf, parseGrid('sw2', sw2, { min: 0, what: '' }), parseGrid('sb2', sb2, { min: 0, what: '' }), [2, 5, 20], 2);
      const m = new Map<number, number>();
      for (const c of dg.contours) {
        expect(c.segments.length).toBeGreaterThan(4);
        let e = 0;
        for (const s of c.segments) e = Math.max(e, Math.abs(Math.log(phasePoint(erf, s[0], s[1]).xi_c!) - Math.log(c.level)));
        m.set(c.level, e);
      }
      return m;
    };
    const coarse = maxErr('0.5:4:15', '0.05:0.5:8');
    const fine = maxErr('0.5:4:29', '0.05:0.5:15');
    // Linear interpolation of ln xi_c: second order in the grid step; worst next to the critical line (large xi_c).
    expect(coarse.get(2)!).toBeLessThan(0.02);
    expect(coarse.get(5)!).toBeLessThan(0.05);
    for (const level of [2, 5, 20]) expect(fine.get(level)!).toBeLessThan(coarse.get(level)! / 3);
  });
});

describe('(alpha, sw2) plane', () => {
  test('S on the grid equals a finite difference of the kernel, dc^L/dc^0; alpha* equals the optimal-alpha scan', () => {
    const base = { act: 'erf', alpha: '1', sb2: '0', depth: 30, q0: '1', c0: '0.9' };
    const net = network({ ...base, sw2: '1' });
    const dg = alphaSwDiagram(net, parseGrid('alpha', '0.1:2:12', { min: 0, what: '' }), parseGrid('sw2', '1:2:3', { min: 0, what: '' }));
    const h = 1e-6;
    for (const [i, w] of dg.sw2.entries()) {
      for (const j of [0, 5, 11]) {
        const a = dg.alpha[j];
        const c = (c0: number) => kernel64({ ...base, sw2: String(w), alpha: String(a), c0: String(c0) }).c[30];
        const fd = (c(0.9 + h) - c(0.9 - h)) / (2 * h);
        expect(Math.abs(dg.sensitivity[i][j]! - fd) / Math.abs(fd)).toBeLessThan(1e-6);
      }
      const loc = locateMaximum(network({ ...base, sw2: String(w) }), 0.05, 5, 161);
      expect(loc.interior).toBe(true);
      expect(Math.abs(dg.alpha_star[i]! - loc.alpha0) / loc.alpha0).toBeLessThan(1e-6);
    }
    // sb2 = 0: S depends on alpha^2 sw2 only, so alpha*(sw2 = 2) = alpha*(sw2 = 1)/sqrt(2).
    expect(Math.abs(dg.alpha_star[2]! * Math.SQRT2 - dg.alpha_star[0]!)).toBeLessThan(1e-6);
  });

  test('relu: no interior maximum (null), as every layer factor is at most 1', () => {
    const dg = alphaSwDiagram(network({ act: 'relu', alpha: '1', sw2: '2', sb2: '0', depth: 20, c0: '0.9' }), parseGrid('alpha', '0.1:1:5', { min: 0, what: '' }), parseGrid('sw2', '1:2:2', { min: 0, what: '' }));
    expect(dg.alpha_star).toEqual([null, null]);
    for (const row of dg.sensitivity) for (let j = 1; j < row.length; j++) expect(row[j]!).toBeLessThan(row[j - 1]!);
  });
});

describe('fieldprop phase', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-phase-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('sw2-sb2: --json data and an SVG written atomically', async () => {
    const svg = path.join(dir, 'phase.svg');
    const r = await run(['phase', '--act', 'erf', '--sw2', '0.5:3:6', '--sb2', '0:0.4:3', '--levels', '2,10', '--critical-points', '3', '--out', svg, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.plane).toBe('sw2-sb2');
    expect(j.chi1).toHaveLength(3);
    expect(j.chi1[0]).toHaveLength(6);
    expect(typeof j.chi1[1][1]).toBe('string');
    expect(j.critical_line.sw2[0]).toBe('0.785398');
    expect(j.contours.map((c: { level: string }) => c.level)).toEqual(['2', '10']);
    const text = fs.readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text).toContain('sigma_w^2');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('sw2-sb2 readable map; alpha-sw2 readable table and JSON', async () => {
    const r = await run(['phase', '--act', 'erf', '--sw2', '0.5:3:6', '--sb2', '0:0.4:3', '--critical-points', '3']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Critical line/);
    expect(r.out).toMatch(/sb2 = 0\.4\s+[.#|?]{6}/);
    const a = await run(['phase', '--plane', 'alpha-sw2', '--act', 'erf', '--sw2', '1:2:3', '--sb2', '0', '--alpha', '0.1:2:12', '--depth', '30', '--c0', '0.9', '--json']);
    expect(a.code).toBe(0);
    const j = JSON.parse(a.out);
    expect(j.sensitivity).toHaveLength(3);
    expect(j.sensitivity[0]).toHaveLength(12);
    expect(j.alpha_star.every((x: string | null) => x !== null)).toBe(true);
    const t = await run(['phase', '--plane', 'alpha-sw2', '--act', 'erf', '--sw2', '1:2:2', '--alpha', '0.1:2:6', '--depth', '10']);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/alpha\*/);
  });

  test('bad input: exit code 2 and one line naming the parameter', async () => {
    for (const [args, param] of [
      [['--sw2', '1:2'], 'sw2'],
      [['--plane', 'foo'], 'plane'],
      [['--alpha', '0.1:1:3'], 'alpha'],
      [['--out', 'x.png'], 'out'],
      [['--levels', '1,-2'], 'levels'],
      [['--act', 'sign', '--sw2', '1:2:2', '--sb2', '0:1:2'], 'act'],
      [['--plane', 'alpha-sw2', '--sb2', '0:1:3'], 'sb2'],
      [['--plane', 'alpha-sw2', '--levels', '2'], 'levels'],
      [['--critical-points', '1'], 'critical-points'],
      [['--depth', '5'], 'depth'],
      [['--plane', 'alpha-sw2', '--depth', '0'], 'depth'],
    ] as [string[], string][]) {
      const r = await run(['phase', ...args]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain(`--${param}`);
    }
  });
});
