/**
 * Seeded randomness and id formatting for the demo generator. Everything here is
 * deterministic: the same seed gives the same sequence on every platform.
 */

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));
const HEX_UPPER = HEX.map((h) => h.toUpperCase());
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const KEY_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Finalising mix of a 32-bit integer (murmur3 fmix32). */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A well-mixed 32-bit hash of a string and optional integers, for values derived from names. */
export function hash32(s: string, a = 0, b = 0): number {
  let h = 0x811c9dc5 ^ a;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h = mix32(h ^ Math.imul(b, 0x9e3779b1));
  return mix32(h + a);
}

/** A float in [0, 1) derived from a string and integers without touching any stream. */
export function hashFloat(s: string, a = 0, b = 0): number {
  return hash32(s, a, b) / 4294967296;
}

const charCache = new Map<string, string>();

/** Characters from `alphabet` derived from a hash of `s`; used for stable ids such as role ids. */
export function hashChars(s: string, n: number, alphabet: string = UPPER_ALNUM): string {
  const cacheKey = s + '\u0000' + n + alphabet;
  const hit = charCache.get(cacheKey);
  if (hit !== undefined) return hit;
  const h = hash32(s, n);
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[mix32(h + Math.imul(i + 1, 0x9e3779b1)) % alphabet.length];
  // Keys are mostly per-session, so the cache only needs to span a few hours of events.
  if (charCache.size > 100_000) charCache.clear();
  charCache.set(cacheKey, out);
  return out;
}

/** Characters for AWS access-key style ids (base32 alphabet). */
export const KEY_ALPHABET = KEY_CHARS;
/** Lower-case letters and digits. */
export const LOWER_ALPHABET = LOWER_ALNUM;
/** Upper-case letters and digits. */
export const UPPER_ALPHABET = UPPER_ALNUM;

/** A weighted choice table built once and sampled many times. */
export interface Weighted<T> {
  items: T[];
  cum: Float64Array;
  total: number;
}

/** Builds a weighted table from [item, weight] pairs. */
export function weighted<T>(pairs: Array<[T, number]>): Weighted<T> {
  const items: T[] = [];
  const cum = new Float64Array(pairs.length);
  let total = 0;
  pairs.forEach(([item, w], i) => {
    total += w;
    items.push(item);
    cum[i] = total;
  });
  return { items, cum, total };
}

/** sfc32 generator: small, fast, and good enough for synthetic data. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads a small integer seed over the whole state.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniformly chosen element. */
  pick<T>(arr: readonly T[]): T {
    return arr[Math.floor(this.next() * arr.length)] as T;
  }

  /** A weighted choice. */
  pickW<T>(w: Weighted<T>): T {
    const x = this.next() * w.total;
    const cum = w.cum;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x < (cum[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    return w.items[lo] as T;
  }

  /** A roughly log-normal positive number with the given median; for sizes and token counts. */
  logNormal(median: number, sigma: number): number {
    // Sum of three uniforms approximates a normal well enough here and is cheap.
    const z = (this.next() + this.next() + this.next() - 1.5) * 2;
    return median * Math.exp(sigma * z);
  }

  /** A version-4 shaped UUID drawn from the stream. */
  uuid(): string {
    const a = this.u32();
    const b = this.u32();
    const c = this.u32();
    const d = this.u32();
    return (
      HEX[a >>> 24]! + HEX[(a >>> 16) & 255]! + HEX[(a >>> 8) & 255]! + HEX[a & 255]! + '-' +
      HEX[b >>> 24]! + HEX[(b >>> 16) & 255]! + '-4' + HEX[(b >>> 8) & 15]![1]! + HEX[b & 255]! + '-' +
      HEX[0x80 | ((c >>> 24) & 0x3f)]! + HEX[(c >>> 16) & 255]! + '-' + HEX[(c >>> 8) & 255]! + HEX[c & 255]! +
      HEX[d >>> 24]! + HEX[(d >>> 16) & 255]! + HEX[(d >>> 8) & 255]! + HEX[d & 255]!
    );
  }

  /** n lower-case hex characters. */
  hex(n: number): string {
    let out = '';
    while (out.length < n) {
      const v = this.u32();
      out += HEX[v >>> 24]! + HEX[(v >>> 16) & 255]! + HEX[(v >>> 8) & 255]! + HEX[v & 255]!;
    }
    return out.length === n ? out : out.slice(0, n);
  }

  /** n upper-case hex characters. */
  hexUpper(n: number): string {
    let out = '';
    while (out.length < n) {
      const v = this.u32();
      out += HEX_UPPER[v >>> 24]! + HEX_UPPER[(v >>> 16) & 255]! + HEX_UPPER[(v >>> 8) & 255]! + HEX_UPPER[v & 255]!;
    }
    return out.length === n ? out : out.slice(0, n);
  }

  /** n characters from an alphabet (mixed-case letters and digits by default). */
  chars(n: number, alphabet: string = ALNUM): string {
    let out = '';
    const len = alphabet.length;
    for (let i = 0; i < n; i++) out += alphabet[Math.floor(this.next() * len)];
    return out;
  }

  /** n base64 characters, e.g. for S3 `x-amz-id-2`. */
  b64(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) {
      out += B64[this.u32() & 63];
    }
    return out;
  }
}
