"""Training examples: connected digit strings built from isolated clips of one speaker, espeak
strings, non-digit speech (<filler>), humming, noise/music (empty label), then the augmentation
toward what the server receives. Everything numpy, driven by one np.random.Generator."""
import collections
import numpy as np
from scipy.signal import fftconvolve, lfilter
from common import SR, BLANK, FILLER, label, resample, serve_norm


def rms(x):
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def speed(x, f):
    """Resample by factor f (>1 faster and higher: tempo and vocal-tract/pitch change together)."""
    if abs(f - 1.0) < 1e-3 or len(x) < 4:
        return x
    n = max(2, int(round(len(x) / f)))
    return np.interp(np.linspace(0, len(x) - 1, n), np.arange(len(x)), x).astype(np.float32)


def tempo(x, f):
    """Change duration by 1/f keeping pitch and formants (sox WSOLA via torchaudio); with
    speed() before it, vocal tract/pitch and speaking rate vary independently."""
    if abs(f - 1.0) < 1e-3 or len(x) < SR // 10:
        return x
    import torch
    import torchaudio.sox_effects as se
    y, _ = se.apply_effects_tensor(torch.from_numpy(np.ascontiguousarray(x, np.float32))[None], SR, [["tempo", "-s", "%.3f" % f]])
    return y[0].numpy().astype(np.float32)


def mic_eq(rng, x):
    """A random microphone/room colouring: 1-3 peaking biquads (±9 dB, 150-6000 Hz, Q 0.7-3)
    and a tilt (first-order shelf), as phones, headsets and laptops differ."""
    for _ in range(int(rng.integers(1, 4))):
        f0 = float(np.exp(rng.uniform(np.log(150), np.log(6000))))
        g = rng.uniform(-9, 9)
        q = rng.uniform(0.7, 3.0)
        A = 10 ** (g / 40)
        w = 2 * np.pi * f0 / SR
        al = np.sin(w) / (2 * q)
        b = [1 + al * A, -2 * np.cos(w), 1 - al * A]
        a = [1 + al / A, -2 * np.cos(w), 1 - al / A]
        x = lfilter(np.array(b) / a[0], np.array(a) / a[0], x)
    k = rng.uniform(-0.6, 0.6)                      # tilt: >0 brighter, <0 duller
    x = lfilter([1, -k], [1], x) if k > 0 else lfilter([1 + k], [1, k], x)
    return x.astype(np.float32)


def colored_noise(rng, n, kind):
    w = rng.standard_normal(n).astype(np.float32)
    if kind == "white":
        return w
    if kind == "pink":
        b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
        a = [1, -2.494956002, 2.017265875, -0.522189400]
        return lfilter(b, a, w).astype(np.float32)
    if kind == "brown":
        y = lfilter([1.0], [1.0, -0.995], w)
        return (y - y.mean()).astype(np.float32)
    raise ValueError(kind)


def hum_noise(rng, n):
    f0 = rng.choice([50.0, 60.0]) * rng.uniform(0.98, 1.02)
    t = np.arange(n) / SR
    y = sum(rng.uniform(0.1, 1.0) / k * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.28)) for k in range(1, 8))
    return y.astype(np.float32)


def music(rng, n):
    """Music-like: notes of harmonic tones with envelopes, sometimes a beat."""
    y = np.zeros(n, np.float32)
    pos = 0
    while pos < n:
        d = int(rng.uniform(0.12, 0.6) * SR)
        t = np.arange(d) / SR
        env = np.exp(-t * rng.uniform(2, 10))
        for _ in range(rng.integers(1, 4)):
            f = 110 * 2 ** (rng.integers(0, 36) / 12)
            y_note = sum(np.sin(2 * np.pi * f * k * t) / k ** rng.uniform(1, 2) for k in range(1, 6))
            seg = (env * y_note).astype(np.float32)
            y[pos:pos + d] += seg[: max(0, min(d, n - pos))]
        if rng.random() < 0.4:
            k = min(int(0.03 * SR), n - pos)
            y[pos:pos + k] += rng.standard_normal(k).astype(np.float32) * np.exp(-np.arange(k) / 200.0) * 2
        pos += d
    return y


