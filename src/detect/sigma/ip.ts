/**
 * IPv4/IPv6 parsing and CIDR membership for the `cidr` modifier. Addresses are held as eight
 * 16-bit groups (IPv4 as the IPv4-mapped IPv6 form `::ffff:a.b.c.d`) so that one comparison
 * routine serves both families and mapped addresses match IPv4 ranges.
 */

/** A parsed CIDR range: network groups, prefix length in IPv6 bits, and whether it was written as IPv4. */
export interface CidrRange {
  readonly groups: Uint16Array;
  readonly prefix: number;
  readonly v4: boolean;
  readonly text: string;
}

function parseV4Into(s: string, out: Uint16Array, at: number): boolean {
  let part = 0;
  let digits = 0;
  let n = 0;
  const bytes = [0, 0, 0, 0];
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 3 || n > 255) return false;
      bytes[part++] = n;
      n = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (++digits > 3) return false;
      n = n * 10 + (c - 48);
    } else return false;
  }
  if (part !== 4) return false;
  out[at] = (bytes[0]! << 8) | bytes[1]!;
  out[at + 1] = (bytes[2]! << 8) | bytes[3]!;
  return true;
}

/** Parses an IPv4 or IPv6 address into `out` (8 groups); returns 4, 6 or 0 when invalid. */
export function parseIpInto(input: string, out: Uint16Array): 0 | 4 | 6 {
  let s = input;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.length && s.charCodeAt(0) === 91 && s.charCodeAt(s.length - 1) === 93) s = s.slice(1, -1);
  if (s.indexOf(':') < 0) {
    out.fill(0, 0, 5);
    out[5] = 0xffff;
    return parseV4Into(s, out, 6) ? 4 : 0;
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return 0;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === '' ? [] : tail.split(':');
  const groups: number[] = [];
  const all = [...headParts, ...tailParts];
  for (let i = 0; i < all.length; i++) {
    const p = all[i]!;
    if (i === all.length - 1 && p.indexOf('.') >= 0) {
      const tmp = new Uint16Array(2);
      if (!parseV4Into(p, tmp, 0)) return 0;
      groups.push(tmp[0]!, tmp[1]!);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return 0;
    groups.push(parseInt(p, 16));
  }
  const explicit = groups.length;
  if (dbl < 0 && explicit !== 8) return 0;
  if (dbl >= 0 && explicit > 7) return 0;
  const headCount = headParts.length;
  const fill = 8 - explicit;
  let k = 0;
  for (let i = 0; i < headCount; i++) out[k++] = groups[i]!;
  for (let i = 0; i < fill; i++) out[k++] = 0;
  for (let i = headCount; i < explicit; i++) out[k++] = groups[i]!;
  return 6;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a single-host range); undefined if invalid. */
export function parseCidr(text: string): CidrRange | undefined {
  const slash = text.indexOf('/');
  const addr = (slash >= 0 ? text.slice(0, slash) : text).trim();
  const groups = new Uint16Array(8);
  const fam = parseIpInto(addr, groups);
  if (fam === 0) return undefined;
  let bits = fam === 4 ? 32 : 128;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > bits) return undefined;
    bits = n;
  }
  const prefix = fam === 4 ? bits + 96 : bits;
  maskInPlace(groups, prefix);
  return { groups, prefix, v4: fam === 4, text };
}

function maskInPlace(g: Uint16Array, prefix: number): void {
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, prefix - i * 16));
    g[i] = keep === 0 ? 0 : g[i]! & ((0xffff << (16 - keep)) & 0xffff);
  }
}

const scratch = new Uint16Array(8);

/** True when the address text lies inside `range` (IPv4-mapped IPv6 addresses count as IPv4). */
export function ipInCidr(address: string, range: CidrRange): boolean {
  if (parseIpInto(address, scratch) === 0) return false;
  const g = range.groups;
  const prefix = range.prefix;
  for (let i = 0; i < 8; i++) {
    const keep = prefix - i * 16;
    if (keep <= 0) return true;
    if (keep >= 16) {
      if (scratch[i] !== g[i]) return false;
    } else {
      const mask = (0xffff << (16 - keep)) & 0xffff;
      return (scratch[i]! & mask) === g[i];
    }
  }
  return true;
}
