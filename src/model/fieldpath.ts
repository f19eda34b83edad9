/**
 * Dotted field paths into a CloudTrail record, shared by the AI mapping, Sigma rules and
 * metric-filter selectors. `a.b.c` walks objects; when a step meets an array, the path
 * continues into every element ("any element" semantics), so the result is a list of values.
 */

/** A parsed path: object keys, or numeric indexes for explicit array access (`a[0].b`). */
export type PathStep = string | number;

const cache = new Map<string, PathStep[]>();

/** Parses `userIdentity.sessionContext.attributes.mfaAuthenticated` or `$.resources[0].ARN`. */
export function parsePath(path: string): PathStep[] {
  const hit = cache.get(path);
  if (hit) return hit;
  let p = path.startsWith('$.') ? path.slice(2) : path;
  if (p === '$') p = '';
  const steps: PathStep[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(p)) !== null) {
    if (m[1] !== undefined) steps.push(m[1]);
    else steps.push(Number(m[2]));
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(path, steps);
  return steps;
}

/**
 * Every value found at `path`, expanding arrays met on the way (but not a final array,
 * which is returned as one value). An empty list means the field is absent.
 */
export function resolveAll(record: unknown, path: string | PathStep[]): unknown[] {
  const steps = typeof path === 'string' ? parsePath(path) : path;
  let current: unknown[] = [record];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if (typeof step === 'number') {
        if (Array.isArray(v) && step < v.length) next.push(v[step]);
        continue;
      }
      if (Array.isArray(v)) {
        for (const el of v) {
          if (el !== null && typeof el === 'object' && !Array.isArray(el) && Object.hasOwn(el, step)) {
            next.push((el as Record<string, unknown>)[step]);
          }
        }
      } else if (v !== null && typeof v === 'object' && Object.hasOwn(v, step)) {
        next.push((v as Record<string, unknown>)[step]);
      }
    }
    current = next;
    if (current.length === 0) break;
  }
  return current;
}

/** The single value at `path` without array expansion (undefined when absent). */
export function resolveOne(record: unknown, path: string | PathStep[]): unknown {
  const steps = typeof path === 'string' ? parsePath(path) : path;
  let v: unknown = record;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(v) || step >= v.length) return undefined;
      v = v[step];
    } else {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, step)) return undefined;
      v = (v as Record<string, unknown>)[step];
    }
  }
  return v;
}
