// Chromium flags shared by the browser drivers (h5.mjs, console.mjs): headless, and loopback
// only — no background traffic, every host but 127.0.0.1 unresolvable (tests never reach out).
export const loopbackArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-default-apps',
  '--disable-sync', '--no-first-run', '--no-default-browser-check', '--metrics-recording-only',
  '--disable-domain-reliability', '--disable-client-side-phishing-detection', '--no-proxy-server',
  '--disable-features=MediaRouter,OptimizationHints,Translate,InterestFeedContentSuggestions',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];
