// Tokens the component must refuse with onFinish {status: "tokenError"}: unknown, expired, used.
'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const INVALID = '无效请求，或当前请求已过期'; // faceid-lite-h5.txt, 页面中典型错误提示

describe('faceid-verify token errors', { concurrency: true }, () => {
  after(h.stopAll);

  it('unknown token → tokenError', async () => {
    const token = '1700000000,0123456789abcdef0123456789abcdef';
    const c = h.mount({ token });
    await h.waitFor('onFinish', () => c.finished.length);
    assert.deepEqual(c.finished, [{ token, status: 'tokenError' }]);
    assert.equal(c.instance.data.screen, 'problem');
    assert.equal(h.text(c, '.fv-problem-text'), INVALID);
    const call = h.calls.find(x => x.url.includes(encodeURIComponent(token).replace(/%2C/gi, ',')));
    assert.equal(call.status, 404, 'the real server answered TOKEN_INVALID');
    c.stop();
  });

  it('expired token → tokenError', async () => {
    const token = process.env.FV_TOKEN_EXPIRED;
    assert.ok(token, 'FV_TOKEN_EXPIRED');
    const c = h.mount({ token, server: process.env.FV_SERVER_EXPIRED });
    await h.waitFor('onFinish', () => c.finished.length);
    assert.deepEqual(c.finished, [{ token, status: 'tokenError' }]);
    assert.equal(h.text(c, '.fv-problem-text'), INVALID);
    c.stop();
  });

  it('used (already cancelled) token → tokenError', async () => {
    const token = process.env.FV_TOKEN_USED;
    assert.ok(token, 'FV_TOKEN_USED');
    const c = h.mount({ token });
    await h.waitFor('onFinish', () => c.finished.length);
    assert.deepEqual(c.finished, [{ token, status: 'tokenError' }]);
    assert.equal(c.instance.data.screen, 'result');
    assert.equal(h.text(c, '.fv-result-title'), '该验证已经完成');
    c.stop();
  });

  it('onFinish waits for the tap when finishDelay is -1, once only', async () => {
    const token = '1700000000,ffffffffffffffffffffffffffffffff';
    const c = h.mount({ token, finishDelay: -1 });
    await h.waitScreen(c, 'problem');
    await h.simulate.sleep(200);
    assert.equal(c.finished.length, 0);
    h.tap(c, '.fv-done');
    h.tap(c, '.fv-done');
    await h.simulate.sleep(0);
    assert.deepEqual(c.finished, [{ token, status: 'tokenError' }]);
    c.stop();
  });
});
