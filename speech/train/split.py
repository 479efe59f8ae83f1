#!/usr/bin/env python3
"""Writes speech/train/split.csv: every speaker of the three real digit datasets -> train|val|test.

Rules (docs/speech.md "Split"):
- fsdd (6 speakers): lucas = val, theo = test, the other four train (leave one speaker out each).
- zh-digits: zchliu sessions are ~3 takes per person and consecutive sessions are taken to be the
  same person, so they are split in contiguous blocks of whole persons: p1-p21 train, p22-p24 val,
  p25-p30 test. veen-vr1 and veen-vr2 (one speaker each, one source) train; veen/self-p4 (the
  textbook repo owner, 10 clips) val. No source tag appears on two sides.
- en-digits: speakers sorted by clip count (desc) then id; position i%7 == 0 -> val, 1 -> test,
  else train. This stratifies by clip count so both val and test get multi-clip speakers.
"""
import csv, os, sys, collections

ROOT = os.environ.get("SPEECH_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/datasets/speech"))
if not os.path.isdir(ROOT):
    ROOT = "/work/shared/datasets/speech"


def speakers(ds):
    c = collections.Counter()
    with open(os.path.join(ROOT, ds, "labels.csv"), newline="") as f:
        for r in csv.DictReader(f):
            c[r["speaker"]] += 1
    return c


def split_fsdd(spk):
    return {s: ("val" if s == "lucas" else "test" if s == "theo" else "train") for s in spk}


def split_zh(spk):
    out = {}
    for s in spk:
        if s.startswith("zchliu/session-p"):
            n = int(s.rsplit("p", 1)[1])
            out[s] = "train" if n <= 21 else "val" if n <= 24 else "test"
        elif s == "veen/self-p4":
            out[s] = "val"
        elif s.startswith("veen-vr"):
            out[s] = "train"
        else:
            raise SystemExit("unknown zh speaker tag %r: extend split.py" % s)
    return out


def split_en(spk):
    order = sorted(spk, key=lambda s: (-spk[s], s))
    return {s: ("val" if i % 7 == 0 else "test" if i % 7 == 1 else "train") for i, s in enumerate(order)}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "split.csv")
    rows = []
    for ds, fn in (("fsdd", split_fsdd), ("en-digits", split_en), ("zh-digits", split_zh)):
        spk = speakers(ds)
        m = fn(spk)
        for s in sorted(m):
            rows.append((ds, s, m[s]))
        cnt = collections.Counter()
        for s, v in m.items():
            cnt[v, "speakers"] += 1
            cnt[v, "clips"] += spk[s]
        print(ds, {k: cnt[k, "speakers"] for k in ("train", "val", "test")}, "clips", {k: cnt[k, "clips"] for k in ("train", "val", "test")}, file=sys.stderr)
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["dataset", "speaker", "split"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
