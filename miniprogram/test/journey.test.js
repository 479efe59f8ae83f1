// The journey against the real server: consent → video with the server's digits → record →
// upload (multipart "video") → processing → retry screen or result → onFinish complete;
// cancel; the ID card step (multipart "image").
'use strict';
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

// faceid-lite-h5.txt 页面中典型错误提示 + the server's texts for the other liveness failures
const RETRY_TEXTS = new Set(['视频中没有检测到人脸，请重试', '视频过长，请重试', '视频质量太差，请重试', '未通过念数字识别，请重试',
  '没有声音，请重试', '视频格式无法识别，请重试', '视频长度需在2到20秒之间，请重试', '未检测到念数字时的口型变化，请重试',
  '声音与口型不一致，请重试', '活体验证未通过，请本人正对镜头重试', '视频中人脸发生了变化，请本人重试', '系统繁忙，请重试']);
const IDCARD_TEXTS = new Set(['识别错误，请正对身份证重新拍摄', '身份证人像面找不到人脸，请正对身份证重新拍摄',
  '非身份证人像面，请正对身份证重新拍摄', '非身份证国徽面，请正对身份证重新拍摄', '证件未通过真实性检查，请使用身份证原件重新拍摄']);

function tokenOf(name) {
  const t = process.env[name];
  assert.ok(t, name + ' not set (run through go test ./miniprogram)');
  return t;
}

// start mounts the component for the session whose token is in the environment variable
// name, accepts the consent screen and waits for screen.
async function start(name, screen) {
  const token = tokenOf(name);
  const c = h.mount({ token });
  await h.waitScreen(c, 'intro');
  h.el(c, '.fv-consent').dispatchEvent('change', { detail: { value: ['agree'] } });
  await h.simulate.sleep(0);
  h.tap(c, '.fv-start');
  await h.waitScreen(c, screen);
  return { token, c };
}

// record taps record, waits until "done" is enabled (3 s), taps it.
async function record(c) {
  h.tap(c, '.fv-record');
  await h.waitFor('recording', () => c.instance.data.recording, 5000, c);
  await h.waitFor('stop enabled', () => c.instance.data.canStop, 6000);
  h.tap(c, '.fv-stop');
}

