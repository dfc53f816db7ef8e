/**
 * A plain-object copy of the global Math. Jest 30 runs tests with the global Math behind a
 * proxy, where every `Math.exp` access costs about a microsecond (30x the call itself); numeric
 * modules alias `const Math = plainMath()` so that the same code is fast in tests and in use.
 */
export function plainMath(): Math {
  const src = globalThis.Math as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.getOwnPropertyNames(src)) out[k] = src[k];
  return out as unknown as Math;
}
