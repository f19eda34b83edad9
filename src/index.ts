/**
 * The aitrail library: the same functions the CLI and the server call.
 */
export { Store, resolveDataDir } from './store/db.js';
export { ingest, type IngestSummary } from './ingest/index.js';
export { lookupEvents, getEvent, runSql, summarize } from './store/events.js';
export { detect, loadEnabledRules } from './detect/run.js';
export { loadRules } from './detect/rules.js';
export { compileMetricFilter } from './detect/metric-filter/index.js';
export { compileSigmaText, loadSigmaDir } from './detect/sigma/index.js';
export { startServer } from './server/index.js';
export { validateLogs } from './trail/validate.js';
export { compileSelectors, validateAdvancedSelectors, GENAI_PRESET } from './trail/selectors.js';
export { generateDemo } from './demo/generate.js';
export { AitrailError } from './model/errors.js';
