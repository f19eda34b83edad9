/**
 * What the console costs a browser: the gzip size of the JavaScript `index.html` loads at once,
 * and of the chunks loaded on demand. The end-to-end test and the benchmark report it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packageRoot } from '../store/db.js';

/** One JavaScript file of the built console. */
export interface BundleFile {
  name: string;
  gzipBytes: number;
  /** Referenced by index.html (loaded on first visit) rather than imported later. */
  firstLoad: boolean;
}

/** Sizes of the built console's JavaScript (gzip level 9, as a server would send it). */
export function consoleBundle(webDist = join(packageRoot(), 'web', 'dist')): { firstLoadGzip: number; lazyGzip: number; files: BundleFile[] } {
  const html = readFileSync(join(webDist, 'index.html'), 'utf8');
  const initial = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]!));
  const files: BundleFile[] = readdirSync(join(webDist, 'assets'))
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((name) => ({ name, gzipBytes: gzipSync(readFileSync(join(webDist, 'assets', name)), { level: 9 }).length, firstLoad: initial.has(name) }));
  const sum = (fs: BundleFile[]) => fs.reduce((a, f) => a + f.gzipBytes, 0);
  return { firstLoadGzip: sum(files.filter((f) => f.firstLoad)), lazyGzip: sum(files.filter((f) => !f.firstLoad)), files };
}
