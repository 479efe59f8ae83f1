// Defaults of the faceverify component. Integrators set `server` to their faceverify
// server (its domain must be a "request 合法域名" and "uploadFile 合法域名" of the mini-program),
// or pass the `server` property to <faceid-verify> on each use.
module.exports = {
  server: 'https://faceverify.example.com',
  lang: 'zh', // zh | en
  finishDelay: 3 // seconds the end screen stays before onFinish (tap to finish at once; -1 = wait for the tap)
};
