// Drives the faceverify review console in Debian's chromium for console/browser_test.go.
//
// usage: node console.mjs '<json>'   with {screens, locale, viewport: {width, height}, touch, steps: [...]}
// (viewport default 1280×800; touch: a touch screen, as a tablet)
// Steps: {goto}, {fill:[sel, value]}, {select:[sel, value]}, {click}, {check}, {waitURL},
// {text} (value = trimmed text), {eval} (value = result), {status} (value = HTTP status of
// the last navigation), {shot} (full page PNG into screens). Prints one JSON line:
// {ok, out: [step results], console: [errors], error}.
import { chromium } from 'playwright-core';
import { loopbackArgs } from './chromium.mjs';

const cfg = JSON.parse(process.argv[2]);
const args = [...loopbackArgs];
const out = [];
const consoleErrors = [];
let browser, page, lastStatus = 0;
const t0 = Date.now();
try {
  browser = await chromium.launch({ executablePath: cfg.chromium || '/usr/bin/chromium', args, headless: true, timeout: 60000 });
  const ctx = await browser.newContext({ viewport: cfg.viewport || { width: 1280, height: 800 }, deviceScaleFactor: 1,
    hasTouch: !!cfg.touch, isMobile: false, locale: cfg.locale || 'zh-CN' });
  page = await ctx.newPage();
  page.setDefaultTimeout(cfg.timeout || 30000);
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
  page.on('response', (r) => { if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) lastStatus = r.status(); });
  for (const s of cfg.steps) {
    const r = { step: s, ms: Date.now() - t0 };
    if (s.goto) await page.goto(s.goto);
    else if (s.fill) await page.fill(s.fill[0], s.fill[1]);
    else if (s.select) await page.selectOption(s.select[0], s.select[1]);
    // every click in the console submits a form or follows a link: wait for the new page
    else if (s.click) await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(s.click)]);
    else if (s.check) await page.check(s.check);
    else if (s.waitURL) { await page.waitForURL((u) => u.href.includes(s.waitURL), { timeout: s.timeout }); r.value = page.url(); }
    else if (s.text) r.value = ((await page.textContent(s.text)) || '').trim();
    else if (s.eval) r.value = await page.evaluate(s.eval);
    else if (s.status) { await page.waitForLoadState('load'); r.value = lastStatus; }
    else if (s.shot) await page.screenshot({ path: `${cfg.screens}/${s.shot}.png`, fullPage: !!s.full });
    else throw new Error('unknown step ' + JSON.stringify(s));
    r.ms = Date.now() - t0;
    out.push(r);
  }
  console.log(JSON.stringify({ ok: true, out, console: consoleErrors }));
} catch (e) {
  if (page && cfg.screens) await page.screenshot({ path: `${cfg.screens}/FAILED-console-${Date.now()}.png` }).catch(() => {});
  console.log(JSON.stringify({ ok: false, out, console: consoleErrors, error: String(e && e.stack || e) }));
} finally {
  if (browser) await browser.close();
}
