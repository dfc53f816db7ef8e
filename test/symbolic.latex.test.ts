/** LaTeX output, pinned. */
import { parse, toLatex, symbolLatex, nthDiff, simplify, diff, series, sym, fn, mul, num } from '../src/symbolic';

const K = { sw2: '\\sigma_w^2', alpha: '\\alpha', K11: '\\mathcal{K}_{11}', K12: '\\mathcal{K}_{12}', K22: '\\mathcal{K}_{22}' };
const L = (src: string) => toLatex(parse(src), { symbols: K });

describe('toLatex: pinned outputs', () => {
  const cases: Array<[string, string]> = [
    ['x/(1+abs(x))', '\\frac{x}{1 + \\left|x\\right|}'],
    [
      'sw2*asin(2*K12/sqrt((1+2*K11)*(1+2*K22)))*2/pi',
      '\\frac{2 \\sigma_w^2}{\\pi} \\arcsin\\left(\\frac{2 \\mathcal{K}_{12}}{\\sqrt{(1 + 2 \\mathcal{K}_{11})(1 + 2 \\mathcal{K}_{22})}}\\right)',
    ],
    ['x*erf(x/sqrt(2))', 'x \\operatorname{erf}\\left(\\frac{x}{\\sqrt{2}}\\right)'],
    ['0.5*x*(1+erf(x/sqrt(2)))', '\\frac{x}{2} \\left(1 + \\operatorname{erf}\\left(\\frac{x}{\\sqrt{2}}\\right)\\right)'],
    ['x/(1+exp(-x))', '\\frac{x}{1 + e^{-x}}'],
    ['exp(-x^2/2)/sqrt(2*pi)', '\\frac{e^{-\\frac{x^2}{2}}}{\\sqrt{2 \\pi}}'],
    ['tanh(x)^2', '\\tanh^2(x)'],
    ['max(0,x)^2', '\\max(0, x)^2'],
    ['(x*heaviside(x))^2', 'x^2 \\Theta(x)^2'],
    ['2^x', '2^x'],
    ['3*2^x', '3 \\cdot 2^x'],
    ['x^(3/2)', 'x^{3/2}'],
    ['x^(1/3)', '\\sqrt[3]{x}'],
    ['x^(-1/2)', '\\frac{1}{\\sqrt{x}}'],
    ['x^10', 'x^{10}'],
    ['e^x', 'e^{x}'],
    ['pi*x', '\\pi x'],
    ['-a/b', '-\\frac{a}{b}'],
    ['a - b', 'a - b'],
    ['1 - x', '1 - x'],
    ['x - 1', 'x - 1'],
    ['-x - 1', '-1 - x'],
    ['-(x - y)', '-(x - y)'],
    ['(a+b)/(c-d)', '\\frac{a + b}{c - d}'],
    ['alpha*x^2 + beta', '\\beta + \\alpha x^2'],
    ['theta + rho*sigma_w + x_12 + K11', '\\mathcal{K}_{11} + \\theta + x_{12} + \\rho \\sigma_{w}'],
    ['sw2^2', '(\\sigma_w^2)^2'],
    ['atan(x)/x', '\\frac{\\arctan(x)}{x}'],
    ['sign(x)*gamma(x)', '\\Gamma(x) \\operatorname{sgn}(x)'],
    ['log(x)^2', '\\log(x)^2'],
    ['abs(x)^3', '\\left|x\\right|^3'],
    ['polygamma(1, x) + digamma(x)', '\\psi(x) + \\psi^{(1)}(x)'],
    ['sqrt(1-x^2)', '\\sqrt{1 - x^2}'],
    ['1/(2*sqrt(pi))', '\\frac{1}{2 \\sqrt{\\pi}}'],
    ['(1+x)^(-2)', '\\frac{1}{(1 + x)^2}'],
    ['(1+x/2)^3', '\\left(1 + \\frac{x}{2}\\right)^3'],
  ];
  test.each(cases)('%s', (src, want) => {
    expect(L(src)).toBe(want);
  });
  test('no \\cdot 1, no 1 \\cdot, no x^{-1}, no + -', () => {
    const samples = cases.map(([src]) => L(src)).concat(
      [1, 2, 3, 4].map((n) => toLatex(nthDiff(parse('x/(1+exp(-x))'), 'x', n))),
      [1, 2, 3].map((n) => toLatex(nthDiff(parse('asin(x)/(1+x^2)'), 'x', n))),
    );
    for (const t of samples) {
      expect(t).not.toMatch(/\\cdot 1(?![0-9])|(?<![0-9])1 \\cdot|\^\{-1\}|\+ -|- -/);
    }
  });
  test('derivatives and series print compactly', () => {
    expect(toLatex(simplify(diff(parse('x/(1+abs(x))'), 'x')))).toBe('\\frac{1}{\\left(1 + \\left|x\\right|\\right)^2}');
    expect(toLatex(nthDiff(parse('erf(x/sqrt(2))'), 'x', 3))).toBe('\\frac{\\sqrt{2}}{\\sqrt{\\pi}} (x^2 - 1) e^{-\\frac{x^2}{2}}');
    expect(toLatex(series(parse('tanh(x)'), 'x', 7))).toBe('x - \\frac{x^3}{3} + \\frac{2 x^5}{15} - \\frac{17 x^7}{315}');
  });
  test('natural factor order: coefficient, Greek and parameters, other symbols, kernels, functions; order none keeps the algebra order', () => {
    const S = { ...K, K: '\\mathcal{K}', a: '\\alpha^2', q0: 'q_0' };
    const e = parse('K*a*sw2/2');
    expect(toLatex(e, { symbols: S })).toBe('\\frac{\\alpha^2 \\sigma_w^2 \\mathcal{K}}{2}');
    expect(toLatex(e, { symbols: S, order: 'none' })).toBe('\\frac{\\mathcal{K} \\alpha^2 \\sigma_w^2}{2}');
    expect(toLatex(parse('3*K*q0*sw2*erf(K)'), { symbols: S })).toBe('3 \\sigma_w^2 q_0 \\mathcal{K} \\operatorname{erf}(\\mathcal{K})');
    expect(toLatex(parse('K11*sw2^2/(K*pi)'), { symbols: S })).toBe('\\frac{(\\sigma_w^2)^2 \\mathcal{K}_{11}}{\\pi \\mathcal{K}}');
  });
  test('symbol names', () => {
    expect(symbolLatex('alpha')).toBe('\\alpha');
    expect(symbolLatex('Sigma')).toBe('\\Sigma');
    expect(symbolLatex('K12')).toBe('K_{12}');
    expect(symbolLatex('sigma_w')).toBe('\\sigma_{w}');
    expect(symbolLatex('q_star')).toBe('q_{\\mathrm{star}}');
    expect(symbolLatex('chi1')).toBe('\\chi_{1}');
    expect(symbolLatex('pi')).toBe('\\pi');
    expect(symbolLatex('e')).toBe('e');
    expect(symbolLatex('sw2', K)).toBe('\\sigma_w^2');
    expect(toLatex(mul(num(2), fn('Opaque_fn', sym('x'))))).toBe('2 \\mathrm{Opaque}_{\\mathrm{fn}}(x)');
  });
});
