#!/usr/bin/env node
// Entry point of the `aitrail` command: runs the compiled CLI in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('aitrail is not built yet: run `npm install` (or `npm run build`) in the aitrail checkout first\n');
  process.exit(1);
}
// A reader that stops early (`aitrail query … | head`) closes the pipe: end there, quietly, as a
// shell's own tools do.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
