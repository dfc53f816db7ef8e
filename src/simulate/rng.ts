/**
 * A portable, seeded random source for the Monte Carlo simulators.
 *
 * - Uniform bits: xoshiro128** (Blackman & Vigna), 32-bit words, integer arithmetic only
 *   (Math.imul and shifts), so the stream is bit-for-bit the same on every machine.
 * - Streams: every simulated network gets its own generator, seeded from (seed, sample index,
 *   sub-stream) by an invertible 128-bit scramble of the key. Results therefore do not depend on how the samples are split
 *   across workers or chunks.
 * - Normals: the ziggurat method in Doornik's corrected form (ZIGNOR, 128 boxes: the box index
 *   and the uniform come from independent words). The tables are built once with Math.exp,
 *   Math.log and Math.sqrt; V8 implements exp and log with its fdlibm port and sqrt is correctly
 *   rounded, so the tables (and every normal) are the same on every machine running Node.
 *   The rare wedge and tail draws use Math.exp and Math.log as well.
 */

// Math functions bound once: under jest 30 the global Math is a proxy, and a call through it
// costs a microsecond (200x slower); a local binding is a plain function call everywhere.
const { imul, abs, exp, log, sqrt } = Math;

/** The largest seed accepted (seeds are integers in 0..2^53-1). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;
/** Sub-streams per network (0: inputs and weights, 1: tangent directions, ...). */
export const MAX_STREAM = 2047;

/** murmur3's 32-bit finaliser: a bijection of the 32-bit words with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * Four 32-bit state words for the generator of (seed, index, stream). The 122-bit key is
 * packed into 128 bits and scrambled by rounds of invertible steps (fmix32 on each word, then
 * word-to-word additions and xors), so the map is a bijection: different keys never share a
 * starting state, and neighbouring keys give unrelated ones.
 */
export function streamState(seed: number, index: number, stream = 0): Uint32Array {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new RangeError(`seed must be an integer in 0..2^53-1, got ${seed}`);
  if (!Number.isInteger(index) || index < 0 || index > MAX_SEED) throw new RangeError(`stream index must be an integer >= 0, got ${index}`);
  if (!Number.isInteger(stream) || stream < 0 || stream > MAX_STREAM) throw new RangeError(`sub-stream must be an integer in 0..${MAX_STREAM}`);
  const seedHi = Math.floor(seed / 4294967296);
  const indexHi = Math.floor(index / 4294967296);
  let w0 = seed >>> 0;
  let w1 = index >>> 0;
  let w2 = (seedHi | (stream << 21)) | 0;
  let w3 = indexHi | 0;
  for (let r = 0; r < 4; r++) {
    w0 = fmix32((w0 + 0x9e3779b9 * (r + 1)) | 0);
    w1 = fmix32((w1 + 0x7f4a7c15 * (r + 1)) | 0);
    w2 = fmix32((w2 + 0x632be5ab * (r + 1)) | 0);
    w3 = fmix32((w3 + 0x1b873593 * (r + 1)) | 0);
    w1 = (w1 + w0) | 0;
    w2 ^= w1;
    w3 = (w3 + w2) | 0;
    w0 ^= w3;
  }
  const out = new Uint32Array([w0, w1, w2, w3]);
  if ((out[0] | out[1] | out[2] | out[3]) === 0) out[0] = 0x9e3779b9; // the all-zero state is a fixed point
  return out;
}

// ---------------------------------------------------------------------------------------
// Ziggurat tables (Doornik 2005, "An improved ziggurat method to generate normal random
// samples"), 128 boxes.

const ZIG_C = 128;
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
const ZIG_X = new Float64Array(ZIG_C + 1);
const ZIG_RATIO = new Float64Array(ZIG_C);
{
  let f = exp(-0.5 * ZIG_R * ZIG_R);
  ZIG_X[0] = ZIG_V / f;
  ZIG_X[1] = ZIG_R;
  ZIG_X[ZIG_C] = 0;
  for (let i = 2; i < ZIG_C; i++) {
    ZIG_X[i] = sqrt(-2 * log(ZIG_V / ZIG_X[i - 1] + f));
    f = exp(-0.5 * ZIG_X[i] * ZIG_X[i]);
  }
  for (let i = 0; i < ZIG_C; i++) ZIG_RATIO[i] = ZIG_X[i + 1] / ZIG_X[i];
}

