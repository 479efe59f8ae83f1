"""Real recordings (by the speaker split) and espeak-ng synthetic voices, cached in CACHE."""
import csv, functools, os, pickle, random, subprocess, io, wave, hashlib
from concurrent.futures import ThreadPoolExecutor
import numpy as np
from common import SR, DATA, CACHE, HERE, read_wav, trim, resample, label

EN_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
ZH_PINYIN = ["ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"]
EN_VOICES = ["en", "en-us", "en-gb-x-rp", "en-029", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc"]
ZH_VOICES = ["cmn-latn-pinyin"]
VARIANTS = ["", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
            "adam", "Alex", "Alicia", "Andrea", "Andy", "Annie", "aunty", "belinda", "benjamin",
            "boris", "caleb", "david", "ed", "edward", "Gene", "iven", "john", "linda", "max",
            "Michael", "Mike", "paul", "quincy", "rob", "robert", "steph", "travis", "victor",
            "zac", "grandpa", "grandma", "klatt", "klatt2", "klatt3", "norbert", "shelby", "sandro"]


def cached(name):
    """Cache a builder's result in CACHE/name (name %-formatted with the builder's first
    positional arguments, as many as it has %d fields)."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kw):
            p = os.path.join(CACHE, name % args[: name.count("%d")] if "%d" in name else name)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    return pickle.load(f)
            out = fn(*args, **kw)
            os.makedirs(CACHE, exist_ok=True)
            with open(p, "wb") as f:
                pickle.dump(out, f)
            return out
        return wrapper
    return deco


def split_map():
    m = {}
    with open(os.path.join(HERE, "split.csv"), newline="") as f:
        for r in csv.DictReader(f):
            m[r["dataset"], r["speaker"]] = r["split"]
    return m


@cached("real-v1.pkl")
def load_real():
    """{split: [ {lang, ds, spk, digit, wav} ]}; wav trimmed, 16 kHz float32."""
    sm = split_map()
    out = {"train": [], "val": [], "test": []}
    for ds, lang in (("fsdd", "en"), ("en-digits", "en"), ("zh-digits", "zh")):
        with open(os.path.join(DATA, ds, "labels.csv"), newline="") as f:
            for r in csv.DictReader(f):
                sp = sm[ds, r["speaker"]]
                x = read_wav(os.path.join(DATA, ds, r["file"]))
                x = trim(x)
                out[sp].append(dict(lang=lang, ds=ds, spk=ds + "/" + r["speaker"], digit=int(r["digit"]), wav=x, file=r["file"]))
    return out


def trim_go(x):
    """speech.TrimIsolated of the Go side (what digiteval builds its strings from): 10 ms frames,
    keep from the first to the last frame over max(10th-percentile frame + 6 dB, peak - 40 dB),
    plus 50 ms. Looser than trim(): more of the take's own background, breath and lip noise
    stays at the word's edges, then a hard junction to whatever the pause holds."""
    fr = 160
    v = np.clip(np.round(x * 32768), -32768, 32767)
    nf = len(v) // fr
    if nf < 5:
        return x.astype(np.float32)
    db = 10 * np.log10(np.mean(v[: nf * fr].reshape(nf, fr) ** 2, axis=1) + 1)
    s = np.sort(db)
    th = max(s[nf // 10] + 6, s[-1] - 40)
    idx = np.nonzero(db > th)[0]
    if len(idx) == 0:
        return x.astype(np.float32)
    return x[max(0, idx[0] - 5) * fr: min(nf, idx[-1] + 6) * fr].astype(np.float32)


@cached("real-loose-v1.pkl")
def load_real_loose():
    """{file: wav} of the train split's real clips, trimmed as the Go side trims them (trim_go)."""
    sm = split_map()
    out = {}
    for ds in ("fsdd", "en-digits", "zh-digits"):
        with open(os.path.join(DATA, ds, "labels.csv"), newline="") as f:
            for r in csv.DictReader(f):
                if sm[ds, r["speaker"]] == "train":
                    out[ds + "/" + r["file"]] = trim_go(read_wav(os.path.join(DATA, ds, r["file"])))
    return out


def espeak(text, voice, variant, speed, pitch, gap=None):
    v = voice + ("+" + variant if variant else "")
    cmd = ["espeak-ng", "-v", v, "-s", str(speed), "-p", str(pitch), "--stdout"]
    if gap is not None:
        cmd += ["-g", str(gap)]
    out = subprocess.run(cmd + [text], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    with wave.open(io.BytesIO(out)) as w:
        sr = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return resample(x, sr, SR)


def _pool_map(fn, jobs, workers=6):
    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(fn, jobs))


@cached("synth-spk-%d-%d-%d.pkl")
def synth_speakers(n_en, n_zh, seed):
    """Synthetic 'speakers' (voice+variant+speed+pitch fixed): every digit isolated, trimmed.
    en also says 'oh' (label en0); zh also says 'yao1' (label zh1)."""
    rng = random.Random(seed)
    spks = []
    for i in range(n_en + n_zh):
        lang = "en" if i < n_en else "zh"
        voice = rng.choice(EN_VOICES if lang == "en" else ZH_VOICES)
        spks.append(dict(lang=lang, voice=voice, variant=rng.choice(VARIANTS), speed=rng.randint(110, 200),
                         pitch=rng.randint(20, 85), spk="synth/%s%03d" % (lang, i)))
    jobs = []
    for s in spks:
        words = [(d, w) for d, w in enumerate(EN_WORDS if s["lang"] == "en" else ZH_PINYIN)]
        words.append((0, "oh") if s["lang"] == "en" else (1, "yao1"))
        for d, w in words:
            jobs.append((s, d, w))
    wavs = _pool_map(lambda j: trim(espeak(j[2], j[0]["voice"], j[0]["variant"], j[0]["speed"], j[0]["pitch"]), pad=0.03), jobs)
    out = []
    for (s, d, w), x in zip(jobs, wavs):
        out.append(dict(lang=s["lang"], ds="espeak", spk=s["spk"], digit=d, wav=x))
    return out


EN_FILLER = ("the quick brown fox jumps over a lazy dog while people talk about weather music coffee "
             "hello please look at the camera and smile my name is john I live in a big city near river "
             "we went home after lunch yesterday good morning thank you very much what is your address "
             "open the door read the text aloud slowly can you hear me now okay yes sure maybe later "
             "tomorrow evening friends family school work office window table chair phone number card "
             "verify identity face screen light bright dark green blue red yellow apple banana water "
             "sorry again wait let me try hmm well actually I think so this is a test of the system").split()
ZH_FILLER = ("ni3 hao3 wo3 shi4 zhong1 guo2 ren2 qing3 kan4 zhe4 li3 jin1 tian1 tian1 qi4 hen3 hao3 "
             "xie4 xie4 ni3 zai4 jian4 wo3 men dou1 xi3 huan1 chi1 fan4 he1 cha2 ming2 tian1 jian4 "
             "zhe4 ge4 shu4 zi4 shi4 shen2 me nian4 chu1 lai2 dui4 bu4 qi3 mei2 guan1 xi shen1 fen4 "
             "zheng4 yan4 zheng4 lian3 bu4 xiang4 ji1 shou3 ji1 hao4 ma3 dian4 hua4 di4 zhi3 gong1 "
             "zuo4 xue2 xiao4 lao3 shi1 peng2 you3 jia1 ren2 kai1 xin1 zhun3 bei4 hao3 le ma ba ne "
             "en4 na4 ge4 deng3 yi2 xia4 hao3 de ke3 yi3 shuo1 hua4 da4 sheng1 yi1 dian3").split()
# digit syllables removed from the Mandarin filler (yi1/yi2 as in 一下 would be ambiguous): keep only non-digit words
ZH_FILLER = [w for w in ZH_FILLER if w not in ("yi1", "yi2", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3", "er4", "ling2", "yao1", "shi2")]


@cached("synth-conn-%d-%d-%d.pkl")
def synth_connected(n_en, n_zh, seed, max_len=6):
    """espeak connected digit strings (3-6 digits) with a random voice: (lang, labels, wav)."""
    rng = random.Random(seed)
    jobs = []
    for i in range(n_en + n_zh):
        lang = "en" if i < n_en else "zh"
        n = rng.randint(3, max_len)
        ds = [rng.randrange(10) for _ in range(n)]
        if lang == "en":
            words = [("oh" if d == 0 and rng.random() < 0.3 else EN_WORDS[d]) for d in ds]
            voice = rng.choice(EN_VOICES)
        else:
            words = [("yao1" if d == 1 and rng.random() < 0.3 else ZH_PINYIN[d]) for d in ds]
            voice = "cmn-latn-pinyin"
        sep = rng.choice([" ", " ", ", "])
        jobs.append((lang, [label(lang, d) for d in ds], sep.join(words), voice, rng.choice(VARIANTS),
                     rng.randint(110, 200), rng.randint(20, 85), rng.choice([None, None, 2, 5, 10, 20])))
    wavs = _pool_map(lambda j: trim(espeak(j[2], j[3], j[4], j[5], j[6], j[7]), pad=0.03), jobs)
    out = [(j[0], j[1], x) for j, x in zip(jobs, wavs)]
    return out


@cached("synth-fill-%d-%d-%d.pkl")
def synth_filler(n_en, n_zh, seed):
    """Non-digit speech: 2-8 random words, label one <filler> per word."""
    rng = random.Random(seed)
    jobs = []
    for i in range(n_en + n_zh):
        lang = "en" if i < n_en else "zh"
        words = [rng.choice(EN_FILLER if lang == "en" else ZH_FILLER) for _ in range(rng.randint(1, 8))]
        voice = rng.choice(EN_VOICES) if lang == "en" else "cmn-latn-pinyin"
        jobs.append((lang, len(words), " ".join(words), voice, rng.choice(VARIANTS), rng.randint(110, 200), rng.randint(20, 85)))
    wavs = _pool_map(lambda j: trim(espeak(j[2], j[3], j[4], j[5], j[6]), pad=0.03), jobs)
    out = [(j[0], j[1], x) for j, x in zip(jobs, wavs)]
    return out
