#!/usr/bin/env python3
"""Recover training checkpoints (one per ensemble member) from a shipped digits.onnx.

The export folds every BatchNorm into the convolution before it (W' = W*g/s, b' = beta - m*g/s),
so the original BN parameters are gone; what the graph computes is conv(W') + b'. A member is
rebuilt so that it computes exactly that in eval mode AND (approximately) in training mode: for
each folded layer, the per-channel mean mu and variance v of conv(W') over training examples are
measured, and the BN gets running_mean = mu, running_var = v, weight = sqrt(v + eps),
bias = mu + b'. Eval: (x - mu)/sqrt(v+eps)*sqrt(v+eps) + mu + b' = x + b'. Training: batch
statistics ~ (mu, v), so the same function, and fine-tuning starts where the shipped model is.

Use: from_onnx.py [--onnx speech/model/digits.onnx] --out DIR  ->  DIR/member-0.pt, member-1.pt
(used when the training cache with the original checkpoints is gone; docs/speech.md).
"""
import argparse, os
import numpy as np
import onnx
from onnx import numpy_helper
import torch
from common import REPO
import data
from augment import Sampler
from model import DigitNet
from train import batchify


def members(path):
    """[(stem (W, b), [block (W, b)] * 5, head (W, b))] in graph order."""
    m = onnx.load(path)
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    convs = []
    for n in m.graph.node:
        if n.op_type == "Conv" and n.input[1] in init:
            w = init[n.input[1]]
            b = init[n.input[2]] if len(n.input) > 2 and n.input[2] in init else None
            convs.append((n.input[1], w, b))
    out, cur = [], []
    for name, w, b in convs:
        if name.endswith("fe.kern"):
            continue
        cur.append((w, b))
        if name.endswith("head.weight"):
            assert len(cur) == 7, "expected stem + 5 blocks + head, got %d convs" % len(cur)
            out.append((cur[0], cur[1:6], cur[6]))
            cur = []
    assert out and not cur, "unrecognised graph"
    return out


def rebuild(parts, channels):
    net = DigitNet(c=channels)
    (sw, sb), blocks, (hw, hb) = parts
    layers = [(net.stem, net.bn, sw, sb)] + [(blk.conv, blk.bn, w, b) for blk, (w, b) in zip(net.blocks, blocks)]
    with torch.no_grad():
        for conv, bn, w, b in layers:
            conv.weight.copy_(torch.from_numpy(w))
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
            bn.weight.fill_(1.0)
            bn.bias.copy_(torch.from_numpy(b))
        net.head.weight.copy_(torch.from_numpy(hw))
        net.head.bias.copy_(torch.from_numpy(hb))
    return net, layers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", default=os.path.join(REPO, "speech", "model", "digits.onnx"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--channels", type=int, default=128)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    real = data.load_real()
    samp = Sampler(real["train"], data.synth_speakers(60, 120, 1), data.synth_connected(600, 900, 2),
                   data.synth_filler(500, 500, 3), np.random.default_rng(a.seed), p_en=0.55, p_tel=0.35)
    batches = [batchify([samp.example() for _ in range(a.batch)]) for _ in range(a.batches)]
    for i, parts in enumerate(members(a.onnx)):
        net, layers = rebuild(parts, a.channels)
        net.eval()
        net.fe.use_fft = True
        stats = [[0.0, None, None] for _ in layers]   # count, sum, sum of squares per channel

        def hook(k):
            def f(mod, inp, outp):
                x = outp.detach().double()
                s = stats[k]
                s[0] += x.shape[0] * x.shape[2]
                s[1] = x.sum((0, 2)) if s[1] is None else s[1] + x.sum((0, 2))
                s[2] = (x * x).sum((0, 2)) if s[2] is None else s[2] + (x * x).sum((0, 2))
            return f
        hs = [conv.register_forward_hook(hook(k)) for k, (conv, _, _, _) in enumerate(layers)]
        with torch.no_grad():
            for au, lens, _, _, _ in batches:
                net(au, lens)
        for h in hs:
            h.remove()
        with torch.no_grad():
            for (conv, bn, w, b), (n, s1, s2) in zip(layers, stats):
                mu = s1 / n
                var = (s2 / n - mu * mu).clamp_min(1e-8)
                bn.running_mean.copy_(mu.float())
                bn.running_var.copy_(var.float())
                bn.weight.copy_(torch.sqrt(var + bn.eps).float())
                bn.bias.copy_((mu + torch.from_numpy(b).double()).float())
        p = os.path.join(a.out, "member-%d.pt" % i)
        torch.save(net.state_dict(), p)
        print("member", i, "->", p)


if __name__ == "__main__":
    main()
