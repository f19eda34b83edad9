// `npm start`: builds if needed, generates and ingests the demo dataset into ./aitrail-data on
// the first run, then prints a summary of the store.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    newest = Math.max(newest, name.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}
const built = 'dist/src/cli/main.js';
if (!existsSync(built) || statSync(built).mtimeMs < newestMtime('src')) {
  console.error('building…');
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const { main } = await import('../dist/src/cli/main.js');
const dataDir = process.env.AITRAIL_DATA_DIR ?? './aitrail-data';
if (!existsSync(join(dataDir, 'aitrail.duckdb'))) {
  console.error(`first run: generating the demo dataset into ${dataDir} …`);
  const code = await main(['demo', '--data-dir', dataDir]);
  if (code !== 0) process.exit(code);
}
process.exitCode = await main(['summary', '--data-dir', dataDir, '--output', 'table']);
