// The first page: enter the biz_token your backend got from /lite/v1/get_biz_token.
Page({
  data: {},
  onReady: function () {
    this.modal = this.selectComponent('#modal');
  },
  formSubmitProd: function (e) {
    const { token } = e.detail.value;
    if (!token) {
      this.modal.showModal({
        message: 'token不能为空'
      });
      return;
    }
    wx.navigateTo({
      url: `../verify/verify?token=${encodeURIComponent(token)}`
    });
  }
});