const TWO_M31 = 2 ** -31;
const TWO_M53 = 2 ** -53;

/**
 * xoshiro128** with a ziggurat normal generator. The hot loops (`fillNormal`) keep the state in
 * local variables; the object is the state between calls.
 */
export class Rng {
  /**
   * s0..s3 (xoshiro128** state), then the unused box-index bits of the last index word and how
   * many 7-bit indices it still holds. An Int32Array keeps the words unboxed.
   */
  private readonly st = new Int32Array(6);

  constructor(state: Uint32Array) {
    for (let i = 0; i < 4; i++) this.st[i] = state[i] | 0;
  }

  /** The generator of network `index` under `seed` (and an optional sub-stream). */
  static stream(seed: number, index: number, stream = 0): Rng {
    return new Rng(streamState(seed, index, stream));
  }

  /** Next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const st = this.st;
    let s0 = st[0];
    let s1 = st[1];
    let s2 = st[2];
    let s3 = st[3];
    const r = imul((imul(s1, 5) << 7) | (imul(s1, 5) >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    st[0] = s0;
    st[1] = s1;
    st[2] = s2;
    st[3] = s3;
    return r >>> 0;
  }

  /** Uniform in (0, 1), 53 random bits, never 0 or 1. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo + 0.5) * TWO_M53;
  }

  /** One standard normal. */
  normal(): number {
    const out = NORMAL_TMP;
    this.fillNormal(out, 0, 1, 1);
    return out[0];
  }

  /**
   * out[offset .. offset+n) = scale * (independent standard normals). The workhorse: about
   * 1.25 32-bit words per normal (one for the uniform, 7 bits of another for the box).
   */
  fillNormal(out: Float64Array, offset: number, n: number, scale: number): void {
    const st = this.st;
    let s0 = st[0];
    let s1 = st[1];
    let s2 = st[2];
    let s3 = st[3];
    let idxBits = st[4];
    let idxLeft = st[5];
    const X = ZIG_X;
    const RATIO = ZIG_RATIO;
    const end = offset + n;
    let k = offset;
    while (k < end) {
      // one word -> u in (-1, 1)
      let r = imul((imul(s1, 5) << 7) | (imul(s1, 5) >>> 25), 9);
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      const u = (r + 0.5) * TWO_M31; // r is a signed 32-bit integer
      if (idxLeft === 0) {
        // a fresh word supplies the box indices of the next four normals
        r = imul((imul(s1, 5) << 7) | (imul(s1, 5) >>> 25), 9);
        t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 11) | (s3 >>> 21);
        idxBits = r;
        idxLeft = 4;
      }
      const i = idxBits & 0x7f;
      idxBits >>= 7;
      idxLeft--;
      if (abs(u) < RATIO[i]) {
        out[k++] = scale * (u * X[i]);
        continue;
      }
      // Rare (about 1.5%): the tail or a wedge, drawn by a method that reads the saved state.
      st[0] = s0;
      st[1] = s1;
      st[2] = s2;
      st[3] = s3;
      const x = this.slowPath(u, i);
      s0 = st[0];
      s1 = st[1];
      s2 = st[2];
      s3 = st[3];
      if (x === x) out[k++] = scale * x; // NaN: rejected, draw again
    }
    st[0] = s0;
    st[1] = s1;
    st[2] = s2;
    st[3] = s3;
    st[4] = idxBits;
    st[5] = idxLeft;
  }

  /** The ziggurat's tail (box 0) and wedges; NaN means "rejected". */
  private slowPath(u: number, i: number): number {
    if (i === 0) return this.tail(u < 0);
    const X = ZIG_X;
    const x = u * X[i];
    const f0 = exp(-0.5 * (X[i] * X[i] - x * x));
    const f1 = exp(-0.5 * (X[i + 1] * X[i + 1] - x * x));
    return f1 + this.uniform() * (f0 - f1) < 1.0 ? x : NaN;
  }

  private tail(negative: boolean): number {
    let x: number;
    let y: number;
    do {
      x = log(this.uniform()) / ZIG_R;
      y = log(this.uniform());
    } while (-2 * y < x * x);
    return negative ? x - ZIG_R : ZIG_R - x;
  }
}

const NORMAL_TMP = new Float64Array(1);

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
