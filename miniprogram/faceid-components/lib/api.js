// The page API of a faceverify server (/h5/v1/sessions/{token}), over wx.request and
// wx.uploadFile. Every call resolves to {status, body}; only transport failures reject.

function sessionURL(server, token, path, query, lang) {
  const base = String(server || '').replace(/\/+$/, '');
  const tok = encodeURIComponent(token).replace(/%2C/gi, ',');
  return base + '/h5/v1/sessions/' + tok + (path || '') + '?' + (query ? query + '&' : '') + 'lang=' + lang;
}

function parse(data) {
  if (data && typeof data === 'object') return data;
  try { return data ? JSON.parse(data) : {}; } catch (e) { return {}; }
}

function call(url, method) {
  return new Promise((resolve, reject) => {
    wx.request({
      url, method, timeout: 15000, dataType: 'text', responseType: 'text',
      header: { 'content-type': 'application/json' },
      success: res => resolve({ status: res.statusCode, body: parse(res.data) }),
      fail: err => reject(err)
    });
  });
}

// upload sends the file at filePath as the multipart part `name`; onProgress(percent).
function upload(url, filePath, name, onProgress) {
  return new Promise((resolve, reject) => {
    const task = wx.uploadFile({
      url, filePath, name, timeout: 120000,
      success: res => resolve({ status: res.statusCode, body: parse(res.data) }),
      fail: err => reject(err)
    });
    if (task && task.onProgressUpdate && onProgress) task.onProgressUpdate(p => onProgress(p.progress));
  });
}

module.exports = { sessionURL, call, upload };
