#!/usr/bin/env python3
"""Evaluate a checkpoint (default: the exported weights' checkpoint) on val/test 4-digit strings
from held-out speakers' real recordings, clean and after an Opus 32 kbit/s round trip."""
import argparse, json, os
import numpy as np
import torch
from model import load
import evalset


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt", nargs="+", help="one checkpoint, or several: their ensemble")
    ap.add_argument("--split", action="append", default=[])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--channels", type=int, default=128)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    torch.set_num_threads(1)
    net = load(a.ckpt, a.channels, fft=True)   # torch.stft: same numbers as the conv, faster

    def run(x):
        with torch.no_grad():
            return net(torch.from_numpy(x)[None])[0].numpy()

    res = {}
    for sp in a.split or ["val", "test"]:
        items = evalset.build(sp, a.n)
        for key in ("wav", "wav_opus"):
            r = evalset.score(items, run, key)
            res[sp + ("" if key == "wav" else "+opus")] = r
            for k in sorted(r):
                v = r[k]
                print("%-5s %-5s %-14s n=%3d exact %.3f per-digit %.3f own-lang %.3f  conf %s" % (
                    sp, "opus" if key != "wav" else "clean", k, v["n"], v["exact"], v["per_digit"], v["own_lang"],
                    " ".join("%s:%d" % c for c in v["top_conf"])), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
