// Drives the faceverify H5 page in Debian's chromium for h5/browser_test.go.
//
// usage: node h5.mjs '<json>'   with {camera, mic, deny, locale, screens, steps: [...]}
// One browser per run (the fake microphone file is fixed at launch, so the Go test reads the
// challenge digits first and synthesises the voice before it calls this). Each step is one
// of: {goto}, {screen} (wait for <html data-screen=…>), {click}, {check}, {files:[sel,path]},
// {shot}, {text}, {eval}, {waitURL}, {reload}, {sleep}, {waitEnabled}. Prints one JSON line:
// {ok, out: [step results], console: [errors], error}.
import { chromium } from 'playwright-core';
import { loopbackArgs } from './chromium.mjs';

const cfg = JSON.parse(process.argv[2]);
const args = [
  ...loopbackArgs,
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];
if (cfg.deny) args.push('--deny-permission-prompts');
else args.push('--use-fake-ui-for-media-stream');
if (cfg.camera) args.push('--use-file-for-fake-video-capture=' + cfg.camera);
if (cfg.mic) args.push('--use-file-for-fake-audio-capture=' + cfg.mic + '%noloop');

const out = [];
const consoleErrors = [];
let browser, page;
const t0 = Date.now();
try {
  browser = await chromium.launch({ executablePath: cfg.chromium || '/usr/bin/chromium', args, headless: true, timeout: 60000 });
  const ctx = await browser.newContext({
    viewport: { width: 360, height: 640 }, deviceScaleFactor: 1, locale: cfg.locale || 'zh-CN',
    hasTouch: true,
  });
  if (cfg.init) await ctx.addInitScript(cfg.init);
  page = await ctx.newPage();
  page.setDefaultTimeout(cfg.timeout || 30000);
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
  for (const s of cfg.steps) {
    const r = { step: s, ms: Date.now() - t0 };
    if (s.goto) await page.goto(s.goto);
    else if (s.screen) await page.waitForSelector(`html[data-screen="${s.screen}"]`, { state: 'attached', timeout: s.timeout });
    else if (s.click) await page.click(s.click);
    else if (s.check) await page.check(s.check);
    else if (s.files) await page.setInputFiles(s.files[0], s.files[1]);
    else if (s.waitVisible) await page.waitForSelector(s.waitVisible, { state: 'visible', timeout: s.timeout });
    else if (s.waitText) await page.waitForFunction(([sel, v]) => { const e = document.querySelector(sel); return e && e.textContent.trim() === v; }, [s.waitText, s.value], { timeout: s.timeout });
    else if (s.waitEnabled) await page.waitForSelector(s.waitEnabled + ':not([disabled])', { timeout: s.timeout });
    else if (s.shot) {
      await page.evaluate(() => document.activeElement && document.activeElement.blur());
      await page.screenshot({ path: `${cfg.screens}/${s.shot}.png` });
    } else if (s.text) r.value = (await page.textContent(s.text)).trim();
    else if (s.eval) r.value = await page.evaluate(s.eval);
    else if (s.waitURL) { await page.waitForURL((u) => u.href.startsWith(s.waitURL), { timeout: s.timeout }); r.value = page.url(); }
    else if (s.reload) await page.reload();
    else if (s.sleep) await page.waitForTimeout(s.sleep);
    else throw new Error('unknown step ' + JSON.stringify(s));
    r.ms = Date.now() - t0;
    out.push(r);
  }
  console.log(JSON.stringify({ ok: true, out, console: consoleErrors }));
} catch (e) {
  if (page && cfg.screens) await page.screenshot({ path: `${cfg.screens}/FAILED-${Date.now()}.png` }).catch(() => {});
  console.log(JSON.stringify({ ok: false, out, console: consoleErrors, error: String(e && e.stack || e) }));
} finally {
  if (browser) await browser.close();
}
