// Regenerates the generated parts of docs/ from the code's data tables.
import { readFileSync, writeFileSync } from 'node:fs';
const { renderMappingMarkdown } = await import('../dist/src/model/ai-activity.js');
const path = 'docs/ai-activity.md';
const doc = readFileSync(path, 'utf8');
const start = '<!-- mapping:start -->';
const end = '<!-- mapping:end -->';
const next = doc.slice(0, doc.indexOf(start) + start.length) + '\n' + renderMappingMarkdown() + doc.slice(doc.indexOf(end));
writeFileSync(path, next);
console.log(`updated ${path}`);
