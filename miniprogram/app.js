// The sample mini-program (example/): enter a biz_token, verify with <faceid-verify>.
App({});