def humming(rng, dur):
    """Voice-like humming: harmonic source with a slowly moving f0 and a formant-ish spectral tilt."""
    n = int(dur * SR)
    t = np.arange(n) / SR
    f0 = rng.uniform(90, 280) * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(0.3, 2) * t + rng.uniform(0, 6)))
    ph = 2 * np.pi * np.cumsum(f0) / SR
    y = sum(np.sin(k * ph) / k ** 1.2 for k in range(1, 12))
    env = np.minimum(1, np.minimum(t, t[-1] - t) / 0.08)
    return (y * env).astype(np.float32)


def synth_rir(rng):
    rt60 = rng.uniform(0.15, 0.8)
    n = int(rt60 * SR)
    t = np.arange(n) / SR
    h = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    h[: int(0.002 * SR)] *= 0.2
    h[0] = rng.uniform(2.0, 6.0) * np.abs(h).max()
    return (h / np.sqrt(np.sum(h ** 2))).astype(np.float32)


class Sampler:
    def __init__(self, real, synth_spk, conn, fill, rng, p_synth=0.3, p_en=0.5, p_tel=0.15, p_tempo=0.0, p_eq=0.0,
                 p_floor=0.0, snr_hi=30.0, p_floor_late=0.0, p_synth_en=None, loose=None, p_loose=0.0):
        self.rng = rng
        # English strings from synthetic voices (default p_synth): lower = more weight on real speakers
        self.p_synth_en = p_synth if p_synth_en is None else p_synth_en
        # share of real speakers' strings built from loosely trimmed takes (data.trim_go, as the Go
        # evaluation builds them); loose: {ds/file: wav}
        self.p_loose = p_loose if loose else 0.0
        self.loose = {}
        self.en_digit_p = None  # English digit draw weights (set_en_digit_weights), None = uniform
        self._floor = None
        # share of the noise floors added after the 8 kHz band (a full-band hiss of the recording
        # chain over narrow-band speech, e.g. a Bluetooth headset's 8 kHz voice in a 48 kHz capture)
        self.p_floor_late = p_floor_late
        self.p_floor = p_floor  # a faint noise floor (30-75 dB under the speech) in the pauses, or everywhere
        self.snr_hi = snr_hi    # additive noise SNR drawn from 5..snr_hi dB
        self.p_tempo = p_tempo  # independent speaking-rate change of a real speaker's string (after speed())
        self.p_eq = p_eq        # random microphone colouring (mic_eq)
        self.p_synth = p_synth
        self.p_en = p_en      # share of English examples
        self.p_tel = p_tel    # 8 kHz telephone band: also on 16 kHz sources, so bandwidth is no language cue
        self.spk = {"en": {"real": collections.defaultdict(lambda: collections.defaultdict(list)),
                           "synth": collections.defaultdict(lambda: collections.defaultdict(list))},
                    "zh": {"real": collections.defaultdict(lambda: collections.defaultdict(list)),
                           "synth": collections.defaultdict(lambda: collections.defaultdict(list))}}
        self.by_ds_digit = collections.defaultdict(list)
        for c in real:
            self.spk[c["lang"]]["real"][c["spk"]][c["digit"]].append(c["wav"])
            if self.p_loose > 0 and c["ds"] + "/" + c["file"] in loose:
                self.loose[id(c["wav"])] = loose[c["ds"] + "/" + c["file"]]
            self.by_ds_digit[c["lang"], c["digit"]].append(c["wav"])
        for c in synth_spk:
            self.spk[c["lang"]]["synth"][c["spk"]][c["digit"]].append(c["wav"])
        for lang in self.spk:
            for k in self.spk[lang]:
                self.spk[lang][k] = {s: dict(v) for s, v in self.spk[lang][k].items()}
        self.spk_names = {(l, k): sorted(v) for l in self.spk for k, v in self.spk[l].items()}
        self.conn = conn
        self.fill = fill

    def set_en_digit_weights(self, spec):
        """spec "3:2,6:2,...": draw these English digits that many times more often (the VAL
        confusions' digits); "" = uniform (and the v7 example stream)."""
        if not spec:
            self.en_digit_p = None
            return
        w = np.ones(10)
        for kv in spec.split(","):
            k, v = kv.split(":")
            w[int(k)] = float(v)
        self.en_digit_p = w / w.sum()

    # --- pieces ---------------------------------------------------------------------------
    def digit_clips(self, lang, n, src=None):
        rng = self.rng
        src = src or ("synth" if rng.random() < (self.p_synth_en if lang == "en" else self.p_synth) else "real")
        names = self.spk_names[lang, src]
        if not names:
            src = "real" if src == "synth" else "synth"
            names = self.spk_names[lang, src]
        s = names[rng.integers(len(names))]
        table = self.spk[lang][src][s]
        have = sorted(table)
        out = []
        for _ in range(n):
            d = int(rng.integers(10)) if lang != "en" or self.en_digit_p is None else int(rng.choice(10, p=self.en_digit_p))
            if d in table:
                w = table[d][rng.integers(len(table[d]))]
            elif src == "real" and rng.random() < 0.5:
                pool = self.by_ds_digit[lang, d]
                w = pool[rng.integers(len(pool))]
            else:
                d = have[rng.integers(len(have))]
                w = table[d][rng.integers(len(table[d]))]
            out.append((w, [label(lang, d)]))
        if src == "real" and self.p_loose > 0 and rng.random() < self.p_loose:
            out = [(self.loose.get(id(w), w), l) for w, l in out]
        f = rng.uniform(0.82, 1.22) if src == "real" else rng.uniform(0.9, 1.1)
        out = [(speed(w, f), l) for w, l in out]
        if src == "real" and self.p_tempo > 0 and rng.random() < self.p_tempo:
            g = rng.uniform(0.8, 1.25)
            out = [(tempo(w, g), l) for w, l in out]
        return out

    def filler_clip(self):
        lang, n, w = self.fill[self.rng.integers(len(self.fill))]
        return w, [FILLER] * n

    def conn_clip(self):
        lang, labs, w = self.conn[self.rng.integers(len(self.conn))]
        return w, list(labs)

    def join(self, pieces, gap=(0.05, 0.5), lead=(0.05, 0.8)):
        """pieces [(wav, labels)] -> (wav, labels, segments [(start, end, class or -1)]).
        A piece with one label gives a frame-level target for the auxiliary CE loss; a piece with
        several labels (espeak strings, sentences) is -1 (ignored by CE, CTC only)."""
        rng = self.rng
        parts, labs, segs = [np.zeros(int(rng.uniform(*lead) * SR), np.float32)], [], []
        pos = len(parts[0])
        for i, (w, l) in enumerate(pieces):
            if i:
                parts.append(np.zeros(int(rng.uniform(*gap) * SR), np.float32))
                pos += len(parts[-1])
            parts.append(w * rng.uniform(0.6, 1.4))
            segs.append((pos, pos + len(w), l[0] if len(l) == 1 else -1))
            pos += len(w)
            labs += l
        parts.append(np.zeros(int(rng.uniform(*lead) * SR), np.float32))
        x = np.concatenate(parts)
        self._floor = None
        if self.p_floor > 0 and rng.random() < self.p_floor:
            if self.p_floor_late > 0 and rng.random() < self.p_floor_late:
                self._floor = segs     # added in augment(), after the telephone band
            else:
                x = self.floor(x, segs)
        return x, labs, segs

    def floor(self, x, segs):
        """A faint noise floor, 30-75 dB under the speech: in the pauses only (half the time: the
        hard junctions of a recording whose own background is quieter or louder than the room's,
        as strings cut from isolated takes have) or under everything. Without it the only quiet
        pauses the model saw were digital zeros, and a -60 dBFS hiss between words was heard as
        the /s/ of "six" or the /t/ of "eight"."""
        rng = self.rng
        speech = np.zeros(len(x), bool)
        for a, b, _ in segs:
            speech[a:b] = True
        s = rms(x[speech]) if speech.any() else rms(x)
        z = colored_noise(rng, len(x), rng.choice(["white", "white", "pink", "brown"]))
        zr = rms(z)
        if s <= 0 or zr <= 0:
            return x
        z = z * (s / zr) * 10 ** (-rng.uniform(30, 75) / 20)
        if rng.random() < 0.5:
            z[speech] = 0
        return (x + z).astype(np.float32)

    def n_digits(self):
        return int(self.rng.choice([1, 2, 3, 4, 5, 6], p=[0.04, 0.06, 0.15, 0.5, 0.15, 0.1]))

    # --- one example ------------------------------------------------------------------------
    def clean(self):
        rng = self.rng
        self._floor = None
        r = rng.random()
        lang = "zh" if rng.random() < 1.0 - self.p_en else "en"
        if r < 0.55:
            return self.join(self.digit_clips(lang, self.n_digits()))
        if r < 0.62:
            pieces = []
            for _ in range(self.n_digits()):
                pieces += self.digit_clips("zh" if rng.random() < 0.5 else "en", 1)
            return self.join(pieces)
        if r < 0.76:
            w, l = self.conn_clip()
            return self.join([(w, l)])
        if r < 0.86:
            pieces = [self.filler_clip()]
            if rng.random() < 0.5:
                d = self.digit_clips(lang, self.n_digits())
                pieces = pieces + d if rng.random() < 0.6 else d + pieces
            return self.join(pieces, gap=(0.1, 0.8))
        if r < 0.90:
            pieces = [(humming(rng, rng.uniform(0.4, 2.5)), [FILLER])]
            if rng.random() < 0.3:
                pieces += self.digit_clips(lang, self.n_digits())
            return self.join(pieces)
        if r < 0.95:
            n = int(rng.uniform(1.0, 8.0) * SR)
            k = rng.random()
            if k < 0.3:
                x = np.zeros(n, np.float32)
            elif k < 0.7:
                x = colored_noise(rng, n, rng.choice(["white", "pink", "brown"])) * 0.05
            else:
                x = music(rng, n) * 0.1
            return x, [], []
        # babble-ish: two filler clips overlapped, labelled as filler words of the louder one
        a, la = self.filler_clip()
        b, _ = self.filler_clip()
        m = np.zeros(max(len(a), len(b)), np.float32)
        m[: len(a)] += a
        m[: len(b)] += b * 0.3
        return self.join([(m, la)])

    def augment(self, x):
        rng = self.rng
        if self.p_eq > 0 and rng.random() < self.p_eq:
            x = mic_eq(rng, x)
        if rng.random() < 0.3:
            x = fftconvolve(x, synth_rir(rng))[: len(x) + SR // 4].astype(np.float32)
        s = rms(x[np.abs(x) > 0.02 * (np.abs(x).max() + 1e-9)]) if len(x) else 0.0
        if rng.random() < 0.7 and len(x):
            k = rng.random()
            n = len(x)
            if k < 0.5:
                z = colored_noise(rng, n, rng.choice(["white", "pink", "brown"]))
            elif k < 0.65:
                z = hum_noise(rng, n)
            elif k < 0.8:
                z = music(rng, n)
            else:
                w, _ = self.filler_clip()
                z = np.resize(w, n) * 1.0
            snr = rng.uniform(5, self.snr_hi)
            zr = rms(z)
            if zr > 0 and s > 0:
                x = x + z * (s / zr) * 10 ** (-snr / 20)
        if rng.random() < self.p_tel:
            x = resample(resample(x, SR, 8000), 8000, SR)
            if rng.random() < 0.5:
                x = lfilter([1, -1], [1, -0.9], x).astype(np.float32)
        if self._floor is not None:
            x = self.floor(x, self._floor)
            self._floor = None
        g = 10 ** (rng.uniform(-30, 12) / 20) * (0.1 / (np.abs(x).max() + 1e-6))
        x = x * g
        if rng.random() < 0.05:
            x = x + rng.choice([-1, 1]) * rng.uniform(0.02, 0.2)
        if rng.random() < 0.06:
            x = x * rng.uniform(2, 10)
        x = np.clip(x, -1, 32767 / 32768)
        x = np.round(x * 32768) / 32768
        return x.astype(np.float32)

    def example(self, max_s=12.0):
        x, l, segs = self.clean()
        while len(x) > max_s * SR:
            x, l, segs = self.clean()
        x = self.augment(x)
        return serve_norm(x), l, segs
