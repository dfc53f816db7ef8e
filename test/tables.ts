/** Test helper: comparing one-loop tables (arrays indexed by layer, null where undefined). */

/**
 * The largest |a_l - b_l| relative to the largest |b_l| (at least `floor`); entries null in one
 * array must be null in the other (a failed expectation otherwise).
 */
export function maxRelDiff(a: (number | null)[], b: (number | null)[], floor = 1e-9): number {
  let scale = floor;
  for (const x of b) if (x !== null) scale = Math.max(scale, Math.abs(x));
  let d = 0;
  a.forEach((x, i) => {
    const y = b[i];
    if (x === null || y === null) {
      expect(x).toBe(y);
      return;
    }
    d = Math.max(d, Math.abs(x - y) / scale);
  });
  return d;
}