describe('faceid-verify journey', { concurrency: true }, () => {
  after(h.stopAll);

  it('intro → video shows the server\'s 4 digits', async () => {
    const { token, c } = await start('FV_TOKEN_DIGITS', 'video');
    const srv = await h.session(token);
    assert.equal(srv.body.step, 'video');
    assert.match(srv.body.digits, /^\d{4}$/);
    assert.equal(h.text(c, '.fv-digits'), srv.body.digits);
    assert.equal(c.finished.length, 0);
    c.stop();
  });

  it('cancel → POST cancel → onFinish complete, session cancelled', async () => {
    const { token, c } = await start('FV_TOKEN_CANCEL', 'video');
    h.tap(c, '.fv-cancel');
    const modal = h.el(c, '#fv-modal');
    await h.waitFor('modal', () => modal.querySelector('.fv-modal-confirm'));
    assert.equal(modal.querySelector('.fv-modal-message').dom.textContent, '确定退出本次验证吗？');
    modal.querySelector('.fv-modal-confirm').dispatchEvent('tap');
    await h.waitFor('onFinish', () => c.finished.length, 20000, c);
    assert.deepEqual(c.finished, [{ token, status: 'complete' }]);
    assert.equal(h.text(c, '.fv-result-title'), '已退出验证');
    assert.ok(h.calls.some(x => x.method === 'POST' && x.url.includes('/cancel') && x.status === 200));
    const srv = await h.session(token);
    assert.equal(srv.body.state, 'cancelled');
    assert.equal(srv.body.result.message, 'USER_CANCEL');
    c.stop();
  });

  it('record → upload → processing → result → onFinish complete', async t => {
    const { token, c } = await start('FV_TOKEN_RESULT', 'video');
    await record(c);
    await h.waitFor('onFinish', () => c.finished.length, 40000, c);
    assert.deepEqual(c.finished, [{ token, status: 'complete' }]);
    const up = h.calls.find(x => x.api === 'uploadFile' && x.url.includes(token.split(',').pop()));
    assert.equal(up.name, 'video');
    assert.equal(up.status, 202, 'the server queued the video');
    // the upload itself is asserted above (202); its screen can be too brief to observe on loopback
    assert.ok(c.screens.includes('processing'), c.screens.join(' → '));
    assert.equal(c.instance.data.screen, 'result');
    const srv = await h.session(token);
    t.diagnostic(`verdict ${srv.body.result.code} ${srv.body.result.message}: ${srv.body.result.text}`);
    assert.equal(srv.body.step, 'result');
    assert.ok(srv.body.result && srv.body.result.text);
    // the component shows the server's verdict text (title, or text when it differs)
    const shown = [h.text(c, '.fv-result-title'), c.instance.data.resultText];
    assert.ok(shown.includes(srv.body.result.text) || srv.body.result.code === 1000, shown.join(' / ') + ' vs ' + srv.body.result.text);
    c.stop();
  });

  it('failed attempt → retry screen with the server\'s text and attempts left → video again', async t => {
    const { token, c } = await start('FV_TOKEN_RETRY', 'video');
    const first = c.instance.data.digits;
    await record(c);
    await h.waitScreen(c, 'retry', 40000);
    const srv = await h.session(token);
    assert.ok(srv.body.last_result, 'the server recorded a failed attempt');
    t.diagnostic(`attempt ${srv.body.last_result.code} ${srv.body.last_result.message}: ${srv.body.last_result.text}`);
    assert.equal(h.text(c, '.fv-retry-reason'), srv.body.last_result.text);
    assert.ok(RETRY_TEXTS.has(srv.body.last_result.text), srv.body.last_result.text);
    assert.equal(srv.body.attempts_left, 3); // liveness_retry_count 3 = three retakes after the first video
    assert.equal(h.text(c, '.fv-retry-left'), '还可重试 3 次');
    h.tap(c, '.fv-retry');
    await h.waitScreen(c, 'video');
    assert.equal(h.text(c, '.fv-digits'), srv.body.digits);
    assert.notEqual(srv.body.digits, first, 'a new challenge');
    assert.equal(c.finished.length, 0);
    c.stop();
  });

  it('system camera (wx.chooseMedia video) → upload → onFinish complete', async () => {
    const { token, c } = await start('FV_TOKEN_SYSCAM', 'video');
    h.picks.push({ tempFilePath: h.env.video, fileType: 'video' });
    h.tap(c, '.fv-system-camera');
    await h.waitFor('onFinish', () => c.finished.length, 40000, c);
    assert.deepEqual(c.finished, [{ token, status: 'complete' }]);
    c.stop();
  });

  it('ID card step: a photo that is not a card → documented retake text, retakes left', async t => {
    const { token, c } = await start('FV_TOKEN_IDCARD', 'idcard');
    assert.equal(h.el(c, '.fv-s-idcard').querySelector('.fv-base-title').dom.textContent, '拍摄身份证人像面');
    assert.equal(h.text(c, '.fv-idcard-left'), '还可重新拍摄 3 次');
    h.picks.push({ tempFilePath: h.env.image, fileType: 'image' });
    h.tap(c, '.fv-idcard-pick');
    await h.waitFor('idcard answer', () => c.instance.data.idcardMsg, 30000, c);
    const up = h.calls.find(x => x.api === 'uploadFile' && x.url.includes('/idcard?side=front'));
    assert.equal(up.name, 'image');
    assert.equal(up.status, 200);
    assert.ok(IDCARD_TEXTS.has(h.text(c, '.fv-idcard-msg')), h.text(c, '.fv-idcard-msg'));
    t.diagnostic('id card: ' + h.text(c, '.fv-idcard-msg'));
    assert.equal(h.text(c, '.fv-idcard-left'), '还可重新拍摄 3 次'); // idcard_retry_time 3 = three retakes after the first photo
    assert.equal(h.text(c, '.fv-idcard-pick'), '重新拍摄');
    assert.equal(c.instance.data.idcardRetakeText, '', 'no card: no retake reason');
    // a card photographed too small: the reason's own text (page API retake "small")
    h.picks.push({ tempFilePath: h.env.smallCard, fileType: 'image' });
    h.tap(c, '.fv-idcard-pick');
    await h.waitFor('retake reason', () => c.instance.data.idcardRetakeText, 30000, c);
    assert.equal(h.text(c, '.fv-idcard-retake'), '身份证太小，请靠近一些，让身份证占满虚线框');
    assert.equal(h.text(c, '.fv-idcard-left'), '还可重新拍摄 2 次');
    c.stop();
  });
});
