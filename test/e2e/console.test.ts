/**
 * The console in real Chromium: sign in, search events, open one, check the dashboard's charts are
 * drawn and drill into Event history, triage a finding, run SQL, use back/forward, and check what a
 * viewer does not see. Screenshots of every step go to test-artifacts/e2e/.
 *
 * Needs Chromium at /usr/bin/chromium (or $AITRAIL_CHROMIUM) and a built console (npm run build).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { Store, packageRoot } from '../../src/store/db.js';
import { generateDemo } from '../../src/demo/generate.js';
import { ingest } from '../../src/ingest/index.js';
import { detect } from '../../src/detect/run.js';
import { createToken } from '../../src/server/auth.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { consoleBundle } from '../../src/server/bundle.js';
import { tempDir, rmDir } from '../helpers/fixtures.js';
import { E2E_RULES } from './fixture-rules.js';

/** The few browser globals the page-side callbacks use (the root tsconfig has no DOM types). */
interface BrowserGlobals {
  document: { querySelector(s: string): unknown; querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> & Iterable<{ textContent: string | null }> };
  performance: { getEntriesByType(t: string): unknown[] };
}

const CHROMIUM = process.env.AITRAIL_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(packageRoot(), 'test-artifacts', 'e2e');
const WEB_DIST = join(packageRoot(), 'web', 'dist');
const VIEWPORT = { width: 1366, height: 768 };

let dir = '';
let server: RunningServer | undefined;
let browser: Browser | undefined;
let analystToken = '';
let viewerToken = '';

before(async () => {
  // Fail loudly (not skip) when the browser or the built console is missing: CI installs both.
  assert.ok(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: install the Debian package 'chromium' (or set AITRAIL_CHROMIUM) to run the console's end-to-end test`);
  assert.ok(existsSync(join(WEB_DIST, 'index.html')), `the console is not built (${WEB_DIST}/index.html is missing): run 'npm run build'`);
  mkdirSync(ARTIFACTS, { recursive: true });

  dir = tempDir('aitrail-e2e-');
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  for (const [name, text] of Object.entries(E2E_RULES)) writeFileSync(join(rulesDir, name), text);
  const logs = join(dir, 'logs');
  await generateDemo({ outDir: logs, events: 20_000, days: 14, seed: 11 });
  const store = await Store.open({ dataDir: join(dir, 'data') });
  try {
    await ingest(store, [logs]);
    const d = await detect(store, { rulesDirs: [rulesDir] });
    assert.ok(d.findingsCreated > 0, 'the demo data should produce findings');
    analystToken = (await createToken(store, 'e2e-analyst', 'analyst')).token;
    viewerToken = (await createToken(store, 'e2e-viewer', 'viewer')).token;
  } finally {
    await store.close();
  }
  server = await startServer({ dataDir: join(dir, 'data'), port: 0, rulesDirs: [rulesDir] });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  if (dir) rmDir(dir);
});

/** Console errors and uncaught exceptions, except the expected 401 of the first session check. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

async function signIn(page: Page, token: string): Promise<void> {
  const input = page.getByLabel('API token');
  await input.fill(token);
  await input.press('Enter');
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Share of a canvas's pixels that are drawn (not transparent and not white). */
async function canvasInk(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(selector, (els) =>
    els.map((el) => {
      const c = el.querySelector('canvas');
      if (!c || !c.width || !c.height) return 0;
      const ctx = c.getContext('2d');
      if (!ctx) return 0;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 0 && (d[i]! < 240 || d[i + 1]! < 240 || d[i + 2]! < 240)) ink++;
      return ink / (c.width * c.height);
    }),
  );
}

