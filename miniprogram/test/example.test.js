// The sample integration (example/), exactly as the spec's 小程序接入流程 shows it: the verify
// page's WXML `<faceid-verify token="{{token}}" bind:onFinish="onFinish"/>` and its onFinish,
// and the index page's token form with the modal component.
'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
// the integrator's configuration: their faceverify server (config.js), read when the component loads
const config = require('../faceid-components/config.js');
config.server = process.env.FV_SERVER || config.server;
config.finishDelay = 0;
const h = require('./harness');

const modals = [];
const navigations = [];
Object.assign(wx, {
  showModal(o) { modals.push(o); setTimeout(() => o.success && o.success({ confirm: true, cancel: false }), 0); },
  navigateBack(o) { navigations.push({ back: true, o }); },
  navigateTo(o) { navigations.push({ url: o.url }); }
});

// page loads an example page (Page({...}) + its .wxml + .json) as a component definition.
function page(name) {
  let def = null;
  global.Page = d => { def = d; };
  const base = path.join(root, 'example', name, name);
  delete require.cache[require.resolve(base + '.js')];
  require(base + '.js');
  const json = JSON.parse(fs.readFileSync(base + '.json', 'utf8'));
  const using = {};
  for (const [tag, rel] of Object.entries(json.usingComponents)) {
    const target = path.join(path.dirname(base), rel);
    assert.ok(fs.existsSync(target + '.json'), `${name}.json: ${rel} exists`);
    using[tag] = h.simulate.load(target, tag, { compiler: 'simulate' });
  }
  const methods = {};
  for (const [k, v] of Object.entries(def)) if (typeof v === 'function') methods[k] = v;
  const id = h.simulate.load({
    template: fs.readFileSync(base + '.wxml', 'utf8'), usingComponents: using,
    data: Object.assign({}, def.data), methods,
    lifetimes: { attached() { if (def.onLoad) def.onLoad.call(this, this._query || {}); } }
  });
  return { id, def };
}

describe('example integration', () => {
  after(h.stopAll);

  it('verify page: the token reaches <faceid-verify>, onFinish gets {token, status}', async () => {
    const token = '1700000000,00000000000000000000000000000000';
    const { id } = page('verify');
    const c = h.simulate.render(id, {});
    c.attach(document.createElement('parent-wrapper'));
    c.instance.setData({ token }); // what onLoad does with ?token=
    await h.waitFor('the page\'s onFinish', () => modals.length);
    assert.equal(modals[0].title, '验证流程结束');
    assert.equal(modals[0].content, token + ', tokenError');
    await h.waitFor('navigateBack', () => navigations.some(n => n.back));
    const call = h.calls.find(x => x.url.startsWith(process.env.FV_SERVER + '/h5/v1/sessions/'));
    assert.ok(call, 'the component called the configured server');
    assert.equal(call.status, 404);
    c.detach();
  });

  it('index page: an empty token shows the modal, a token navigates to verify', async () => {
    const { id } = page('index');
    const c = h.simulate.render(id, {});
    c.attach(document.createElement('parent-wrapper'));
    c.instance.modal = c.instance.selectComponent('#modal');
    c.instance.formSubmitProd({ detail: { value: { token: '' } } });
    await h.simulate.sleep(0);
    assert.equal(c.querySelector('#modal').querySelector('.fv-modal-message').dom.textContent, 'token不能为空');
    c.instance.formSubmitProd({ detail: { value: { token: '1,ab' } } });
    assert.deepEqual(navigations[navigations.length - 1], { url: '../verify/verify?token=1%2Cab' });
    c.detach();
  });
});
