// Peer baseline: @vladmandic/face-api (SSD MobileNet v1 + 68-landmarks + ResNet-34 128-d
// descriptor) on the tfjs WASM backend, over the same LFW pairs file as
// `faceverify compare --pairs`. Prints one JSON summary line in the same shape.
//
//   node face-api-pairs.js --pairs ../../../shared/datasets/faces/lfw-dev/pairs-dev.txt [--root DIR] [--limit N]
'use strict';
const fs = require('fs');
const path = require('path');
const jpeg = require('jpeg-js');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
}

function readPairs(file, root) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const [, perFold] = lines[0].split(/\s+/).map(Number);
  const img = (n, i) => path.join(root, n, `${n}_${String(i).padStart(4, '0')}.jpg`);
  return lines.slice(1).map((l, k) => {
    const f = l.split(/\s+/);
    const fold = Math.floor(k / (2 * perFold));
    return f.length === 3 ? { a: img(f[0], f[1]), b: img(f[0], f[2]), same: true, fold }
      : { a: img(f[0], f[1]), b: img(f[2], f[3]), same: false, fold };
  });
}

function tensorFromJpeg(file) {
  const raw = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
  return faceapi.tf.tensor3d(raw.data, [raw.height, raw.width, 3], 'int32');
}

async function embed(file, opts) {
  let t = tensorFromJpeg(file);
  try {
    let res = await faceapi.detectAllFaces(t, opts).withFaceLandmarks().withFaceDescriptors();
    if (!res.length) { // SSD misses faces that fill the frame: retry inside a 30 % border, as faceverify does
      const [h, w] = t.shape;
      const p = Math.round(0.3 * Math.max(w, h));
      const padded = faceapi.tf.pad(t, [[p, p], [p, p], [0, 0]]);
      t.dispose();
      t = padded;
      res = await faceapi.detectAllFaces(t, opts).withFaceLandmarks().withFaceDescriptors();
    }
    if (!res.length) return { err: 'no face', faces: 0 };
    // central face (as `faceverify compare --pick central`)
    const [h, w] = t.shape;
    let best = res[0], bd = Infinity;
    for (const r of res) {
      const b = r.detection.box;
      const d = Math.hypot(b.x + b.width / 2 - w / 2, b.y + b.height / 2 - h / 2);
      if (d < bd) { bd = d; best = r; }
    }
    return { desc: best.descriptor, faces: res.length };
  } finally {
    t.dispose();
  }
}

function summarize(scores) {
  const sims = scores.map((s) => (s.err ? -Infinity : s.sim));
  const acc = (ix, thr) => ix.filter((i) => (sims[i] >= thr) === scores[i].same).length / ix.length;
  const best = (ix) => {
    const c = ix.map((i) => sims[i]).filter(Number.isFinite).sort((a, b) => a - b);
    let bt = 0, ba = -1;
    for (let k = 0; k < c.length; k++) {
      const t = k ? (c[k] + c[k - 1]) / 2 : c[k];
      const a = acc(ix, t);
      if (a > ba) { ba = a; bt = t; }
    }
    return bt;
  };
  const all = scores.map((_, i) => i);
  const folds = Math.max(...scores.map((s) => s.fold)) + 1;
  const foldAcc = [];
  for (let f = 0; f < folds; f++) {
    const test = all.filter((i) => scores[i].fold === f);
    const train = all.filter((i) => scores[i].fold !== f);
    foldAcc.push(acc(test, best(train.length ? train : test)));
  }
  const mean = foldAcc.reduce((a, b) => a + b, 0) / folds;
  const r4 = (v) => Math.round(v * 1e4) / 1e4;
  return { accuracy: r4(mean), fold_accuracy: foldAcc.map(r4), folds, best_threshold_neg_distance: r4(best(all)) };
}

async function main() {
  const pairsFile = arg('pairs');
  if (!pairsFile) throw new Error('usage: node face-api-pairs.js --pairs pairs.txt [--root DIR] [--limit N]');
  const root = arg('root', path.dirname(pairsFile));
  let pairs = readPairs(pairsFile, root);
  const limit = Number(arg('limit', 0));
  if (limit) { // keep the fold structure: first limit/2 same and different pairs of each fold
    const per = Math.max(1, Math.floor(limit / 4));
    const keep = [];
    for (const f of [...new Set(pairs.map((p) => p.fold))]) {
      keep.push(...pairs.filter((p) => p.fold === f && p.same).slice(0, per));
      keep.push(...pairs.filter((p) => p.fold === f && !p.same).slice(0, per));
    }
    pairs = keep;
  }
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const opts = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.3 });
  const files = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  await embed(files[0], opts); // warm-up
  const start = process.hrtime.bigint();
  const emb = new Map();
  for (const f of files) emb.set(f, await embed(f, opts));
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const scores = pairs.map((p) => {
    const a = emb.get(p.a), b = emb.get(p.b);
    if (a.err || b.err) return { ...p, err: a.err || b.err };
    return { ...p, sim: -faceapi.euclideanDistance(a.desc, b.desc) };
  });
  const s = summarize(scores);
  console.log(JSON.stringify({
    summary: true, peer: `@vladmandic/face-api ${require('@vladmandic/face-api/package.json').version} (tfjs ${faceapi.tf.version_core} ${faceapi.tf.getBackend()})`,
    pairs: pairs.length, same_pairs: pairs.filter((p) => p.same).length, errors: scores.filter((x) => x.err).length,
    ...s, seconds: Math.round(secs * 100) / 100, images: files.length, images_per_s: Math.round(files.length / secs * 10) / 10,
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
