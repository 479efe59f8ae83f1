#!/usr/bin/env python3
"""Export a checkpoint to speech/model/digits.onnx + digits.json and pin its sha256 in model.go
(--candidate F: only the ONNX, to F, for `digiteval -model F`)."""
import argparse, datetime, hashlib, json, os, re, sys
import numpy as np
import torch
import onnx
from common import REPO, LABELS, SR
from model import load, Export, FRAME_SHIFT_MS, FRAME_OFFSET_MS


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt", nargs="+", help="one checkpoint, or several: exported as their ensemble")
    ap.add_argument("--version", required=True)
    ap.add_argument("--channels", type=int, default=128)
    ap.add_argument("--info", default="")
    ap.add_argument("--candidate", default="", help="write only this ONNX file (for digiteval -model); leave speech/model as it is")
    args = ap.parse_args()
    torch.set_num_threads(2)
    net = load(args.ckpt, args.channels)
    mdir = os.path.join(REPO, "speech", "model")
    path = args.candidate or os.path.join(mdir, "digits.onnx")
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(SR * 3).astype(np.float32) * 0.05)[None]
    torch.onnx.export(Export(net), (x,), path, input_names=["audio"], output_names=["logprobs"],
                      dynamic_axes={"audio": {1: "n"}, "logprobs": {1: "t"}}, opset_version=13,
                      do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    # deterministic bytes: strip the producer version noise
    m.producer_name, m.producer_version, m.doc_string = "faceverify-speech-train", "1", ""
    onnx.save(m, path)
    raw = open(path, "rb").read()
    sha = hashlib.sha256(raw).hexdigest()
    # numerics: torch vs onnxruntime when available
    try:
        import onnxruntime as ort
        s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        for n in (SR // 2, SR * 5, SR * 13 + 123):
            a = np.random.default_rng(n).standard_normal((1, n)).astype(np.float32) * 0.1
            o = s.run(None, {"audio": a})[0]
            with torch.no_grad():
                t = net(torch.from_numpy(a)).numpy()
            print("ort vs torch max abs diff", n, float(np.abs(o - t).max()))
    except ImportError:
        print("onnxruntime (python) not installed: numerics checked by the Go side")
    if args.candidate:
        print("candidate", path, len(raw), "bytes sha256", sha)
        return
    meta = dict(sample_rate=SR, frame_shift_ms=FRAME_SHIFT_MS, frame_offset_ms=FRAME_OFFSET_MS, labels=LABELS,
                version=args.version, trained=datetime.date.today().isoformat(), sha256=sha, normalises=True,
                input="audio", output="logprobs",
                note="input float32 [1,N] 16 kHz mono int16/32768; graph: STFT (Hann 400, hop 160, padded 200 each side) "
                     "-> power -> 64 mel -> log(x+1e-6) -> minus per-utterance mean per band (x0.25) -> conv CTC; "
                     "output log-softmax [1,T,22], T = (N//160)//3 + 1, frame t centred at 30 t ms")
    meta["members"] = len(args.ckpt)
    if args.info and os.path.exists(args.info):
        info = json.load(open(args.info))
        meta["train"] = {k: info[k] for k in ("seed", "steps", "params", "train_seconds", "best_val_mean_exact") if k in info}
    with open(os.path.join(mdir, "digits.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    g = os.path.join(mdir, "model.go")
    src = open(g).read()
    src = re.sub(r'const SHA256 = "[0-9a-f]*"', 'const SHA256 = "%s"' % sha, src)
    open(g, "w").write(src)
    print("exported", path, len(raw), "bytes sha256", sha)


if __name__ == "__main__":
    main()
