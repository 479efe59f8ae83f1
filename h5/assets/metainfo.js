/* faceverify: window.getMetaInfo() returns the MetaInfo JSON string that a business page
   passes to InitFaceVerify (Cloudauth). Business pages may include this file on its own:
   <script src="https://<faceverify>/h5/metainfo.js"></script> */
(function () {
  "use strict";
  var VERSION = "1.0.0";
  function os(ua) {
    var m;
    if ((m = /Android\s([\d.]+)/.exec(ua))) return { type: "android", ver: "Android " + m[1] };
    if ((m = /(?:iPhone|iPad|iPod).*?OS\s([\d_]+)/.exec(ua))) return { type: "ios", ver: "iOS " + m[1].replace(/_/g, ".") };
    if ((m = /Windows NT\s([\d.]+)/.exec(ua))) return { type: "h5", ver: "Windows " + m[1] };
    if ((m = /Mac OS X\s([\d_]+)/.exec(ua))) return { type: "h5", ver: "macOS " + m[1].replace(/_/g, ".") };
    if (/Linux/.test(ua)) return { type: "h5", ver: "Linux" };
    return { type: "h5", ver: "" };
  }
  function model(ua) {
    var m = /Android[^;)]*;\s*([^;)]+?)(?:\sBuild\/[^;)]*)?\)/.exec(ua);
    if (m) return m[1].trim();
    m = /(iPhone|iPad|iPod)/.exec(ua);
    return m ? m[1] : "";
  }
  // capabilities the liveness step needs: getUserMedia, MediaRecorder, WebM, MP4
  function caps() {
    var md = navigator.mediaDevices, MR = window.MediaRecorder;
    var t = function (x) { try { return !!(MR && MR.isTypeSupported && MR.isTypeSupported(x)); } catch (e) { return false; } };
    return [md && md.getUserMedia ? 1 : 0, MR ? 1 : 0, t("video/webm") ? 1 : 0, t("video/mp4") ? 1 : 0].join("");
  }
  window.getMetaInfo = function () {
    var ua = navigator.userAgent || "", o = os(ua);
    return JSON.stringify({
      zimVer: "3.0.0",
      appVersion: VERSION,
      bioMetaInfo: VERSION + ":" + caps() + ",0",
      appName: "faceverify.h5",
      deviceType: o.type,
      osVersion: o.ver,
      apdidToken: "",
      deviceModel: model(ua),
      ua: ua
    });
  };
})();
