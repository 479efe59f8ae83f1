// The verify page: <faceid-verify> runs the whole journey for the token. The server is
// faceid-components/config.js `server` (or pass server="https://…" to the component).
Page({
  data: { token: '' },
  onLoad: function (query) {
    this.setData({ token: decodeURIComponent(query.token || '') });
  },
  // 定义验证流程结束的回调函数: status is "complete" (ask your backend for get_result)
  // or "tokenError" (get a new biz_token).
  onFinish: function (e) {
    console.log(e.detail);
    const { token, status } = e.detail;
    wx.showModal({
      title: '验证流程结束',
      content: token + ', ' + status,
      showCancel: false,
      success: function () {
        wx.navigateBack();
      }
    });
  }
});
