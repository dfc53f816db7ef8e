/**
 * The pieces behind the bad-input rules: the activation analysis (poles, growth rate), the variance
 * bounds of Gaussian expectations, the option ranges read from --help texts, output-path checks
 * and the cost model.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { activation } from '../src/model/activation';
import { InputError, NumericalError } from '../src/model/errors';
import { gaussianCheck1, gaussianCheck2, criticalText } from '../src/model/singularities';
import { valueCheck, outputKind, parseArgs } from '../src/cli/args';
import { COMMANDS } from '../src/cli/commands';
import { checkOutputFile, checkOutputDirPath, writeFileAtomic } from '../src/io/files';
import { checkLayers, MAX_SECONDS } from '../src/cli/cost';
import { network } from '../src/model/network';
import { float64Interp, productIntegrand } from '../src/interpret/numeric';

function thrown(f: () => unknown): Error | undefined {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

describe('activation analysis', () => {
  test.each([
    ['1/x', InputError, /pole at x = 0 .*\^-1\)/],
    ['x/(x-1)', InputError, /pole at x = 1 /],
    ['1/(x^2-4)', InputError, /pole at x = -2 /],
    ['sin(x)/x', InputError, /not defined at x = 0/],
    ['log(x)', InputError, /not a real number/],
    ['sqrt(x)', InputError, /not a real number/],
    ['exp(x^4)', InputError, /faster than any exp\(c x\^2\)/],
    ['exp(exp(x))', InputError, /grows too fast|faster than any/],
    ['1/abs(x)^0.3', NumericalError, /infinite at x = 0 .*\^-0\.30/],
  ])('%s is refused when built', (src, cls, re) => {
    const e = thrown(() => activation(src));
    expect(e).toBeInstanceOf(cls);
    expect(e!.message).toMatch(re);
  });

  test.each([
    ['exp(x^2)', 1],
    ['x*exp(x^2/8)', 0.125],
    ['exp(0.3*x^2)', 0.3],
    ['cosh(x)^2', 0],
    ['x/(1+abs(x))', 0],
    ['1/(1+x^2)', 0],
  ])('%s grows like exp(c x^2) with c = %d', (src, c) => {
    expect(activation(src).growth ?? 0).toBeCloseTo(c, 12);
  });

  test('variance bounds: E[exp(x^2)^2] diverges for variance >= 1/4, refused near it', () => {
    const phi = activation('exp(x^2)');
    const sq = productIntegrand(phi, phi);
    expect(criticalText(2)).toBe('1/4');
    expect(thrown(() => gaussianCheck1(sq.name, sq.growth, 0.25))!.message).toMatch(/diverges for variance >= 1\/4/);
    expect(thrown(() => gaussianCheck1(sq.name, sq.growth, 0.2))).toBeInstanceOf(NumericalError);
    expect(thrown(() => gaussianCheck1(sq.name, sq.growth, 0.1))).toBeUndefined();
    // the exact value E[exp(2 u^2)] = 1/sqrt(1 - 4k) at k = 0.1
    expect(float64Interp.expect1(sq, 0.1)).toBeCloseTo(1 / Math.sqrt(0.6), 10);
    expect(thrown(() => float64Interp.expect1(sq, 1))).toBeInstanceOf(InputError);
    expect(thrown(() => gaussianCheck2('p', 1, 1, 0.6, 0.1, 0.6))).toBeInstanceOf(InputError);
    expect(thrown(() => gaussianCheck2('p', 1, 1, 0.05, 0.01, 0.05))).toBeUndefined();
  });
});

describe('option ranges read from --help', () => {
  test.each([
    ['<integer >= 1>', ['1', '1e7', '100.0'], ['0', '2.5', 'abc', 'NaN', '1e309', '-1']],
    ['<integer 1..10^7>', ['1', '10000000', '1e7'], ['0', '10000001', '1e8']],
    ['<integer 0..2^53-1>', ['0', '9007199254740991'], ['9007199254740992', '-1']],
    ['<2..401>', ['2', '401'], ['1', '402']],
    ['<odd integer <= image>', ['1', '3', '5'], ['4', '0', '2.5']],
    ['<real >= 0>', ['0', '1.5', '1e-3'], ['-1', 'Infinity', 'NaN', '1e309', 'x']],
    ['<real > 0>', ['1e-300'], ['0']],
    ['<real in [-1,1)>', ['-1', '0.99'], ['1', '-1.1']],
    ['<real in (0,0.5]>', ['0.5', '0.01'], ['0', '0.6']],
    ['<real >= 0|eoc>', ['eoc', '2'], ['-1', 'edge']],
    ['<residual|none>', ['residual', 'none'], ['Residual', '']],
  ])('%s', (value, good, bad) => {
    const check = valueCheck('opt', value)!;
    expect(check).toBeDefined();
    for (const v of good) expect(thrown(() => check(v))).toBeUndefined();
    for (const v of bad) expect(thrown(() => check(v))).toBeInstanceOf(InputError);
  });

  test('free-form values are left to the command', () => {
    for (const v of ['<name|expr>', '<from:to:points>', '<N1,N2,...>', '<file.svg>', '<dir>']) expect(valueCheck('opt', v)).toBeUndefined();
  });

  test('every numeric-looking --help range of every command is enforced by the parser', () => {
    for (const cmd of COMMANDS) {
      for (const o of cmd.options) {
        if (o.value && /^<(integer|real|\d)/.test(o.value)) expect({ opt: `${cmd.name} --${o.name} ${o.value}`, checked: valueCheck(o.name, o.value) !== undefined }).toEqual({ opt: `${cmd.name} --${o.name} ${o.value}`, checked: true });
      }
    }
  });

  test('the parser applies the range to options the command may not use, and names a stray argument', () => {
    const specs = [{ name: 'depth', value: '<integer 4..1000>', help: '' }];
    expect(thrown(() => parseArgs(['--depth', 'abc'], specs))!.message).toMatch(/^--depth: expected an integer in 4\.\.1000, got "abc"/);
    expect(parseArgs(['--depth', '1e2'], specs).opts.depth).toBe('1e2');
  });
});

describe('output paths', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-out-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('checked before work, written atomically', () => {
    expect(outputKind({ name: 'plot', value: '<file.svg>', help: '' })).toBe('file');
    expect(outputKind({ name: 'out', value: '<dir>', help: '' })).toBe('dir');
    expect(outputKind({ name: 'net', value: '<file.json>', help: '' })).toBeUndefined();
    expect(thrown(() => checkOutputFile('plot', path.join(dir, 'missing', 'a.svg'), '.svg'))!.message).toMatch(/^--plot: cannot write/);
    expect(thrown(() => checkOutputFile('plot', dir, '.svg'))).toBeInstanceOf(InputError);
    expect(thrown(() => checkOutputFile('plot', path.join(dir, 'a.png'), '.svg'))!.message).toMatch(/\.svg file/);
    expect(thrown(() => checkOutputDirPath('out', '/dev/null/sub'))).toBeInstanceOf(InputError);
    expect(thrown(() => checkOutputDirPath('out', path.join(dir, 'new', 'deeper')))).toBeUndefined();
    const f = path.join(dir, 'a.svg');
    expect(thrown(() => checkOutputFile('plot', f, '.svg'))).toBeUndefined();
    writeFileAtomic(f, '<svg/>');
    expect(fs.readFileSync(f, 'utf8')).toBe('<svg/>');
    expect(fs.readdirSync(dir)).toEqual(['a.svg']);
  });
});

describe('cost model', () => {
  test('hopeless jobs are refused, with the depth that fits; ordinary ones pass', () => {
    const e = thrown(() => checkLayers('kernel', network({ depth: 10_000_000 }), 16))!;
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toMatch(/reduce --depth to at most \d+/);
    const max = Number(/at most (\d+)/.exec(e.message)![1]);
    expect(thrown(() => checkLayers('kernel', network({ depth: max }), 16))).toBeUndefined();
    expect(thrown(() => checkLayers('kernel', network({ depth: max + 1 }), 16))).toBeInstanceOf(InputError);
    expect(thrown(() => checkLayers('kernel', network({ depth: 300, act: 'tanh' }), 16))).toBeUndefined();
    expect(MAX_SECONDS).toBe(600);
  });
});
