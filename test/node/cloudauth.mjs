// Drives a faceverify server with the official Alibaba Cloud Node SDK
// (@alicloud/cloudauth20190307, which signs with ACS3-HMAC-SHA256 by default).
// Run by the Go test TestCloudauthNodeSDK (httpapi/cloudauth_node_test.go), which starts
// the server and passes, in the environment:
//   FV_ENDPOINT (127.0.0.1:PORT), FV_AK, FV_SECRET, FV_SCENE, FV_MODE (init | describe),
//   FV_CERTIFY_ID (describe), FV_PICTURE (base64 JPEG, optional: FaceContrastPicture).
// It prints one JSON object on stdout: the SDK's view of every call.
import Client, * as $Cloudauth from '@alicloud/cloudauth20190307';
import * as OpenApi from '@alicloud/openapi-core';

const env = (k) => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`missing ${k}`);
  return v;
};

function client(secret) {
  return new Client.default(new OpenApi.$OpenApiUtil.Config({
    accessKeyId: env('FV_AK'),
    accessKeySecret: secret,
    endpoint: env('FV_ENDPOINT'),
    protocol: 'http',
    regionId: 'cn-hangzhou',
    readTimeout: 20000,
    connectTimeout: 5000,
  }));
}

function errView(e) {
  return { statusCode: e.statusCode, code: e.code, requestId: e.data && e.data.RequestId, hostId: e.data && e.data.HostId };
}

async function main() {
  const out = {};
  const c = client(env('FV_SECRET'));
  const scene = Number(env('FV_SCENE'));
  if (env('FV_MODE') === 'init') {
    const req = new $Cloudauth.InitFaceVerifyRequest({
      sceneId: scene,
      outerOrderNo: 'node' + Date.now(),
      productCode: 'ID_PRO',
      certType: 'IDENTITY_CARD',
      certName: '张三',
      certNo: '11010519491231002X',
      returnUrl: 'https://biz.example/return',
      metaInfo: JSON.stringify({ zimVer: '3.0.0', appVersion: '1', bioMetaInfo: '4.1.0:1150,0', deviceType: 'h5', ua: 'node' }),
      callbackUrl: 'https://biz.example/cb?x=1 2*~',
      callbackToken: 'tok+en*~',
      userId: 'user 42 +*~',
      authId: 'auth-1',
      model: 'LIVENESS',
      certifyUrlType: 'H5',
    });
    if (process.env.FV_PICTURE) req.faceContrastPicture = process.env.FV_PICTURE;
    const init = await c.initFaceVerify(req);
    out.init = { statusCode: init.statusCode, body: init.body.toMap() };
    const id = init.body.resultObject && init.body.resultObject.certifyId;
    const desc = await c.describeFaceVerify(new $Cloudauth.DescribeFaceVerifyRequest({ sceneId: scene, certifyId: id }));
    out.describe = { statusCode: desc.statusCode, body: desc.body.toMap() };
    const bad = await c.initFaceVerify(new $Cloudauth.InitFaceVerifyRequest({ sceneId: scene, productCode: 'ID_PRO', outerOrderNo: 'x' }));
    out.badParams = { statusCode: bad.statusCode, body: bad.body.toMap() };
    try {
      await client(env('FV_SECRET') + 'x').initFaceVerify(req);
      out.wrongSecret = { ok: true };
    } catch (e) {
      out.wrongSecret = errView(e);
    }
  } else {
    const desc = await c.describeFaceVerify(new $Cloudauth.DescribeFaceVerifyRequest({ sceneId: scene, certifyId: env('FV_CERTIFY_ID') }));
    out.describe = { statusCode: desc.statusCode, body: desc.body.toMap() };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
