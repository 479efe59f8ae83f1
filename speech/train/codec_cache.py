#!/usr/bin/env python3
"""Background producer of codec round-trip training examples (what browsers send): augmented
strings through ffmpeg libopus/webm 16-48 kbit/s or AAC/mp4 32-96 kbit/s, decoded back to
16 kHz, then the serve-side normalisation. Shards of 100 go to CACHE/codec/ for train.py."""
import argparse, os, pickle, subprocess, sys, time
import numpy as np
from common import SR, CACHE, decode_ffmpeg, serve_norm
import data
from augment import Sampler


def codec(x, rng):
    pcm = (np.clip(x, -1, 32767 / 32768) * 32768).astype("<i2").tobytes()
    if rng.random() < 0.65:
        args = ["-c:a", "libopus", "-b:a", "%dk" % rng.choice([16, 24, 32, 48]), "-f", "webm"]
        ar = str(rng.choice([16000, 48000]))
    else:
        args = ["-c:a", "aac", "-b:a", "%dk" % rng.choice([32, 48, 64, 96]), "-f", "adts"]
        ar = str(rng.choice([16000, 48000, 44100]))
    enc = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(SR),
                          "-ac", "1", "-i", "pipe:0", "-ar", ar, *args, "pipe:1"], input=pcm,
                         stdout=subprocess.PIPE, check=True).stdout
    y = decode_ffmpeg(enc)
    return y


def lag(a, b, maxlag=8000):
    """shift d >= 0 such that b[d:] ~ a (codec priming delay), by cross-correlation of the first 10 s."""
    from scipy.signal import fftconvolve
    n = min(len(a), len(b), 10 * SR)
    c = fftconvolve(b[: n + maxlag], a[:n][::-1])[n - 1: n - 1 + maxlag]
    return int(np.argmax(c))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shards", type=int, default=40)
    ap.add_argument("--per", type=int, default=100)
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument("--synth", default="60,120,600,900,500,500")
    a = ap.parse_args()
    out = os.path.join(CACHE, "codec")
    os.makedirs(out, exist_ok=True)
    real = data.load_real()
    ne, nz, ce, cz, fe, fz = map(int, a.synth.split(","))
    rng = np.random.default_rng(a.seed)
    s = Sampler(real["train"], data.synth_speakers(ne, nz, 1), data.synth_connected(ce, cz, 2), data.synth_filler(fe, fz, 3), rng)
    sep = int(0.4 * SR)
    for k in range(a.shards):
        p = os.path.join(out, "shard-%d-%03d.pkl" % (a.seed, k))
        t = time.time()
        exs = []
        while len(exs) < a.per:
            x, l, _ = s.clean()
            if len(x) <= 12 * SR:
                exs.append((s.augment(x), l))
        if os.path.exists(p):
            continue
        # one encode/decode per shard: the examples back to back with silence between, split after
        parts, offs, pos = [], [], sep
        parts.append(np.zeros(sep, np.float32))
        for x, _ in exs:
            parts += [x, np.zeros(sep, np.float32)]
            offs.append((pos, pos + len(x)))
            pos += len(x) + sep
        whole = np.concatenate(parts)
        y = codec(whole, rng)
        d = lag(whole, y)
        y = np.concatenate([y[d:], np.zeros(max(0, len(whole) - len(y) + d), np.float32)])
        res = [(serve_norm(y[a0:b0]), l) for (a0, b0), (_, l) in zip(offs, exs)]
        with open(p + ".tmp", "wb") as f:
            pickle.dump(res, f)
        os.rename(p + ".tmp", p)
        print("shard", k, "lag", d, "%.0fs" % (time.time() - t), flush=True)


if __name__ == "__main__":
    main()
