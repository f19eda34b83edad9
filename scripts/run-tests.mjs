// Runs the compiled test files with Node's own test runner.
// `--corpus` runs the opt-in corpus checks (test/corpus/*.corpus.test.ts) instead.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const corpus = process.argv.includes('--corpus');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (corpus ? p.endsWith('.corpus.test.js') : p.endsWith('.test.js') && !p.endsWith('.corpus.test.js')) out.push(p);
  }
  return out;
}
let files = [...walk('dist/src', []), ...walk('dist/test', [])].sort();
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
