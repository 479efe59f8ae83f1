// Test harness: the mini-program component under miniprogram-simulate (j-component on
// jsdom) in Node. Only the WeChat platform APIs without a Node equivalent are replaced:
// wx.request / wx.uploadFile make REAL HTTP calls with Node's fetch (to the loopback
// faceverify server the Go test started), the camera "records" a real video file the Go
// test made, and wx.chooseMedia picks files queued by the test.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { JSDOM } = require('jsdom');

const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true });
for (const k of ['window', 'document', 'navigator', 'Node', 'Element', 'HTMLElement', 'Event', 'CustomEvent',
  'MutationObserver', 'getComputedStyle', 'requestAnimationFrame', 'cancelAnimationFrame', 'DocumentFragment', 'Text']) {
  // Node has its own Event and CustomEvent: jsdom's elements only dispatch jsdom's
  Object.defineProperty(global, k, { value: k === 'window' ? dom.window : dom.window[k], configurable: true, writable: true });
}

const simulate = require('miniprogram-simulate');

const env = {
  server: process.env.FV_SERVER || '',
  video: process.env.FV_VIDEO || '',
  image: process.env.FV_IMAGE || '',
  smallCard: process.env.FV_IMAGE_SMALL_CARD || '', // a photographed card too small in the frame
};

const calls = []; // every wx network call: {api, method, url, status}
const picks = []; // files wx.chooseMedia returns next: [{tempFilePath, ...}]
const camera = { recordings: 0, file: env.video };

function fetchText(url, init) {
  return fetch(url, init).then(r => r.text().then(text => ({ status: r.status, text })));
}

Object.assign(global.wx, {
  request(o) {
    const method = (o.method || 'GET').toUpperCase();
    const init = { method, headers: o.header || {} };
    if (method !== 'GET' && o.data !== undefined) init.body = typeof o.data === 'string' ? o.data : JSON.stringify(o.data);
    fetchText(o.url, init).then(({ status, text }) => {
      calls.push({ api: 'request', method, url: o.url, status });
      let data = text;
      if ((o.dataType || 'json') === 'json') { try { data = JSON.parse(text); } catch (e) { /* raw text */ } }
      const res = { statusCode: status, data, header: {}, errMsg: 'request:ok' };
      if (o.success) o.success(res);
      if (o.complete) o.complete(res);
    }, err => {
      calls.push({ api: 'request', method, url: o.url, error: String(err) });
      const res = { errMsg: 'request:fail ' + err.message };
      if (o.fail) o.fail(res);
      if (o.complete) o.complete(res);
    });
    return { abort() {}, onHeadersReceived() {}, offHeadersReceived() {} };
  },
  uploadFile(o) {
    const listeners = [];
    const fd = new FormData();
    const buf = fs.readFileSync(o.filePath);
    fd.append(o.name, new Blob([buf]), path.basename(o.filePath));
    for (const [k, v] of Object.entries(o.formData || {})) fd.append(k, String(v));
    fetchText(o.url, { method: 'POST', body: fd, headers: o.header || {} }).then(({ status, text }) => {
      calls.push({ api: 'uploadFile', method: 'POST', url: o.url, name: o.name, bytes: buf.length, status });
      listeners.forEach(cb => cb({ progress: 100, totalBytesSent: buf.length, totalBytesExpectedToSend: buf.length }));
      const res = { statusCode: status, data: text, errMsg: 'uploadFile:ok' };
      if (o.success) o.success(res);
      if (o.complete) o.complete(res);
    }, err => {
      calls.push({ api: 'uploadFile', method: 'POST', url: o.url, error: String(err) });
      const res = { errMsg: 'uploadFile:fail ' + err.message };
      if (o.fail) o.fail(res);
      if (o.complete) o.complete(res);
    });
    return { abort() {}, onProgressUpdate(cb) { listeners.push(cb); }, offProgressUpdate() {} };
  },
  chooseMedia(o) {
    setTimeout(() => {
      const f = picks.shift();
      if (!f) { if (o.fail) o.fail({ errMsg: 'chooseMedia:fail cancel' }); return; }
      const res = { tempFiles: [Object.assign({ size: fs.statSync(f.tempFilePath).size, fileType: 'image' }, f)], type: f.fileType || 'image', errMsg: 'chooseMedia:ok' };
      if (o.success) o.success(res);
      if (o.complete) o.complete(res);
    }, 10);
  },
  createCameraContext() {
    let recording = false;
    return {
      startRecord(o) {
        setTimeout(() => {
          recording = true;
          camera.recordings++;
          if (o.success) o.success({ errMsg: 'operateCamera:ok' });
        }, 10);
      },
      stopRecord(o) {
        setTimeout(() => {
          if (!recording) { if (o.fail) o.fail({ errMsg: 'operateCamera:fail not recording' }); return; }
          recording = false;
          if (o.success) o.success({ tempVideoPath: camera.file, tempThumbPath: '', errMsg: 'operateCamera:ok' });
        }, 10);
      },
      takePhoto() {},
      setZoom() {},
    };
  },
  openSetting() {},
});

