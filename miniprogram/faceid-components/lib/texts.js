// Screen texts of the component (the H5 page's wording). Result and error texts come from
// the server (last_result.text, result.text, message): they are the documented ones.
// Every text once, keyed by message id, in both languages; exported per language.
const TEXTS = {
  brand: { zh: '身份验证', en: 'Identity verification' },
  cancel: { zh: '退出', en: 'Cancel' },
  loading: { zh: '正在加载…', en: 'Loading…' },
  introTitle: { zh: '刷脸验证身份', en: 'Verify your identity' },
  introIDCard: { zh: '拍摄身份证人像面和国徽面', en: 'Photograph the portrait side and the emblem side of your ID card' },
  introIDCardFront: { zh: '拍摄身份证人像面', en: 'Photograph the portrait side of your ID card' },
  introVideo: { zh: '录制一段短视频：正对镜头，用普通话（或英语）大声念出屏幕上的 4 位数字', en: 'Record a short video: face the camera and read the 4 digits on the screen aloud in English' },
  introResult: { zh: '提交后等待验证结果', en: 'Wait for the result' },
  introNeeds: { zh: '需要使用摄像头和麦克风，请在光线充足、安静的环境中进行。', en: 'The camera and microphone are needed. Find a bright, quiet place.' },
  consent: { zh: '我同意为完成本次身份验证，采集并处理我的人脸影像、声音和身份证信息。', en: 'I agree that my face images, voice and ID card data are collected and processed for this identity verification.' },
  start: { zh: '开始验证', en: 'Start' },
  idcardFront: { zh: '拍摄身份证人像面', en: 'Portrait side of the ID card' },
  idcardBack: { zh: '拍摄身份证国徽面', en: 'Emblem side of the ID card' },
  idcardHint: { zh: '将身份证平放，正对镜头拍摄，确保四角完整、文字清晰、没有反光。', en: 'Lay the card flat and photograph it straight on: all four corners visible, text sharp, no glare.' },
  takePhoto: { zh: '拍照 / 选择照片', en: 'Take or choose a photo' },
  retake: { zh: '重新拍摄', en: 'Retake' },
  reading: { zh: '正在识别…', en: 'Reading the card…' },
  idcardLeft: { zh: '还可重新拍摄 {n} 次', en: '{n} retakes left' },
  retakeCut: { zh: '身份证没有拍全，请让整张身份证都在虚线框内', en: 'Part of the card is outside the photo: keep the whole card inside the frame' },
  retakeSmall: { zh: '身份证太小，请靠近一些，让身份证占满虚线框', en: 'The card is too small in the photo: move closer so that it fills the frame' },
  retakeBlur: { zh: '照片模糊，请拿稳手机，对焦清晰后再拍', en: 'The photo is blurred: hold steady until the picture is sharp' },
  retakeGlare: { zh: '反光挡住了号码或有效期，请避开灯光直射后重拍', en: 'Glare hides the number or the validity: avoid direct light and retake' },
  videoTitle: { zh: '请用普通话（或英语）念出以下数字', en: 'Read these digits aloud in English' },
  videoHint: { zh: '正对镜头，点击“开始录制”后用普通话（或英语）大声、清晰地念出这 4 位数字，念完点击“完成”。', en: 'Face the camera, tap “Start recording”, read the 4 digits aloud in English, clearly, then tap “Done”.' },
  record: { zh: '开始录制', en: 'Start recording' },
  stop: { zh: '完成', en: 'Done' },
  recording: { zh: '录制中 {s} 秒', en: 'Recording {s} s' },
  recordFailed: { zh: '录制失败，请重试', en: 'Recording failed. Please try again' },
  systemCamera: { zh: '使用系统相机录制', en: 'Record with the system camera' },
  uploading: { zh: '正在上传视频', en: 'Uploading the video' },
  uploadPct: { zh: '已上传 {p}%', en: '{p}% uploaded' },
  processing: { zh: '正在验证，请稍候', en: 'Checking, please wait' },
  processingSlow: { zh: '验证时间较长，请不要退出', en: 'This is taking longer than usual. Please wait' },
  retryTitle: { zh: '本次未通过', en: 'Not passed this time' },
  retry: { zh: '重试', en: 'Try again' },
  attemptsLeft: { zh: '还可重试 {n} 次', en: '{n} attempts left' },
  resultOk: { zh: '验证通过', en: 'Verification passed' },
  resultFail: { zh: '验证未通过', en: 'Verification failed' },
  resultCancel: { zh: '已退出验证', en: 'Verification cancelled' },
  usedTitle: { zh: '该验证已经完成', en: 'This verification is already complete' },
  usedNote: { zh: '此 token 只能使用一次。', en: 'A token can be used only once.' },
  expiredTitle: { zh: '验证已过期', en: 'The verification has expired' },
  invalidTitle: { zh: '验证无效', en: 'Invalid verification' },
  tokenInvalid: { zh: '无效请求，或当前请求已过期', en: 'Invalid request, or the request has expired' },
  deniedTitle: { zh: '无法使用摄像头或麦克风', en: 'Camera or microphone blocked' },
  deniedText: { zh: '请在设置中允许使用摄像头和麦克风，然后点击重试。', en: 'Allow the camera and microphone in the settings, then tap Try again.' },
  openSetting: { zh: '打开设置', en: 'Open settings' },
  netTitle: { zh: '网络异常', en: 'Network problem' },
  netText: { zh: '请检查网络连接后重试。', en: 'Check your connection and try again.' },
  busyText: { zh: '请求过于频繁，请稍后重试。', en: 'Too many requests. Please try again shortly.' },
  errorTitle: { zh: '出错了', en: 'Something went wrong' },
  confirmCancel: { zh: '确定退出本次验证吗？', en: 'Leave this verification?' },
  stay: { zh: '继续验证', en: 'Continue' },
  leave: { zh: '退出', en: 'Leave' },
  done: { zh: '完成', en: 'Done' },
  back: { zh: '返回', en: 'Back' },
  tryAgain: { zh: '重试', en: 'Try again' }
};

function pick(lang) {
  const out = {};
  for (const k of Object.keys(TEXTS)) out[k] = TEXTS[k][lang];
  return out;
}

module.exports = { zh: pick('zh'), en: pick('en') };
