#!/usr/bin/env python3
"""Train the digit CTC model. Usage: train.py --steps N --out DIR [--seed S] [--init ckpt]."""
import argparse, json, os, random, time, sys, glob, pickle
import numpy as np
import torch
import torch.nn.functional as F
from common import SR, CACHE, LABELS
import data, evalset
from augment import Sampler
from model import DigitNet, HOP, STRIDE


def seed_all(s):
    random.seed(s)
    np.random.seed(s)
    torch.manual_seed(s)


def batchify(exs):
    """exs: (wav, labels[, segments]) -> audio, lengths, CTC targets, target lengths, frame targets
    (auxiliary CE: blank outside pieces, the class inside one-label pieces, -100 = ignore)."""
    L = max(len(e[0]) for e in exs)
    a = torch.zeros(len(exs), L)
    lens = torch.tensor([len(e[0]) for e in exs])
    T = int(DigitNet.out_lengths(torch.tensor(L)))
    ft = torch.full((len(exs), T), -100, dtype=torch.long)
    step = HOP * STRIDE
    for i, e in enumerate(exs):
        a[i, : len(e[0])] = torch.from_numpy(e[0])
        if len(e) == 3:
            n = int(DigitNet.out_lengths(torch.tensor(len(e[0]))))
            ft[i, :n] = 0
            for s0, s1, c in e[2]:
                ft[i, max(0, -(-s0 // step)): min(n, (s1 - 1) // step + 1)] = c if c >= 0 else -100
    tg = torch.tensor([c for e in exs for c in e[1]], dtype=torch.long)
    tl = torch.tensor([len(e[1]) for e in exs], dtype=torch.long)
    return a, lens, tg, tl, ft


def make_run(net):
    def run(x):
        with torch.no_grad():
            return net(torch.from_numpy(x)[None])[0].numpy()
    return run


def evaluate(net, items, key="wav"):
    net.eval()
    r = evalset.score(items, make_run(net), key)
    net.train()
    return r


def codec_shards():
    return sorted(glob.glob(os.path.join(CACHE, "codec", "shard-*.pkl")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", default=os.path.join(CACHE, "run"))
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--synth", default="60,120,600,900,500,500")
    ap.add_argument("--p-codec", type=float, default=0.3)
    ap.add_argument("--channels", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--init", default="", help="warm start from this checkpoint")
    ap.add_argument("--pct-start", type=float, default=0.08)
    ap.add_argument("--p-en", type=float, default=0.5)
    ap.add_argument("--p-tel", type=float, default=0.15)
    ap.add_argument("--p-tempo", type=float, default=0.0, help="share of real strings with an independent tempo change")
    ap.add_argument("--p-eq", type=float, default=0.0, help="share of examples with a random microphone colouring")
    ap.add_argument("--p-floor", type=float, default=0.0, help="share of joined strings with a faint noise floor (Sampler.floor)")
    ap.add_argument("--p-floor-late", type=float, default=0.0, help="share of those floors added after the telephone band")
    ap.add_argument("--snr-hi", type=float, default=30.0, help="additive noise SNR upper bound, dB")
    ap.add_argument("--p-synth-en", type=float, default=None, help="share of English strings from synthetic voices (default 0.3 as for Mandarin)")
    ap.add_argument("--p-loose", type=float, default=0.0, help="share of real strings from loosely trimmed takes (data.trim_go)")
    ap.add_argument("--en-digit-weights", default="", help='draw English digits unevenly, e.g. "3:2,6:2" (the VAL confusions)')
    ap.add_argument("--keep", action="store_true", help="also keep every evaluated checkpoint (step-N.pt, for average.py)")
    ap.add_argument("--ce", type=float, default=0.0, help="weight of the frame-level CE auxiliary loss")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    seed_all(args.seed)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    real = data.load_real()
    ne, nz, ce, cz, fe, fz = map(int, args.synth.split(","))
    spk = data.synth_speakers(ne, nz, 1)
    conn = data.synth_connected(ce, cz, 2)
    fill = data.synth_filler(fe, fz, 3)
    val = evalset.build("val", 100)
    print("data loaded %.0fs: real train %d, synth iso %d, conn %d, filler %d, val strings %d" % (
        time.time() - t0, len(real["train"]), len(spk), len(conn), len(fill), len(val)), flush=True)
    rng = np.random.default_rng(args.seed)
    samp = Sampler(real["train"], spk, conn, fill, rng, p_en=args.p_en, p_tel=args.p_tel, p_tempo=args.p_tempo, p_eq=args.p_eq,
                   p_floor=args.p_floor, snr_hi=args.snr_hi, p_floor_late=args.p_floor_late, p_synth_en=args.p_synth_en,
                   loose=data.load_real_loose() if args.p_loose > 0 else None, p_loose=args.p_loose)
    samp.set_en_digit_weights(args.en_digit_weights)
    net = DigitNet(c=args.channels)
    net.specaug = True
    net.fe.use_fft = True
    if args.init:
        net.load_state_dict(torch.load(args.init, map_location="cpu"))
    nparam = sum(p.numel() for p in net.parameters())
    print("params", nparam, flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=args.pct_start)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    codec, seen = [], set()
    best, hist = -1, []
    t1 = time.time()
    for step in range(1, args.steps + 1):
        if step % 200 == 1:
            for p in codec_shards():
                if p not in seen:
                    seen.add(p)
                    try:
                        with open(p, "rb") as f:
                            codec += pickle.load(f)
                    except Exception:
                        seen.discard(p)
        exs = []
        for _ in range(args.batch):
            if codec and rng.random() < args.p_codec:
                exs.append(codec[rng.integers(len(codec))])
            else:
                exs.append(samp.example())
        a, lens, tg, tl, ft = batchify(exs)
        lp = net(a, lens)                                  # [B, T, 22]
        ol = DigitNet.out_lengths(lens).clamp(max=lp.shape[1])
        loss = ctc(lp.transpose(0, 1), tg, ol, tl)
        if args.ce > 0 and (ft >= 0).any():
            loss = loss + args.ce * F.nll_loss(lp[:, : ft.shape[1]].reshape(-1, lp.shape[2]), ft[:, : lp.shape[1]].reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        sched.step()
        if step % 50 == 0:
            print("step %d loss %.3f lr %.2e %.2f s/step codec %d" % (step, loss.item(), sched.get_last_lr()[0],
                  (time.time() - t1) / step, len(codec)), flush=True)
        if step % args.eval_every == 0 or step == args.steps:
            r = evaluate(net, val)
            m = (r["en"]["exact"] + r["zh"]["exact"]) / 2
            hist.append(dict(step=step, val_en=r["en"]["exact"], val_zh=r["zh"]["exact"], loss=loss.item()))
            print("EVAL step %d val exact en %.3f zh %.3f per-digit en %.3f zh %.3f | %s" % (
                step, r["en"]["exact"], r["zh"]["exact"], r["en"]["per_digit"], r["zh"]["per_digit"],
                {k: round(v["exact"], 3) for k, v in r.items()}), flush=True)
            if m >= best:
                best = m
                torch.save(net.state_dict(), os.path.join(args.out, "best.pt"))
            torch.save(net.state_dict(), os.path.join(args.out, "last.pt"))
            if args.keep:
                torch.save(net.state_dict(), os.path.join(args.out, "step-%d.pt" % step))
    info = dict(seed=args.seed, steps=args.steps, batch=args.batch, lr=args.lr, params=nparam,
                channels=args.channels, train_seconds=round(time.time() - t0), best_val_mean_exact=best,
                history=hist, synth=args.synth, p_codec=args.p_codec, codec_examples=len(codec), ce=args.ce, p_en=args.p_en, p_tel=args.p_tel, p_tempo=args.p_tempo, p_eq=args.p_eq, p_floor=args.p_floor, snr_hi=args.snr_hi, p_floor_late=args.p_floor_late,
                p_synth_en=args.p_synth_en, p_loose=args.p_loose, en_digit_weights=args.en_digit_weights, real_train_clips=len(real["train"]), init=args.init)
    with open(os.path.join(args.out, "train.json"), "w") as f:
        json.dump(info, f, indent=1)
    print("done", json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
