#!/usr/bin/env python3
"""Average the weights of checkpoints of one run (late, low-learning-rate steps): usually a
flatter, better-generalising point than any single checkpoint. BatchNorm running statistics
are averaged too (checkpoints of one run at a small learning rate differ little)."""
import argparse
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt", nargs="+")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    sds = [torch.load(c, map_location="cpu") for c in a.ckpt]
    avg = {}
    for k, v in sds[0].items():
        if v.is_floating_point():
            avg[k] = sum(sd[k] for sd in sds) / len(sds)
        else:
            avg[k] = max(sd[k] for sd in sds)
    torch.save(avg, a.out)
    print("averaged", len(sds), "checkpoints ->", a.out)


if __name__ == "__main__":
    main()
