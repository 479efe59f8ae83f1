// faceid-verify: the whole verification journey for one token, drop-in for Megvii's
// faceid-components (<faceid-verify token="{{token}}" bind:onFinish="onFinish"/>). It drives
// the page API of a faceverify server and decides nothing itself. onFinish detail:
// {token, status: "complete"} once a verdict is reached or the user cancelled (ask your
// backend for get_result), {token, status: "tokenError"} for an unknown, expired or used token.
const config = require('../../config.js');
const api = require('../../lib/api.js');
const TEXTS = require('../../lib/texts.js');

const MIN_REC_S = 3; // the server accepts 2–20 s
const MAX_REC_S = 18;
const CANCELLABLE = { intro: 1, idcard: 1, video: 1, retry: 1, problem: 1 };
// the page API's retake reason for a refused card photo (docs/h5.md) → its text
const RETAKE = { cut: 'retakeCut', small: 'retakeSmall', blur: 'retakeBlur', glare: 'retakeGlare' };

function fmt(s, vars) {
  let out = s;
  Object.keys(vars || {}).forEach(k => { out = out.replace('{' + k + '}', vars[k]); });
  return out;
}

Component({
  properties: {
    token: { type: String, value: '', observer: '_tokenChanged' },
    server: { type: String, value: config.server }, // faceverify base URL
    lang: { type: String, value: config.lang }, // zh | en
    finishDelay: { type: Number, value: config.finishDelay } // seconds the end screen stays; -1: until tapped
  },
  data: {
    T: TEXTS.zh, screen: 'loading', canCancel: false,
    group: 0, idcardSide: 0, consent: false,
    idcardTitle: '', idcardMsg: '', idcardRetakeText: '', idcardLeft: '', idcardBusy: false, idcardPreview: '', idcardRetake: false,
    digits: '', recording: false, recText: '', canStop: false, videoMsg: '', camError: false,
    retryReason: '', retryLeft: '',
    uploadPct: 0, uploadText: '', slow: false,
    resultKind: '', resultTitle: '', resultText: '', resultNote: '',
    problemTitle: '', problemText: '', problemRetry: false, problemSetting: false
  },
  lifetimes: {
    attached() {
      this._timers = [];
      this._alive = true;
      const lang = (this.data.lang || config.lang) === 'en' ? 'en' : 'zh';
      this._lang = lang;
      this.setData({ T: TEXTS[lang] });
      if (this.data.token) this._start();
    },
    detached() {
      this._alive = false;
      this._clearTimers();
      this._stopCamera();
    }
  },
  methods: {
    // ---- plumbing --------------------------------------------------------------------
    _tokenChanged(tok) {
      if (this._alive && tok && tok !== this._token) this._start();
    },
    _start() {
      this._token = this.data.token;
      this._consent = false; // asked once per component instance
      this._journey = false; // the user started (or a video was pending) in this instance
      this._ack = ''; // digits whose retry screen was acknowledged
      this._finished = false;
      this._pending = '';
      this._load();
    },
    _t(k, vars) { return fmt(this.data.T[k] || k, vars); },
    _url(path, query) {
      return api.sessionURL(this.data.server || config.server, this._token, path, query, this._lang);
    },
    _later(fn, ms) { this._timers.push(setTimeout(() => { if (this._alive) fn(); }, ms)); },
    _clearTimers() {
      (this._timers || []).forEach(clearTimeout);
      this._timers = [];
      if (this._tick) { clearInterval(this._tick); this._tick = null; }
    },
    _show(screen, data) {
      const s = this._sess;
      const d = Object.assign({ screen, canCancel: !!(CANCELLABLE[screen] && s && !this._terminal(s) && !this._pending) }, data || {});
      this.setData(d);
    },
    _terminal(s) { return s.step === 'result' || s.step === 'expired'; },

    // ---- the end: onFinish once, after the end screen was shown --------------------------
    _end(status) {
      if (this._finished || this._pending) return;
      this._pending = status;
      this.setData({ canCancel: false });
      const d = this.data.finishDelay;
      if (d >= 0) this._later(() => this._finish(), d * 1000);
    },
    _finish() {
      if (this._finished || !this._pending) return;
      this._finished = true;
      this._clearTimers();
      this.triggerEvent('onFinish', { token: this._token, status: this._pending });
    },
    onFinishTap() { this._finish(); },

    // ---- loading and rendering by step ----------------------------------------------------
    _load() {
      this._clearTimers();
      this._show('loading');
      api.call(this._url(), 'GET').then(res => {
        if (res.status === 200) return this._render(res.body, true);
        this._answerError(res, () => this._load());
      }, () => this._problem('netTitle', this._t('netText'), () => this._load()));
    },
    _render(s, fromLoad) {
      if (!this._alive || this._finished) return;
      this._clearTimers();
      this._sess = s;
      if (s.step !== 'video') this._stopCamera();
      switch (s.step) {
        case 'intro': case 'idcard_front': case 'idcard_back': case 'video':
          if (!this._consent) return this._intro();
          if (s.step === 'intro') return this._load();
          if (s.step === 'video') {
            if (s.last_result && this._ack !== s.digits) return this._retryScreen();
            return this._videoScreen();
          }
          return this._idcardScreen(s.step === 'idcard_back' ? 'back' : 'front');
        case 'processing':
          this._journey = true;
          return this._processing();
        case 'expired':
          this._problem('expiredTitle', this._t('tokenInvalid'));
          return this._end('tokenError');
        default:
          if (fromLoad && !this._journey) { // a used token
            this._result(true);
            return this._end('tokenError');
          }
          this._result(false);
          return this._end('complete');
      }
    },
    // _answerError handles an error body: a session in it is rendered, anything else explained.
    _answerError(res, retry) {
      const b = res.body || {};
      if (b.session) return this._render(b.session);
      if (b.error === 'TOKEN_INVALID' || b.error === 'EXPIRED') {
        this._problem(b.error === 'EXPIRED' ? 'expiredTitle' : 'invalidTitle', b.message || this._t('tokenInvalid'));
        return this._end('tokenError');
      }
      if (b.error === 'RATE_LIMITED' || res.status === 429) return this._problem('errorTitle', this._t('busyText'), retry);
      return this._problem('errorTitle', b.message || this._t('netText'), retry);
    },
    _problem(titleKey, text, retry, setting) {
      this._stopCamera();
      this._retryFn = retry || null;
      this._show('problem', { problemTitle: this._t(titleKey), problemText: text, problemRetry: !!retry, problemSetting: !!setting });
    },
    onProblemRetry() { if (this._retryFn) this._retryFn(); },
    onOpenSetting() { if (wx.openSetting) wx.openSetting({}); },

    // ---- intro and consent --------------------------------------------------------------
    _intro() {
      const s = this._sess;
      this._show('intro', { group: s.group || 0, idcardSide: s.idcard_side || 0, consent: false });
    },
    onConsent(e) {
      const v = (e && e.detail && e.detail.value) || [];
      this.setData({ consent: v.length > 0 });
    },
    onStart() {
      if (!this.data.consent) return;
      this._consent = true;
      this._journey = true;
      this._render(this._sess);
    },

    // ---- ID card ----------------------------------------------------------------------------
    _idcardScreen(side) {
      this._side = side;
      this._show('idcard', {
        idcardTitle: this._t(side === 'back' ? 'idcardBack' : 'idcardFront'),
        idcardMsg: '', idcardRetakeText: '', idcardBusy: false, idcardPreview: '', idcardRetake: false, idcardLeft: this._leftText(side)
      });
    },
    _leftText(side) {
      const left = this._sess.idcard_retries_left ? this._sess.idcard_retries_left[side] : null;
      return left != null ? this._t('idcardLeft', { n: left }) : '';
    },
    onPickIDCard() {
      wx.chooseMedia({
        count: 1, mediaType: ['image'], sourceType: ['camera', 'album'], sizeType: ['compressed'], camera: 'back',
        success: res => {
          const f = res.tempFiles && res.tempFiles[0];
          if (f) this._uploadIDCard(f.tempFilePath);
        },
        fail: () => { /* the user closed the picker */ }
      });
    },
    _uploadIDCard(path) {
      const side = this._side;
      this.setData({ idcardPreview: path, idcardMsg: '', idcardRetakeText: '', idcardBusy: true });
      api.upload(this._url('/idcard', 'side=' + side), path, 'image').then(res => {
        this.setData({ idcardBusy: false });
        if (res.status !== 200) return this._answerError(res, () => this._render(this._sess));
        const r = res.body;
        if (r.accepted || r.final) return this._render(r.session);
        this._sess = r.session;
        this.setData({ idcardMsg: r.result ? r.result.text : this._t('errorTitle'), idcardRetakeText: RETAKE[r.retake] ? this._t(RETAKE[r.retake]) : '',
          idcardRetake: true, idcardLeft: this._leftText(side) });
      }, () => {
        this.setData({ idcardBusy: false });
        this._problem('netTitle', this._t('netText'), () => this._render(this._sess));
      });
    },

    // ---- video ------------------------------------------------------------------------------
    _videoScreen() {
      this._show('video', { digits: this._sess.digits || '', recording: false, recText: '', canStop: false, videoMsg: '', camError: false });
    },
    onCameraError() {
      this._problem('deniedTitle', this._t('deniedText'), () => this._videoScreen(), true);
    },
    _camera() {
      if (!this._cam) this._cam = wx.createCameraContext();
      return this._cam;
    },
    onRecord() {
      if (this.data.recording) return;
      const started = Date.now();
      this._recDone = false;
      this._camera().startRecord({
        timeout: 20,
        timeoutCallback: res => this._recorded(res),
        success: () => {
          this.setData({ recording: true, videoMsg: '', recText: this._t('recording', { s: 0 }), canStop: false });
          const tick = () => {
            const s = Math.floor((Date.now() - started) / 1000);
            this.setData({ recText: this._t('recording', { s }), canStop: s >= MIN_REC_S });
            if (s >= MAX_REC_S) this.onStop();
          };
          this._tick = setInterval(tick, 250);
        },
        fail: () => this.setData({ recording: false, videoMsg: this._t('recordFailed') })
      });
    },
    onStop() {
      if (!this.data.recording || !this.data.canStop) return; // a disabled button still taps
      if (this._tick) { clearInterval(this._tick); this._tick = null; }
      this._camera().stopRecord({
        compressed: false,
        success: res => this._recorded(res),
        fail: () => this.setData({ recording: false, videoMsg: this._t('recordFailed') })
      });
    },
    _recorded(res) {
      if (this._recDone) return;
      this._recDone = true;
      if (this._tick) { clearInterval(this._tick); this._tick = null; }
      this.setData({ recording: false });
      if (!res || !res.tempVideoPath) return this.setData({ videoMsg: this._t('recordFailed') });
      this._uploadVideo(res.tempVideoPath);
    },
    // onSystemCamera records with the system camera instead of <camera> (older devices).
    onSystemCamera() {
      wx.chooseMedia({
        count: 1, mediaType: ['video'], sourceType: ['camera'], maxDuration: 20, camera: 'front',
        success: res => {
          const f = res.tempFiles && res.tempFiles[0];
          if (f) this._uploadVideo(f.tempFilePath);
        },
        fail: () => { /* closed */ }
      });
    },
    _stopCamera() {
      if (this.data.recording && this._cam) {
        this._recDone = true;
        try { this._cam.stopRecord({}); } catch (e) { /* not recording */ }
        this.setData({ recording: false });
      }
    },
    _uploadVideo(path) {
      this._journey = true;
      this._show('upload', { uploadPct: 0, uploadText: this._t('uploadPct', { p: 0 }) });
      api.upload(this._url('/video'), path, 'video', p => {
        this.setData({ uploadPct: p, uploadText: this._t('uploadPct', { p }) });
      }).then(res => {
        if ((res.status === 202 || res.status === 200) && res.body.session) return this._render(res.body.session);
        this._answerError(res, () => this._uploadVideo(path));
      }, () => this._problem('netTitle', this._t('netText'), () => this._uploadVideo(path)));
    },

    // ---- waiting for the verdict --------------------------------------------------------
    _processing() {
      this._show('processing', { slow: false });
      const t0 = Date.now();
      let delay = 700;
      const next = () => {
        if (Date.now() - t0 > 30000) this.setData({ slow: true });
        delay = Math.min(delay * 1.3, 3000);
        this._later(poll, delay);
      };
      const poll = () => {
        api.call(this._url(), 'GET').then(res => {
          if (!this._alive || this.data.screen !== 'processing') return;
          if (res.status === 200 && res.body.step !== 'processing') return this._render(res.body);
          if (res.status !== 200 && res.status !== 429 && res.status < 500) return this._answerError(res);
          next();
        }, next);
      };
      this._later(poll, delay);
    },

    _retryScreen() {
      const s = this._sess;
      this._show('retry', { retryReason: s.last_result.text, retryLeft: this._t('attemptsLeft', { n: s.attempts_left }) });
    },
    onRetry() {
      this._ack = this._sess.digits;
      this._videoScreen();
    },

    // ---- the end screen -------------------------------------------------------------------
    _result(used) {
      const r = this._sess.result || {};
      const kind = r.code === 1000 ? 'ok' : r.code === 6000 ? 'info' : 'bad';
      const title = used ? this._t('usedTitle') : this._t(kind === 'ok' ? 'resultOk' : kind === 'info' ? 'resultCancel' : 'resultFail');
      this._show('result', {
        resultKind: kind, resultTitle: title,
        resultText: r.text && r.text !== title ? r.text : '', resultNote: used ? this._t('usedNote') : ''
      });
    },

    // ---- cancel -----------------------------------------------------------------------------
    onCancel() {
      const m = this.selectComponent('#fv-modal');
      const ask = m ? m.showModal({ message: this._t('confirmCancel'), confirmText: this._t('leave'), cancelText: this._t('stay'), showCancel: true })
        : Promise.resolve(true);
      ask.then(ok => { if (ok) this._doCancel(); });
    },
    _doCancel() {
      this._clearTimers();
      this._stopCamera();
      this._show('loading');
      api.call(this._url('/cancel'), 'POST').then(res => {
        if (res.status === 200) { this._consent = true; this._journey = true; return this._render(res.body); }
        this._answerError(res, () => this._load());
      }, () => this._problem('netTitle', this._t('netText'), () => this._doCancel()));
    }
  }
});
