/**
 * Runs the later stages (detections, the server under load, trails) in a process of their own,
 * so the load generator starts with a fresh heap, as a client process would, rather than inside
 * the bench process that still holds the earlier stages' data.
 * Usage: node dist/bench/more-child.js STORE_DIR; progress goes to stderr, the results as one
 * JSON line to stdout.
 */
import { runMore } from './more.js';

const results = await runMore(process.argv[2]!, (msg) => process.stderr.write(msg + '\n'));
process.stdout.write(JSON.stringify(results) + '\n');