test('the console works end to end in Chromium', { timeout: 240_000 }, async (t) => {
  const url = server!.url;
  const context: BrowserContext = await browser!.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const errors = watchErrors(page);

  await t.test('bundle size and time to interactive', async () => {
    const sizes = consoleBundle(WEB_DIST);
    console.log(`console JS: ${(sizes.firstLoadGzip / 1024).toFixed(1)} KiB gzip on first load, ${(sizes.lazyGzip / 1024).toFixed(1)} KiB gzip loaded on demand`);
    for (const f of sizes.files) console.log(`  ${f.name}: ${(f.gzipBytes / 1024).toFixed(1)} KiB gzip${f.firstLoad ? ' (first load)' : ' (lazy)'}`);
    assert.ok(sizes.firstLoadGzip > 0, 'index.html should reference the console bundle');
    const t0 = performance.now();
    await page.goto(url + '/');
    await page.getByLabel('API token').waitFor({ state: 'visible' });
    const tti = performance.now() - t0;
    const nav = await page.evaluate(() => {
      const n = (globalThis as unknown as BrowserGlobals).performance.getEntriesByType('navigation')[0] as { domInteractive: number; domContentLoadedEventEnd: number; loadEventEnd: number };
      return { domInteractive: Math.round(n.domInteractive), domContentLoaded: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) };
    });
    console.log(`sign-in page interactive after ${tti.toFixed(0)} ms (domInteractive ${nav.domInteractive} ms, DOMContentLoaded ${nav.domContentLoaded} ms, load ${nav.load} ms)`);
    await shot(page, '01-sign-in');
  });

  await t.test('a wrong token is refused with a clear message', async () => {
    const input = page.getByLabel('API token');
    await input.fill('aitr_000000000000_notarealtokennotarealtoken');
    await input.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await shot(page, '02-sign-in-refused');
  });

  await t.test('sign in lands on the dashboard with its charts drawn', async () => {
    const t0 = performance.now();
    await signIn(page, analystToken);
    await page.getByRole('heading', { name: 'AI activity', level: 1 }).waitFor();
    await page.waitForFunction(() => (globalThis as unknown as BrowserGlobals).document.querySelectorAll('.chart[data-rendered="true"]').length >= 7, undefined, { timeout: 30_000 });
    console.log(`dashboard with 7 charts drawn ${(performance.now() - t0).toFixed(0)} ms after signing in`);
    await expectText(page.locator('.who'), /e2e-analyst\s*analyst/);
    const charts = await page.$$eval('.chart', (els) => els.map((e) => ({ label: e.getAttribute('aria-label') ?? '', points: Number(e.getAttribute('data-points')) })));
    assert.equal(charts.length, 7);
    const ink = await canvasInk(page, '.chart');
    charts.forEach((c, i) => {
      if (c.points > 0) assert.ok(ink[i]! > 0.01, `chart "${c.label}" has ${c.points} data points but its canvas is blank (${ink[i]})`);
    });
    // The demo data has AI activity, Bedrock invocations, SageMaker jobs, bucket reads and errors.
    assert.ok(charts.filter((c) => c.points > 0).length >= 6, `most charts should have data: ${JSON.stringify(charts)}`);
    await shot(page, '03-dashboard', true);
  });

  await t.test('clicking a chart segment opens the events behind it', async () => {
    // Find a pixel of the "inference" series (the first colour) in the timeline chart and click it.
    const chart = page.locator('.chart').first();
    const box = (await chart.boundingBox())!;
    // The canvas must have settled (a refresh of the data redraws it) before a pixel is chosen.
    const digest = () => chart.evaluate((el) => {
      const c = el.querySelector('canvas')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let h = 0;
      for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]!) | 0;
      return h;
    });
    for (let k = 0, prev = await digest(); k < 20; k++) {
      await page.waitForTimeout(250);
      const now = await digest();
      if (now === prev) break;
      prev = now;
    }
    const at = await chart.evaluate((el) => {
      const c = el.querySelector('canvas')!;
      const ctx = c.getContext('2d')!;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const scale = c.width / el.clientWidth;
      // #2563eb, the inference colour.
      const hit = (x: number, y: number) => {
        const i = (y * c.width + x) * 4;
        return Math.abs(d[i]! - 0x25) < 6 && Math.abs(d[i + 1]! - 0x63) < 6 && Math.abs(d[i + 2]! - 0xeb) < 6;
      };
      // The middle of the tallest run of this colour in any column: the segment's height follows
      // the data, which moves with the demo's time range, and a thin one is easy to miss.
      let best: { x: number; y: number; h: number } | null = null;
      for (let x = 0; x < c.width; x++) {
        for (let y = Math.floor(c.height * 0.2); y < c.height; y++) {
          if (!hit(x, y)) continue;
          let end = y;
          while (end + 1 < c.height && hit(x, end + 1)) end++;
          if (!best || end - y > best.h) best = { x, y: (y + end) / 2, h: end - y };
          y = end;
        }
      }
      if (!best) return null;
      // The middle of that bar, across.
      const ym = Math.round(best.y);
      let xl = best.x;
      let xr = best.x;
      while (xl - 1 >= 0 && hit(xl - 1, ym)) xl--;
      while (xr + 1 < c.width && hit(xr + 1, ym)) xr++;
      return { x: (xl + xr) / 2 / scale, y: best.y / scale };
    });
    assert.ok(at, 'the timeline chart should draw bars of its first series');
    // The chart's data table lists the series in the same order: the first is the one clicked.
    const first = ((await page.locator('.chart-data').first().locator('tbody th').first().textContent()) ?? '').trim();
    assert.equal(first, 'inference', 'inference is the busiest AI activity of the demo data');
    await page.mouse.click(box.x + at.x, box.y + at.y);
    await page.waitForURL(/\/events\?/);
    const u = new URL(page.url());
    assert.deepEqual(u.searchParams.getAll('f'), [`aiActivity=${first}`]);
    assert.ok(u.searchParams.get('start') && u.searchParams.get('end'), 'the drill-down keeps the bucket time range');
    await page.locator('table.events-table tbody tr').first().waitFor();
    await expectText(page.locator('.chips'), /aiActivity=inference/);
    await shot(page, '04-drilldown-from-chart');
  });

  await t.test('event history: search EventName=InvokeModel and see rows', async () => {
    await page.getByRole('link', { name: 'Event history' }).click();
    await page.waitForURL(/\/events$/);
    await page.getByLabel('Lookup attribute').selectOption('EventName');
    await page.getByLabel('Event name value').fill('InvokeModel');
    await page.getByLabel('Event name value').press('Enter');
    await page.waitForURL(/value=InvokeModel/);
    const rows = page.locator('table.events-table tbody tr:not(.json-row)');
    await rows.first().waitFor();
    await page.waitForFunction(() => !(globalThis as unknown as BrowserGlobals).document.querySelector('.results .spinner'));
    const names = await page.$$eval('table.events-table tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent?.trim()));
    assert.ok(names.length > 10, `expected a page of events, got ${names.length}`);
    assert.ok(names.every((n) => n === 'InvokeModel'), `every row should be InvokeModel: ${names.slice(0, 5).join(', ')}`);
    // Facet counts (SQL role) and the AI activity column are filled in.
    await page.locator('.facet-btn').first().waitFor();
    await expectText(page.locator('table.events-table tbody tr').first(), /inference/);
    await shot(page, '05-events-invokemodel');
  });

  await t.test('a row expands to its pretty-printed JSON with a Copy button', async () => {
    await page.locator('button.expander').first().click();
    const json = page.locator('tr.json-row pre').first();
    await json.waitFor();
    const text = (await json.textContent()) ?? '';
    assert.match(text, /\n {2}"eventName": "InvokeModel"/);
    assert.doesNotThrow(() => JSON.parse(text));
    await page.locator('tr.json-row').getByRole('button', { name: 'Copy JSON' }).waitFor();
    await shot(page, '06-events-row-json');
    await json.press('Escape');
    await page.locator('tr.json-row').waitFor({ state: 'detached' });
  });

  await t.test('the back button restores the previous filter', async () => {
    const before = page.url();
    // Narrow down with an error facet, which adds a filter chip and a history entry.
    await page.locator('.facet', { has: page.getByRole('heading', { name: 'Error' }) }).locator('.facet-btn').first().click();
    await page.waitForURL((u) => u.searchParams.getAll('f').some((f) => f.startsWith('errorCode=')));
    await page.locator('.chip').first().waitFor();
    await shot(page, '07-events-with-facet');
    await page.goBack();
    await page.waitForURL(before);
    assert.equal(await page.locator('.chip').count(), 0, 'the facet filter is gone after going back');
    assert.equal(await page.getByLabel('Event name value').inputValue(), 'InvokeModel');
    await page.waitForFunction(() => !(globalThis as unknown as BrowserGlobals).document.querySelector('.results .spinner'));
    const names = await page.$$eval('table.events-table tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent?.trim()));
    assert.ok(names.length > 0 && names.every((n) => n === 'InvokeModel'));
    // And a time preset is captured in the URL too.
    await page.getByText('24h', { exact: true }).click();
    await page.waitForURL(/range=24h/);
    await page.goBack();
    await page.waitForURL(before);
    assert.equal(await page.locator('.segmented label.on').first().textContent(), '7d');
    await shot(page, '08-events-after-back');
  });

  await t.test('an event opens on its own page with its JSON', async () => {
    const link = page.locator('table.events-table tbody tr td:nth-child(3) a').first();
    await link.click();
    await page.waitForURL(/\/events\/[^?]+$/);
    await page.getByRole('heading', { name: 'InvokeModel', level: 1 }).waitFor();
    await expectText(page.locator('.json pre'), /"eventSource": "bedrock.amazonaws.com"/);
    await expectText(page.locator('.kv'), /AI activity\s*inference/);
    await shot(page, '09-event-detail', true);
    await page.goBack();
    await page.waitForURL(/value=InvokeModel/);
  });

  let findingId = '';
  await t.test('acknowledge a finding and see its status change', async () => {
    await page.getByRole('link', { name: 'Findings' }).click();
    await page.waitForURL(/\/findings$/);
    await page.locator('table.findings-table tbody tr').first().waitFor();
    await shot(page, '10-findings');
    await page.getByLabel('Rule').selectOption('e2e.bedrock_access_denied');
    await page.waitForURL(/ruleId=e2e.bedrock_access_denied/);
    await page.waitForFunction(() => [...(globalThis as unknown as BrowserGlobals).document.querySelectorAll('table.findings-table tbody tr')].every((tr) => tr.textContent?.includes('e2e.bedrock_access_denied')));
    const first = page.locator('table.findings-table tbody tr a').first();
    await first.click();
    await page.waitForURL(/\/findings\/f-/);
    findingId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.getByRole('heading', { name: 'Rule', level: 2 }).waitFor();
    await expectText(page.locator('section', { has: page.getByRole('heading', { name: 'Rule', level: 2 }) }), /LLMjacking/);
    assert.equal(await page.locator('a[href="https://attack.mitre.org/techniques/T1526/"]').count() > 0, true, 'ATT&CK ids link to attack.mitre.org');
    assert.ok((await page.locator('ol.timeline > li').count()) >= 1, 'the matched events are listed');
    await page.getByLabel('Note (optional)').fill('e2e: looked at it');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByText('Status changed to acknowledged.').waitFor();
    await expectText(page.locator('.page-head .badge.st-acknowledged'), /acknowledged/);
    // The server agrees.
    const res = await page.request.get(`${url}/api/findings/${encodeURIComponent(findingId)}`);
    assert.equal(res.status(), 200);
    const body = (await res.json()) as { finding: { status: string; statusNote: string; statusBy: string } };
    assert.equal(body.finding.status, 'acknowledged');
    assert.equal(body.finding.statusNote, 'e2e: looked at it');
    assert.equal(body.finding.statusBy, 'e2e-analyst');
    await page.locator('ol.timeline details summary').first().click();
    await shot(page, '11-finding-acknowledged', true);
  });

  await t.test('the suppress dialog opens and closes with Escape', async () => {
    await page.getByRole('button', { name: 'Suppress…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Suppress this rule' });
    await dialog.waitFor();
    await shot(page, '12-suppress-dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  await t.test('SQL: run a query with Ctrl+Enter and see the results grid and chart', async () => {
    await page.getByRole('link', { name: 'SQL' }).click();
    await page.waitForURL(/\/sql/);
    const editor = page.getByLabel('Query', { exact: true });
    await editor.fill(`SELECT eventName, count(*) AS calls FROM events WHERE aiService = 'bedrock' GROUP BY 1 ORDER BY 2 DESC LIMIT 10`);
    await editor.press('Control+Enter');
    await page.waitForURL(/\/sql\?q=/);
    const grid = page.locator('.result-grid table');
    await grid.waitFor();
    const head = await grid.locator('thead th').allTextContents();
    assert.deepEqual(head.map((h) => h.trim()), ['#', 'eventName', 'calls']);
    const rows = await grid.locator('tbody tr').count();
    assert.ok(rows > 0 && rows <= 10, `expected up to 10 rows, got ${rows}`);
    await expectText(page.getByRole('status').filter({ hasText: /rows? in/ }), /\d+ rows? in \d+ ms/);
    const csv = page.getByRole('link', { name: 'Download CSV' });
    assert.match((await csv.getAttribute('href')) ?? '', /^blob:/);
    await shot(page, '13-sql-results');
    await page.getByText('Chart', { exact: true }).click();
    await page.locator('.results-panel .chart[data-rendered="true"]').waitFor();
    const [ink] = await canvasInk(page, '.results-panel .chart');
    assert.ok(ink! > 0.01, 'the result chart is drawn');
    await shot(page, '14-sql-chart');
    // A SQL error is shown clearly.
    await editor.fill('SELECT nope FROM events');
    await editor.press('Control+Enter');
    await page.getByRole('alert').filter({ hasText: 'The query failed' }).waitFor();
    await shot(page, '15-sql-error');
    // That 400 was asked for.
    const i = errors.findIndex((e) => /status of 400/.test(e));
    if (i >= 0) errors.splice(i, 1);
  });

  await t.test('the rules page lists rules with ATT&CK ids', async () => {
    await page.getByRole('link', { name: 'Rules' }).click();
    await page.waitForURL(/\/rules/);
    await page.locator('table.rules-table tbody tr').first().waitFor();
    await expectText(page.locator('table.rules-table'), /e2e\.bedrock_logging_disabled/);
    // Analysts see the state but cannot toggle rules.
    assert.equal(await page.getByRole('switch').count(), 0);
    await shot(page, '16-rules');
  });

  await t.test('sign out returns to the sign-in page', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    const res = await page.request.get(`${url}/api/session`);
    assert.equal(res.status(), 401);
  });

  assert.deepEqual(errors, [], 'no errors in the browser console');
  await context.close();
});