const componentDir = path.join(__dirname, '..', 'faceid-components', 'components', 'index', 'index');
let componentId = null;
const mounted = [];

// stopAll detaches every component still mounted (their timers would keep Node alive).
function stopAll() { mounted.forEach(c => c.stop()); }

// mount renders <faceid-verify> with props and records its onFinish events.
// load registers faceid-components/components/index/index once and returns its id.
function load() {
  if (!componentId) componentId = simulate.load(componentDir, 'faceid-verify', { compiler: 'simulate' });
  return componentId;
}

// watch attaches comp and records its onFinish events (comp.finished) and screens (comp.screens).
function mount(props) {
  return watch(simulate.render(load(), Object.assign({ server: env.server, finishDelay: 0 }, props)));
}

function watch(comp) {
  const parent = document.createElement('parent-wrapper');
  comp.finished = [];
  comp.screens = [];
  comp.addEventListener('onFinish', e => comp.finished.push(e.detail));
  comp.attach(parent);
  // record every screen the component shows, in order
  const timer = setInterval(() => {
    const s = comp.instance.data.screen;
    if (comp.screens[comp.screens.length - 1] !== s) comp.screens.push(s);
  }, 15);
  comp.stop = () => {
    if (comp.stopped) return;
    comp.stopped = true;
    clearInterval(timer);
    comp.detach();
  };
  mounted.push(comp);
  return comp;
}

// waitFor polls fn until it returns a truthy value. With comp, an unexpected problem screen
// (network or server error) fails at once instead of at the time-out.
async function waitFor(what, fn, ms = 20000, comp) {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (comp && comp.instance.data.screen === 'problem') {
      throw new Error(`waiting for ${what}: problem screen "${comp.instance.data.problemTitle}: ${comp.instance.data.problemText}"`);
    }
    if (Date.now() - t0 > ms) throw new Error('timed out waiting for ' + what);
    await simulate.sleep(20);
  }
}

async function waitScreen(comp, screen, ms) {
  await waitFor(`screen ${screen} (now ${comp.instance.data.screen}, seen ${comp.screens.join(' → ')})`,
    () => comp.instance.data.screen === screen, ms, screen === 'problem' ? null : comp);
  await simulate.sleep(0);
  return comp;
}

// el returns the element wrapper matching selector (inside the component), or throws.
function el(comp, selector) {
  const e = comp.querySelector(selector);
  if (!e) throw new Error('no element ' + selector + ' on screen ' + comp.instance.data.screen);
  return e;
}

function text(comp, selector) { return el(comp, selector).dom.textContent.trim(); }

function tap(comp, selector) { el(comp, selector).dispatchEvent('tap'); }

// session reads the server's own view of a token (to compare with what the component shows).
async function session(token) {
  const r = await fetch(`${env.server}/h5/v1/sessions/${token}?lang=zh`);
  return { status: r.status, body: await r.json() };
}

module.exports = { load, watch, stopAll, simulate, env, calls, picks, camera, mount, waitFor, waitScreen, el, text, tap, session };
