// `npm start`: builds if needed; on the first run generates and ingests the demo dataset into
// ./aitrail-data; runs detections; then serves the API and the console and prints the URL and
// a login token. Ctrl+C stops the server.
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
const sources = Math.max(newestMtime('src'), newestMtime('web/src'));
if (!existsSync(built) || !existsSync('web/dist/index.html') || statSync(built).mtimeMs < sources) {
  console.error('building…');
  const r = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const { main } = await import('../dist/src/cli/main.js');
const { startServer } = await import('../dist/src/server/index.js');
const dataDir = process.env.AITRAIL_DATA_DIR || './aitrail-data';
if (!existsSync(join(dataDir, 'aitrail.duckdb'))) {
  console.error(`first run: generating the demo dataset into ${dataDir} …`);
  const code = await main(['demo', '--data-dir', dataDir]);
  if (code !== 0) process.exit(code);
}
console.error('running detections…');
let code = await main(['detect', '--data-dir', dataDir]);
if (code !== 0) process.exit(code);
code = await main(['summary', '--data-dir', dataDir, '--output', 'table']);
if (code !== 0) process.exit(code);
const port = Number(process.env.PORT || 8080);
const srv = await startServer({ dataDir, port, consoleToken: true });
console.log(`\naitrail console: ${srv.url}/`);
console.log(`login token:     ${srv.token}`);
console.log(`(kept in ${join(dataDir, 'console-token')}; API docs at ${srv.url}/api/openapi.json; Ctrl+C to stop)`);
const stop = async () => {
  await srv.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