test('a viewer sees no SQL and no triage', { timeout: 120_000 }, async () => {
  const context = await browser!.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(server!.url + '/findings?severity=critical,high');
  await signIn(page, viewerToken);
  // The deep link survives signing in.
  assert.match(page.url(), /\/findings\?severity=critical%2Chigh|\/findings\?severity=critical,high/);
  const nav = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
  assert.deepEqual(nav, ['Dashboard', 'Event history', 'Findings', 'Rules']);
  await page.locator('table.findings-table tbody tr a').first().click();
  await page.getByRole('heading', { name: 'Rule', level: 2 }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Acknowledge' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Suppress…' }).count(), 0);
  await page.getByText('can read findings but not triage them').waitFor();
  await shot(page, '17-viewer-finding');
  await page.goto(server!.url + '/events?f=aiService%3Dbedrock');
  await page.locator('table.events-table tbody tr').first().waitFor();
  assert.equal(await page.locator('.facets').count(), 0, 'no SQL facets for viewers');
  assert.equal(await page.getByLabel('AI service').inputValue(), 'bedrock');
  await shot(page, '18-viewer-events');
  await page.goto(server!.url + '/sql');
  await page.getByText('cannot run SQL').waitFor();
  assert.deepEqual(errors, [], 'no errors in the browser console');
  await context.close();
});

async function expectText(loc: Locator, re: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    last = (await loc.first().textContent().catch(() => '')) ?? '';
    if (re.test(last)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(last, re);
}
