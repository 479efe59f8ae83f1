/* faceverify H5 page. Drives the page API /h5/v1/sessions/{token} (docs/h5.md); decides
   nothing itself. No framework, no third-party code. */
(function () {
  "use strict";

  // Every screen text once, keyed by message id, in both languages.
  var TEXTS = {
    brand: { zh: "身份验证", en: "Identity verification" },
    cancel: { zh: "退出", en: "Cancel" },
    loading: { zh: "正在加载…", en: "Loading…" },
    introTitle: { zh: "刷脸验证身份", en: "Verify your identity" },
    introIDCard: { zh: "拍摄身份证人像面和国徽面", en: "Photograph the portrait side and the emblem side of your ID card" },
    introIDCardFront: { zh: "拍摄身份证人像面", en: "Photograph the portrait side of your ID card" },
    introVideo: { zh: "录制一段短视频：正对镜头，用普通话（或英语）大声念出屏幕上的 4 位数字", en: "Record a short video: face the camera and read the 4 digits on the screen aloud in English" },
    introResult: { zh: "提交后等待验证结果，完成后自动返回", en: "Wait for the result; you will be taken back automatically" },
    introNeeds: { zh: "需要使用摄像头和麦克风，请在光线充足、安静的环境中进行。", en: "The camera and microphone are needed. Find a bright, quiet place." },
    consent: { zh: "我同意为完成本次身份验证，采集并处理我的人脸影像、声音和身份证信息。", en: "I agree that my face images, voice and ID card data are collected and processed for this identity verification." },
    start: { zh: "开始验证", en: "Start" },
    idcardFront: { zh: "拍摄身份证人像面", en: "Portrait side of the ID card" },
    idcardBack: { zh: "拍摄身份证国徽面", en: "Emblem side of the ID card" },
    idcardHint: { zh: "将身份证平放，正对镜头拍摄，确保四角完整、文字清晰、没有反光。", en: "Lay the card flat and photograph it straight on: all four corners visible, text sharp, no glare." },
    takePhoto: { zh: "拍照 / 选择照片", en: "Take or choose a photo" },
    retake: { zh: "重新拍摄", en: "Retake" },
    reading: { zh: "正在识别…", en: "Reading the card…" },
    shoot: { zh: "拍照", en: "Take the photo" },
    pickPhoto: { zh: "从相册选择", en: "Choose a photo" },
    tipSteady: { zh: "拿稳手机，对焦清晰后再拍", en: "Hold steady until the picture is sharp" },
    tipCloser: { zh: "靠近一些，让身份证占满虚线框", en: "Move closer: the card should fill the frame" },
    tipGlare: { zh: "避开灯光直射，号码处不要反光", en: "Avoid glare, above all on the number" },
    idcardLeft: { zh: "还可重新拍摄 {n} 次", en: "{n} retakes left" },
    // why a card photo must be retaken: the page API's retake (cut | small | blur | glare)
    retakeCut: { zh: "身份证没有拍全，请让整张身份证都在虚线框内", en: "Part of the card is outside the photo: keep the whole card inside the frame" },
    retakeSmall: { zh: "身份证太小，请靠近一些，让身份证占满虚线框", en: "The card is too small in the photo: move closer so that it fills the frame" },
    retakeBlur: { zh: "照片模糊，请拿稳手机，对焦清晰后再拍", en: "The photo is blurred: hold steady until the picture is sharp" },
    retakeGlare: { zh: "反光挡住了号码或有效期，请避开灯光直射后重拍", en: "Glare hides the number or the validity: avoid direct light and retake" },
    videoTitle: { zh: "请用普通话（或英语）念出以下数字", en: "Read these digits aloud in English" },
    videoHint: { zh: "正对镜头，点击“开始录制”后用普通话（或英语）大声、清晰地念出这 4 位数字，念完点击“完成”。", en: "Face the camera, tap “Start recording”, read the 4 digits aloud in English, clearly, then tap “Done”." },
    record: { zh: "开始录制", en: "Start recording" },
    stop: { zh: "完成", en: "Done" },
    recording: { zh: "录制中 {s} 秒", en: "Recording {s} s" },
    camStarting: { zh: "正在打开摄像头…", en: "Opening the camera…" },
    recordFailed: { zh: "录制失败，请重试", en: "Recording failed. Please try again" },
    uploading: { zh: "正在上传视频", en: "Uploading the video" },
    uploadPct: { zh: "已上传 {p}%", en: "{p}% uploaded" },
    processing: { zh: "正在验证，请稍候", en: "Checking, please wait" },
    processingSlow: { zh: "验证时间较长，请不要关闭页面", en: "This is taking longer than usual. Please keep this page open" },
    retryTitle: { zh: "本次未通过", en: "Not passed this time" },
    retry: { zh: "重试", en: "Try again" },
    attemptsLeft: { zh: "还可重试 {n} 次", en: "{n} attempts left" },
    resultOk: { zh: "验证通过", en: "Verification passed" },
    resultFail: { zh: "验证未通过", en: "Verification failed" },
    resultCancel: { zh: "已退出验证", en: "Verification cancelled" },
    redirecting: { zh: "{s} 秒后自动返回", en: "Returning in {s} s" },
    return: { zh: "返回", en: "Return" },
    usedTitle: { zh: "该验证已经完成", en: "This verification is already complete" },
    usedNote: { zh: "此链接只能使用一次。", en: "The link can be used only once." },
    expiredTitle: { zh: "验证链接已过期", en: "The link has expired" },
    invalidTitle: { zh: "验证链接无效", en: "Invalid link" },
    tokenInvalid: { zh: "无效请求，或当前请求已过期", en: "Invalid request, or the request has expired" },
    deniedTitle: { zh: "无法使用摄像头或麦克风", en: "Camera or microphone blocked" },
    deniedText: { zh: "请在浏览器设置中允许本页面使用摄像头和麦克风，然后点击重试。", en: "Allow this page to use the camera and microphone in your browser settings, then tap Try again." },
    noDeviceTitle: { zh: "未找到摄像头或麦克风", en: "No camera or microphone found" },
    noDeviceText: { zh: "请确认设备有可用的摄像头和麦克风，且未被其他应用占用。", en: "Make sure the device has a camera and a microphone that no other app is using." },
    unsupportedTitle: { zh: "当前浏览器不支持视频录制", en: "This browser cannot record video" },
    unsupportedText: { zh: "请使用最新版的 Safari、Chrome 或微信打开此链接。", en: "Open this link in the latest Safari, Chrome or WeChat." },
    insecureTitle: { zh: "无法使用摄像头", en: "The camera cannot be used" },
    insecureText: { zh: "此页面需要通过 HTTPS 打开，请联系业务方。", en: "This page must be opened over HTTPS. Please contact the business." },
    netTitle: { zh: "网络异常", en: "Network problem" },
    netText: { zh: "请检查网络连接后重试。", en: "Check your connection and try again." },
    busyText: { zh: "请求过于频繁，请稍后重试。", en: "Too many requests. Please try again shortly." },
    errorTitle: { zh: "出错了", en: "Something went wrong" },
    confirmCancel: { zh: "确定退出本次验证吗？", en: "Leave this verification?" },
    stay: { zh: "继续验证", en: "Continue" },
    leave: { zh: "退出", en: "Leave" }
  };

  var MIN_REC_S = 3, MAX_REC_S = 18, REDIRECT_S = 3;
  var B = document.body, LANG = B.dataset.lang === "en" ? "en" : "zh", T = {};
  for (var k in TEXTS) T[k] = TEXTS[k][LANG];
  var TOKEN = B.dataset.token || "";
  var API = (B.dataset.api || "/h5/v1/sessions/") + encodeURIComponent(TOKEN).replace(/%2C/gi, ",");
  var KEY = "fv:" + TOKEN + ":";
  var $ = function (id) { return document.getElementById(id); };
  var sess = null, stream = null, recorder = null, timers = [], current = "";

  function t(k, vars) {
    var s = T[k] || k;
    for (var v in vars || {}) s = s.replace("{" + v + "}", vars[v]);
    return s;
  }
  function store(k, v) { try { if (v === undefined) return sessionStorage.getItem(KEY + k); sessionStorage.setItem(KEY + k, v); } catch (e) { /* private mode */ } return null; }
  function mark(name, detail) { try { performance.mark("fv:" + name, detail ? { detail: detail } : undefined); } catch (e) { /* old browser */ } }
  function clearTimers() { timers.forEach(clearTimeout); timers.forEach(clearInterval); timers = []; }
  function later(fn, ms) { timers.push(setTimeout(fn, ms)); }

  function show(id) {
    var all = document.querySelectorAll(".screen");
    for (var i = 0; i < all.length; i++) all[i].hidden = all[i].id !== "s-" + id;
    current = id;
    var cancellable = { intro: 1, idcard: 1, video: 1, retry: 1, problem: 1 };
    $("cancel").hidden = !(cancellable[id] && sess && !terminal(sess));
    document.documentElement.dataset.screen = id;
    var h = $("s-" + id).querySelector("h1");
    if (h) h.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
  function terminal(s) { return s.step === "result" || s.step === "expired"; }

  // ---- API ------------------------------------------------------------------------------
  function url(path, q) { return API + (path || "") + "?" + (q ? q + "&" : "") + "lang=" + LANG; }
  function api(method, path, body, q) {
    return fetch(url(path, q), { method: method, body: body, credentials: "omit", cache: "no-store" })
      .then(function (r) {
        return r.text().then(function (txt) {
          var j = null;
          try { j = txt ? JSON.parse(txt) : null; } catch (e) { j = null; }
          return { status: r.status, body: j || {} };
        });
      });
  }
  // answer handles an API error body: a session in it is rendered, anything else explained.
  function answerError(res, retry) {
    var b = res.body || {};
    if (b.session) return render(b.session);
    if (b.error === "TOKEN_INVALID") return problem("invalidTitle", b.message || t("tokenInvalid"));
    if (b.error === "EXPIRED") return problem("expiredTitle", b.message || t("tokenInvalid"));
    if (b.error === "RATE_LIMITED") return problem("errorTitle", t("busyText"), retry);
    return problem("errorTitle", b.message || t("netText"), retry);
  }

  function load() {
    show("loading");
    api("GET").then(function (res) {
      if (res.status === 200) return render(res.body, true);
      answerError(res, load);
    }, function () { problem("netTitle", t("netText"), load); });
  }

  // ---- rendering by step ----------------------------------------------------------------
  function render(s, fromLoad) {
    clearTimers();
    sess = s;
    if (s.step !== "video") stopCamera();
    if (s.step !== "idcard_front" && s.step !== "idcard_back") stopCardCamera();
    switch (s.step) {
      case "intro": case "idcard_front": case "idcard_back": case "video":
        if (!store("consent")) return intro();
        if (s.step === "intro") return load();
        if (s.step === "video") {
          if (s.last_result && store("ack") !== s.digits) return retryScreen();
          return videoScreen();
        }
        return idcardScreen(s.step === "idcard_back" ? "back" : "front");
      case "processing": return processing();
      case "expired": return problem("expiredTitle", t("tokenInvalid"), null, s.return_url);
      default: return result(fromLoad && !store("consent"));
    }
  }

  function intro() {
    $("intro-idcard").hidden = sess.group !== 1;
    if (sess.group === 1 && sess.idcard_side === 1) $("intro-idcard").textContent = t("introIDCardFront");
    $("consent").checked = false;
    $("start").disabled = true;
    show("intro");
  }
  $("consent").addEventListener("change", function () { $("start").disabled = !this.checked; });
  $("start").addEventListener("click", function () {
    store("consent", "1");
    render(sess);
  });

  // ---- ID card --------------------------------------------------------------------------
  var side = "front";
  function idcardScreen(sd) {
    side = sd;
    $("idcard-title").textContent = t(sd === "back" ? "idcardBack" : "idcardFront");
    $("idcard-hint").textContent = t("idcardHint");
    $("idcard-preview").hidden = true;
    $("idcard-frame").setAttribute("data-side", sd === "back" ? "back" : "front");
    $("idcard-frame").classList.remove("has-photo");
    $("idcard-tips").hidden = false;
    $("idcard-msg").hidden = true;
    $("idcard-retake").hidden = true;
    $("idcard-busy").hidden = true;
    $("idcard-pick").textContent = t("takePhoto");
    $("idcard-left").textContent = ""; // shown after a rejected photo
    show("idcard");
    liveCard();
  }
  // The live camera view with the card-shaped guide over it (the guide frame is where the
  // card should lie); the whole camera frame is sent — the server finds the card anywhere.
  // Without a camera (or when refused) the photo picker alone stays.
  var cardStream = null, cardCamSeq = 0;
  function stopCardCamera() {
    cardCamSeq++;
    if (cardStream) cardStream.getTracks().forEach(function (tr) { tr.stop(); });
    cardStream = null;
    var v = $("idcard-video");
    v.srcObject = null;
    v.hidden = true;
    $("idcard-shoot").hidden = true;
    $("idcard-frame").classList.remove("live");
    $("idcard-pick").classList.add("primary");
  }
  function liveView() {
    $("idcard-frame").classList.add("live");
    $("idcard-video").hidden = false;
    $("idcard-shoot").hidden = false;
    $("idcard-shoot").textContent = t("shoot");
    $("idcard-pick").textContent = t("pickPhoto");
    $("idcard-pick").classList.remove("primary");
  }
  function liveCard() {
    if (cardStream) return liveView();
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) return;
    var seq = ++cardCamSeq;
    navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: "environment", width: { ideal: 1920 }, height: { ideal: 1080 } } })
      .then(function (st) {
        if (seq !== cardCamSeq || current !== "idcard") { st.getTracks().forEach(function (tr) { tr.stop(); }); return; }
        cardStream = st;
        var v = $("idcard-video");
        v.srcObject = st;
        var p = v.play();
        if (p && p.catch) p.catch(function () { /* shown on the next frame */ });
        liveView();
        mark("idcard-live", {});
      }, function () { /* no camera: the photo picker */ });
  }
  $("idcard-shoot").addEventListener("click", function () {
    var v = $("idcard-video");
    if (!cardStream || !v.videoWidth) return;
    var c = document.createElement("canvas");
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    c.getContext("2d").drawImage(v, 0, 0);
    mark("idcard-shot", { width: c.width, height: c.height });
    c.toBlob(function (b) { if (b) submitCard(b); }, "image/jpeg", 0.92);
  });
  // retakeText shows what to change for the retake, by the page API's reason (docs/h5.md).
  var RETAKE = { cut: "retakeCut", small: "retakeSmall", blur: "retakeBlur", glare: "retakeGlare" };
  function retakeText(reason) {
    var k = RETAKE[reason];
    $("idcard-retake").textContent = k ? t(k) : "";
    $("idcard-retake").hidden = !k;
  }
  function leftText(sd) {
    var left = sess.idcard_retries_left ? sess.idcard_retries_left[sd] : null;
    $("idcard-left").textContent = left != null ? t("idcardLeft", { n: left }) : "";
  }
  $("idcard-file").addEventListener("change", function () {
    var f = this.files && this.files[0];
    this.value = "";
    if (f) submitCard(f);
  });
  function submitCard(f) {
    var img = $("idcard-preview");
    if (img.src) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(f);
    img.alt = $("idcard-title").textContent;
    img.hidden = false;
    $("idcard-frame").classList.add("has-photo");
    $("idcard-tips").hidden = true;
    $("idcard-msg").hidden = true;
    $("idcard-retake").hidden = true;
    $("idcard-busy").hidden = false;
    $("idcard-pick").hidden = true;
    $("idcard-shoot").hidden = true;
    shrink(f).then(function (blob) {
      var fd = new FormData();
      fd.append("image", blob, "idcard.jpg");
      return api("POST", "/idcard", fd, "side=" + side);
    }).then(function (res) {
      $("idcard-busy").hidden = true;
      $("idcard-pick").hidden = false;
      if (res.status !== 200) return answerError(res, function () { render(sess); });
      var r = res.body;
      if (r.accepted || r.final) return render(r.session);
      sess = r.session;
      $("idcard-msg").textContent = r.result ? r.result.text : t("errorTitle");
      $("idcard-msg").hidden = false;
      retakeText(r.retake);
      $("idcard-pick").textContent = t("retake");
      $("idcard-tips").hidden = false; // the hints again before the retake
      leftText(side);
      if (cardStream) { // back to the live view for the retake
        img.hidden = true;
        $("idcard-frame").classList.remove("has-photo");
        liveView();
        $("idcard-shoot").textContent = t("retake");
      }
    }, function () {
      $("idcard-busy").hidden = true;
      $("idcard-pick").hidden = false;
      if (cardStream) $("idcard-shoot").hidden = false;
      problem("netTitle", t("netText"), function () { render(sess); });
    });
  }
  // shrink re-encodes every photo larger than 1600 px on its long side (or over 1.5 MB, or
  // not JPEG/PNG) to a JPEG of at most 1600 px, so uploads stay small on mobile networks.
  // createImageBitmap applies the EXIF orientation, so the JPEG sent is upright as shown.
  var MAX_SIDE = 1600;
  function shrink(f) {
    if (!window.createImageBitmap) return Promise.resolve(f);
    return createImageBitmap(f).then(function (bmp) {
      var long = Math.max(bmp.width, bmp.height);
      if (long <= MAX_SIDE && f.size <= 1500000 && /^image\/(jpeg|png)$/.test(f.type)) return f;
      var k = Math.min(1, MAX_SIDE / long);
      var c = document.createElement("canvas");
      c.width = Math.round(bmp.width * k);
      c.height = Math.round(bmp.height * k);
      c.getContext("2d").drawImage(bmp, 0, 0, c.width, c.height);
      mark("idcard-shrink", { width: c.width, height: c.height });
      return new Promise(function (ok) { c.toBlob(function (b) { ok(b || f); }, "image/jpeg", 0.9); });
    }).catch(function () { return f; });
  }

  // ---- video ----------------------------------------------------------------------------
  function supported() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
  }
  function pickType() {
    var types = ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm",
      "video/mp4;codecs=avc1,mp4a", "video/mp4"];
    for (var i = 0; i < types.length; i++) {
      try { if (MediaRecorder.isTypeSupported(types[i])) return types[i]; } catch (e) { /* ignore */ }
    }
    return "";
  }
  function stopCamera() {
    if (recorder && recorder.state !== "inactive") { recorder.onstop = null; try { recorder.stop(); } catch (e) { /* ignore */ } }
    recorder = null;
    if (stream) stream.getTracks().forEach(function (tr) { tr.stop(); });
    stream = null;
    var v = $("preview");
    if (v) v.srcObject = null;
  }
  function videoScreen() {
    if (window.isSecureContext === false) return problem("insecureTitle", t("insecureText"));
    if (!supported()) return problem("unsupportedTitle", t("unsupportedText"));
    var d = sess.digits || "";
    $("digits").textContent = d;
    $("digits").setAttribute("aria-label", d.split("").join(" "));
    $("video-msg").hidden = true;
    $("record").hidden = false;
    $("record").disabled = true;
    $("record").textContent = t("camStarting");
    $("stop").hidden = true;
    $("rec").hidden = true;
    show("video");
    if (stream) return cameraReady();
    navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false },
      video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } }
    }).then(function (st) {
      if (current !== "video") { st.getTracks().forEach(function (tr) { tr.stop(); }); return; }
      stream = st;
      if (!st.getAudioTracks().length || !st.getVideoTracks().length) {
        stopCamera();
        return problem("noDeviceTitle", t("noDeviceText"), videoScreen);
      }
      cameraReady();
    }, function (err) {
      var n = err && err.name;
      if (n === "NotAllowedError" || n === "SecurityError" || n === "PermissionDeniedError") return problem("deniedTitle", t("deniedText"), videoScreen);
      if (n === "NotFoundError" || n === "OverconstrainedError" || n === "NotReadableError") return problem("noDeviceTitle", t("noDeviceText"), videoScreen);
      problem("unsupportedTitle", t("unsupportedText"), videoScreen);
    });
  }
  function cameraReady() {
    var v = $("preview");
    v.srcObject = stream;
    var p = v.play();
    if (p && p.catch) p.catch(function () { /* autoplay of a muted preview; ignore */ });
    $("record").disabled = false;
    $("record").textContent = t("record");
  }
  $("record").addEventListener("click", function () {
    if (!stream) return;
    var type = pickType(), chunks = [], started = Date.now();
    try {
      recorder = new MediaRecorder(stream, type ? { mimeType: type, videoBitsPerSecond: 1000000, audioBitsPerSecond: 64000 } : {});
    } catch (e) {
      return problem("unsupportedTitle", t("unsupportedText"), videoScreen);
    }
    recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
    recorder.onstop = function () {
      clearTimers();
      var blob = new Blob(chunks, { type: (recorder && recorder.mimeType) || type || "video/webm" });
      recorder = null;
      if (!blob.size) {
        $("video-msg").textContent = t("recordFailed");
        $("video-msg").hidden = false;
        return cameraReady();
      }
      stopCamera();
      upload(blob);
    };
    recorder.start(1000);
    mark("record-start");
    $("record").hidden = true;
    $("stop").hidden = false;
    $("stop").disabled = true;
    $("video-msg").hidden = true;
    var rec = $("rec");
    rec.hidden = false;
    var tick = function () {
      var s = Math.floor((Date.now() - started) / 1000);
      rec.textContent = t("recording", { s: s });
      $("stop").disabled = s < MIN_REC_S;
      if (s >= MAX_REC_S) stopRec();
    };
    tick();
    timers.push(setInterval(tick, 250));
  });
  function stopRec() {
    if (recorder && recorder.state === "recording") { mark("record-stop"); recorder.stop(); }
  }
  $("stop").addEventListener("click", stopRec);

  function upload(blob) {
    var ext = /mp4/.test(blob.type) ? "mp4" : "webm";
    $("upload-bar").value = 0;
    $("upload-pct").textContent = t("uploadPct", { p: 0 });
    show("upload");
    var fd = new FormData();
    fd.append("video", blob, "liveness." + ext);
    var x = new XMLHttpRequest();
    x.open("POST", url("/video"));
    x.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      var p = Math.round(100 * e.loaded / e.total);
      $("upload-bar").value = p;
      $("upload-pct").textContent = t("uploadPct", { p: p });
    };
    x.onload = function () {
      mark("upload-end");
      var b = {};
      try { b = JSON.parse(x.responseText || "{}"); } catch (e) { b = {}; }
      if (x.status === 202 || x.status === 200) return render(b.session);
      answerError({ status: x.status, body: b }, function () { upload(blob); });
    };
    x.onerror = function () { problem("netTitle", t("netText"), function () { upload(blob); }); };
    mark("upload-start", { bytes: blob.size, type: blob.type });
    x.send(fd);
  }

  // ---- waiting for the verdict ----------------------------------------------------------
  function processing() {
    $("processing-slow").hidden = true;
    show("processing");
    var t0 = Date.now(), delay = 400; // 0.4 s while a verdict is due, then back off to 3 s
    var poll = function () {
      api("GET").then(function (res) {
        if (res.status === 200 && res.body.step !== "processing") {
          mark("verdict");
          try { performance.measure("fv:upload-to-verdict", "fv:upload-start", "fv:verdict"); } catch (e) { /* no upload in this tab */ }
          return render(res.body);
        }
        if (res.status !== 200 && res.status !== 429 && res.status < 500) return answerError(res);
        next();
      }, next);
    };
    var next = function () {
      if (Date.now() - t0 > 30000) $("processing-slow").hidden = false;
      if (Date.now() - t0 > 15000) delay = Math.min(delay * 1.3, 3000);
      later(poll, delay);
    };
    later(poll, delay);
  }

  function retryScreen() {
    $("retry-reason").textContent = sess.last_result.text;
    $("retry-left").textContent = t("attemptsLeft", { n: sess.attempts_left });
    show("retry");
  }
  $("retry").addEventListener("click", function () {
    store("ack", sess.digits);
    videoScreen();
  });

  // ---- the end --------------------------------------------------------------------------
  function safeURL(u) { return typeof u === "string" && /^https?:\/\//i.test(u) ? u : ""; }
  function result(used) {
    var r = sess.result || {}, back = safeURL(sess.return_url);
    var icon = $("result-icon");
    icon.className = "icon " + (r.code === 1000 ? "ok" : r.code === 6000 ? "" : "bad");
    icon.textContent = r.code === 6000 ? "i" : "";
    $("result-title").textContent = used ? t("usedTitle") : t(r.code === 1000 ? "resultOk" : r.code === 6000 ? "resultCancel" : "resultFail");
    $("result-text").textContent = r.text && r.text !== $("result-title").textContent ? r.text : "";
    $("result-note").textContent = t("usedNote");
    $("result-note").hidden = !used;
    var a = $("result-return");
    a.hidden = !back;
    if (back) a.href = back;
    $("result-countdown").textContent = "";
    show("result");
    if (!back || used) return;
    var left = REDIRECT_S;
    var tick = function () {
      if (left <= 0) { location.replace(back); return; }
      $("result-countdown").textContent = t("redirecting", { s: left });
      left--;
      later(tick, 1000);
    };
    tick();
  }

  function problem(titleKey, text, retry, back) {
    stopCamera();
    $("problem-title").textContent = t(titleKey);
    $("problem-text").textContent = text;
    var rb = $("problem-retry");
    rb.hidden = !retry;
    rb.onclick = retry ? function () { retry(); } : null;
    var a = $("problem-return"), u = safeURL(back);
    a.hidden = !u;
    if (u) a.href = u;
    show("problem");
  }

  // ---- cancel ---------------------------------------------------------------------------
  var dlg = $("confirm");
  $("cancel").addEventListener("click", function () {
    if (dlg.showModal) dlg.showModal(); else doCancel();
  });
  $("confirm-no").addEventListener("click", function () { dlg.close(); });
  $("confirm-yes").addEventListener("click", function () { dlg.close(); doCancel(); });
  function doCancel() {
    clearTimers();
    stopCamera();
    show("loading");
    api("POST", "/cancel").then(function (res) {
      if (res.status === 200) { store("consent", "1"); return render(res.body); }
      answerError(res, load);
    }, function () { problem("netTitle", t("netText"), doCancel); });
  }

  // ---- start ----------------------------------------------------------------------------
  var els = document.querySelectorAll("[data-t]");
  for (var i = 0; i < els.length; i++) els[i].textContent = t(els[i].getAttribute("data-t"));
  document.title = t("brand");
  window.addEventListener("pagehide", stopCamera);
  load();
})();
