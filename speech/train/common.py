"""Shared constants and audio helpers for the digit recogniser training recipe."""
import os, io, wave, subprocess, hashlib
import numpy as np

SR = 16000
LABELS = ["<blank>"] + ["en%d" % d for d in range(10)] + ["zh%d" % d for d in range(10)] + ["<filler>"]
BLANK, FILLER = 0, 21
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "../.."))
DATA = os.environ.get("SPEECH_DATA", os.path.abspath(os.path.join(REPO, "../../shared/datasets/speech")))
if not os.path.isdir(DATA):
    DATA = "/work/shared/datasets/speech"
CACHE = os.environ.get("SPEECH_CACHE", "/tmp/fv-speech-cache")
os.makedirs(CACHE, exist_ok=True)


def label(lang, digit):
    return 1 + digit if lang == "en" else 11 + digit


def decode_ffmpeg(path_or_bytes, extra_in=()):
    """Any audio -> float32 mono 16 kHz via ffmpeg (resampling with its default filter)."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *extra_in, "-i",
           "pipe:0" if isinstance(path_or_bytes, bytes) else path_or_bytes,
           "-ac", "1", "-ar", str(SR), "-f", "s16le", "pipe:1"]
    out = subprocess.run(cmd, input=path_or_bytes if isinstance(path_or_bytes, bytes) else None,
                         stdout=subprocess.PIPE, check=True).stdout
    return np.frombuffer(out, dtype="<i2").astype(np.float32) / 32768.0


def read_wav(path):
    """WAV -> float32 mono 16 kHz. PCM16 via the wave module + polyphase resampling, else ffmpeg."""
    try:
        with wave.open(path, "rb") as w:
            if w.getsampwidth() != 2:
                raise wave.Error("not 16-bit")
            sr, ch, n = w.getframerate(), w.getnchannels(), w.getnframes()
            x = np.frombuffer(w.readframes(n), dtype="<i2").astype(np.float32) / 32768.0
        if ch > 1:
            x = x.reshape(-1, ch).mean(1)
        return resample(x, sr, SR)
    except (wave.Error, EOFError):
        return decode_ffmpeg(path)


def resample(x, sr_in, sr_out):
    if sr_in == sr_out:
        return x.astype(np.float32)
    from scipy.signal import resample_poly
    from math import gcd
    g = gcd(int(sr_in), int(sr_out))
    return resample_poly(x, sr_out // g, sr_in // g).astype(np.float32)


def trim(x, pad=0.08, rel_db=30.0):
    """Energy trim: keep from the first to the last 10 ms frame within rel_db of the loudest
    frame and at least 8 dB above the clip's noise floor (10th percentile of the frames that are
    not digital silence), plus pad seconds."""
    hop = SR // 100
    n = len(x) // hop
    if n < 3:
        return x
    x = x - np.mean(x)
    e = 10 * np.log10(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-10)
    live = e[e > -85.0]  # ignore digital silence when estimating the noise floor
    floor = np.percentile(live, 10) if len(live) else -100.0
    thr = max(e.max() - rel_db, floor + 8.0)
    idx = np.nonzero(e >= thr)[0]
    if len(idx) == 0:
        return x
    a = max(0, idx[0] * hop - int(pad * SR))
    b = min(len(x), (idx[-1] + 1) * hop + int(pad * SR))
    return x[a:b].astype(np.float32)


def serve_norm(x):
    """What the Go runtime does before the model (notes/speechgo-to-train.md): DC high-pass
    y[n] = x[n] - x[n-1] + 0.995 y[n-1], then gain so the loudest 100 ms window has RMS 0.1,
    capped at +40 dB and at 0.99/peak."""
    from scipy.signal import lfilter
    y = lfilter([1.0, -1.0], [1.0, -0.995], x.astype(np.float64))
    w = SR // 10
    if len(y) >= w:
        c = np.concatenate([[0.0], np.cumsum(y * y)])
        rms = np.sqrt((c[w:] - c[:-w]).max() / w)
    else:
        rms = np.sqrt(np.mean(y * y)) if len(y) else 0.0
    g = 0.1 / rms if rms > 0 else 1.0
    g = min(g, 100.0)
    pk = np.abs(y).max() if len(y) else 0.0
    if pk > 0:
        g = min(g, 0.99 / pk)
    return (y * g).astype(np.float32)
