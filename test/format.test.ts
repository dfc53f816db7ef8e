/** The printed-number conventions of src/io/format.ts, each on the cases where they differ. */
import { formatNumber, formatMaybe, formatFinite, formatTrimmed, formatPadded, formatZ, textTable } from '../src/io/format';

test('formatNumber: Decimal rounding, trailing zeros dropped, exponent form only past the significant digits', () => {
  expect(formatNumber(0.1 + 0.2, 17)).toBe('0.30000000000000004');
  expect(formatNumber(0.1 + 0.2, 16)).toBe('0.3');
  expect(formatNumber(46566473679812345, 12)).toBe('4.65664736798e16');
  expect(formatNumber(1.5e-7, 6)).toBe('1.5e-7');
  expect(formatNumber(Infinity, 6)).toBe('Infinity');
});

test('formatMaybe keeps a non-finite value as text, formatFinite drops it', () => {
  expect(formatMaybe(null, 6)).toBeNull();
  expect(formatMaybe(Infinity, 6)).toBe('Infinity');
  expect(formatFinite(Infinity, 6)).toBeNull();
  expect(formatFinite(undefined, 6)).toBeNull();
  expect(formatFinite(2.5, 6)).toBe('2.5');
});

test('formatTrimmed: toPrecision without trailing zeros, JavaScript exponent form, NaN refused', () => {
  expect(formatTrimmed(1234567.5, 6)).toBe('1.23457e+6');
  expect(formatTrimmed(0.5, 12)).toBe('0.5');
  expect(formatTrimmed(-0, 12)).toBe('0');
  expect(formatTrimmed(-Infinity)).toBe('-Infinity');
  expect(() => formatTrimmed(NaN)).toThrow(/non-finite/);
});

test('formatPadded keeps trailing zeros; formatZ two decimals; missing marks', () => {
  expect(formatPadded(1.5, 4)).toBe('1.500');
  expect(formatPadded(null)).toBe('-');
  expect(formatPadded(undefined, 6, '–')).toBe('–');
  expect(formatZ(-0.456)).toBe('-0.46');
  expect(formatZ(null, '–')).toBe('–');
});

test('textTable: the first column right-aligned by default, every column with align "right"', () => {
  expect(textTable(['a', 'bb'], [['123', 'x']])).toBe('  a  bb\n---  --\n123  x \n');
  expect(textTable(['a', 'bb'], [['123', 'x']], { indent: '  ', align: 'right' })).toBe('    a  bb\n  ---  --\n  123   x\n');
});
