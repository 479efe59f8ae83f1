"""Fixed evaluation strings from held-out speakers' real recordings (same speaker per string)."""
import collections, os, pickle, subprocess
import numpy as np
from common import SR, CACHE, LABELS, serve_norm, decode_ffmpeg
import data


def opus_roundtrip(x, kbps=32):
    pcm = (np.clip(x, -1, 32767 / 32768) * 32768).astype("<i2").tobytes()
    enc = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(SR),
                          "-ac", "1", "-i", "pipe:0", "-c:a", "libopus", "-b:a", "%dk" % kbps, "-f", "webm", "pipe:1"],
                         input=pcm, stdout=subprocess.PIPE, check=True).stdout
    return decode_ffmpeg(enc)


def build(split, n_per_lang=200, seed=7, ndig=4):
    p = os.path.join(CACHE, "eval-%s-%d-%d-%d.pkl" % (split, n_per_lang, seed, ndig))
    if os.path.exists(p):
        with open(p, "rb") as f:
            return pickle.load(f)
    real = data.load_real()[split]
    rng = np.random.default_rng(seed)
    by = collections.defaultdict(list)
    for c in real:
        by[c["lang"], c["ds"], c["spk"]].append(c)
    out = []
    for lang in ("en", "zh"):
        keys = sorted(k for k in by if k[0] == lang and len(by[k]) >= 2)
        # weight datasets equally inside a language (fsdd vs en-digits), speakers equally inside a dataset
        dss = sorted(set(k[1] for k in keys))
        for i in range(n_per_lang):
            ds = dss[i % len(dss)]
            ks = [k for k in keys if k[1] == ds]
            k = ks[rng.integers(len(ks))]
            clips = by[k]
            # prefer distinct digits when the speaker has them
            idx = rng.permutation(len(clips))[:ndig] if len(clips) >= ndig else rng.integers(0, len(clips), ndig)
            parts = [np.zeros(int(rng.uniform(0.3, 1.0) * SR), np.float32)]
            digs = []
            for j, ci in enumerate(idx):
                if j:
                    parts.append(np.zeros(int(rng.uniform(0.1, 0.5) * SR), np.float32))
                parts.append(clips[ci]["wav"])
                digs.append(clips[ci]["digit"])
            parts.append(np.zeros(int(rng.uniform(0.3, 1.0) * SR), np.float32))
            x = np.concatenate(parts)
            x = x + rng.standard_normal(len(x)).astype(np.float32) * 1e-4  # faint floor, not digital zero
            out.append(dict(lang=lang, ds=ds, spk=k[2], digits="".join(map(str, digs)), wav=x))
    # Opus 32 kbit/s round trip, one ffmpeg pair for the whole set (items back to back, split after)
    from codec_cache import lag
    sep = int(0.4 * SR)
    parts, offs, pos = [np.zeros(sep, np.float32)], [], sep
    for it in out:
        parts += [it["wav"], np.zeros(sep, np.float32)]
        offs.append((pos, pos + len(it["wav"])))
        pos += len(it["wav"]) + sep
    whole = np.concatenate(parts)
    y = opus_roundtrip(whole)
    d = lag(whole, y)
    y = np.concatenate([y[d:], np.zeros(max(0, len(whole) - len(y) + d), np.float32)])
    for it, (a0, b0) in zip(out, offs):
        it["wav_opus"] = y[a0:b0].copy()
    with open(p, "wb") as f:
        pickle.dump(out, f)
    return out


def greedy(lp):
    """lp [T, 22] numpy -> list of class ids (CTC greedy: argmax, merge repeats, drop blank)."""
    a = lp.argmax(1)
    out, prev = [], -1
    for c in a:
        if c != prev and c != 0:
            out.append(int(c))
        prev = c
    return out


def to_digits(ids, lang=None):
    s = []
    for c in ids:
        if 1 <= c <= 10 and lang in (None, "en"):
            s.append(str(c - 1))
        elif 11 <= c <= 20 and lang in (None, "zh"):
            s.append(str(c - 11))
    return "".join(s)


def edit_align(ref, hyp):
    """number of reference positions matched in a Levenshtein alignment."""
    n, m = len(ref), len(hyp)
    D = np.zeros((n + 1, m + 1), int)
    D[:, 0] = np.arange(n + 1)
    D[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i, j] = min(D[i - 1, j] + 1, D[i, j - 1] + 1, D[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]))
    i, j, ok, pairs = n, m, 0, []
    while i > 0 and j > 0:
        if D[i, j] == D[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            pairs.append((ref[i - 1], hyp[j - 1]))
            ok += ref[i - 1] == hyp[j - 1]
            i, j = i - 1, j - 1
        elif D[i, j] == D[i - 1, j] + 1:
            pairs.append((ref[i - 1], "-"))
            i -= 1
        else:
            j -= 1
    while i > 0:
        pairs.append((ref[i - 1], "-"))
        i -= 1
    return ok, pairs


def score(items, run, key="wav"):
    """run(wav) -> logprobs [T,22]. Returns {lang: dict(exact, per_digit, n, conf)} and {ds: exact}."""
    res = collections.defaultdict(lambda: dict(n=0, exact=0, ok=0, tot=0, conf=collections.Counter(), lang_ok=0))
    for it in items:
        lp = run(serve_norm(it[key]))
        ids = greedy(lp)
        hyp = to_digits(ids)
        for k in (it["lang"], it["lang"] + ":" + it["ds"]):
            r = res[k]
            r["n"] += 1
            r["exact"] += hyp == it["digits"]
            ok, pairs = edit_align(it["digits"], hyp)
            r["ok"] += ok
            r["tot"] += len(it["digits"])
            for a, b in pairs:
                if a != b:
                    r["conf"][a + ">" + b] += 1
            r["lang_ok"] += to_digits(ids, it["lang"]) == hyp
    out = {}
    for k, r in res.items():
        out[k] = dict(n=r["n"], exact=r["exact"] / r["n"], per_digit=r["ok"] / r["tot"],
                      own_lang=r["lang_ok"] / r["n"], top_conf=r["conf"].most_common(6))
    return out
