// modal: a small dialog. showModal({title, message, confirmText, cancelText, showCancel,
// success}) opens it and returns a Promise of true (confirmed) or false (cancelled); success,
// if given, is called with {confirm, cancel} like wx.showModal's.
Component({
  properties: {},
  data: { show: false, title: '', message: '', confirmText: '确定', cancelText: '取消', showCancel: false },
  methods: {
    showModal(opts) {
      const o = opts || {};
      if (this._resolve) this._close(false);
      this.setData({
        show: true, title: o.title || '', message: o.message || '',
        confirmText: o.confirmText || '确定', cancelText: o.cancelText || '取消', showCancel: !!o.showCancel
      });
      return new Promise(resolve => {
        this._resolve = ok => {
          if (typeof o.success === 'function') o.success({ confirm: ok, cancel: !ok });
          resolve(ok);
        };
      });
    },
    hideModal() { this._close(false); },
    onConfirm() { this._close(true); },
    onCancel() { this._close(false); },
    noop() {},
    _close(ok) {
      const r = this._resolve;
      this._resolve = null;
      this.setData({ show: false });
      if (r) r(ok);
    }
  }
});
