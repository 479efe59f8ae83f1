"""The digit recogniser: fixed STFT/mel front end inside the graph + small separable-conv CTC net."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

N_FFT, WIN, HOP, N_MELS = 400, 400, 160, 64
N_CLASSES = 22
STRIDE, STEM_K = 3, 7
FRAME_SHIFT_MS = 30.0   # HOP*STRIDE / 16 kHz
FRAME_OFFSET_MS = 0.0   # the input is padded by WIN/2 each side: frame t is centred at 30 t ms


def mel_fbank(n_freqs, n_mels, sr=16000, fmin=20.0, fmax=7600.0):
    def hz2mel(f):
        return 2595.0 * math.log10(1.0 + f / 700.0)
    m = torch.linspace(hz2mel(fmin), hz2mel(fmax), n_mels + 2)
    hz = 700.0 * (10 ** (m / 2595.0) - 1.0)
    freqs = torch.linspace(0, sr / 2, n_freqs)
    fb = torch.zeros(n_freqs, n_mels)
    for i in range(n_mels):
        lo, c, hi = hz[i], hz[i + 1], hz[i + 2]
        up = (freqs - lo) / (c - lo)
        down = (hi - freqs) / (hi - c)
        fb[:, i] = torch.clamp(torch.minimum(up, down), min=0.0)
    return fb


class FrontEnd(nn.Module):
    """audio [B, N] -> per-utterance mean-normalised log-mel [B, N_MELS, L] (10 ms hop)."""

    def __init__(self):
        super().__init__()
        n = torch.arange(WIN, dtype=torch.float64)
        win = 0.5 - 0.5 * torch.cos(2 * math.pi * n / WIN)  # periodic Hann
        k = torch.arange(N_FFT // 2 + 1, dtype=torch.float64)[:, None]
        ang = 2 * math.pi * k * n[None, :] / N_FFT
        kern = torch.cat([torch.cos(ang) * win, -torch.sin(ang) * win], 0).float()[:, None, :]
        self.register_buffer("kern", kern)                       # [2*201, 1, 400]
        self.register_buffer("fb", mel_fbank(N_FFT // 2 + 1, N_MELS).t().contiguous())  # [64, 201]

        self.register_buffer("win", win.float())
        self.use_fft = False   # training: torch.stft (same numbers, much faster); export: the conv

    def forward(self, audio, lengths=None):
        x = F.pad(audio[:, None, :], (WIN // 2, WIN // 2))
        nb = N_FFT // 2 + 1
        if self.use_fft:
            st = torch.stft(x[:, 0], N_FFT, hop_length=HOP, win_length=WIN, window=self.win, center=False,
                            return_complex=True)                  # [B, 201, L]
            p = st.real ** 2 + st.imag ** 2
        else:
            s = F.conv1d(x, self.kern, stride=HOP)                # [B, 402, L]
            p = s[:, :nb] ** 2 + s[:, nb:] ** 2
        mel = torch.matmul(self.fb, p)                            # [B, 64, L]
        lm = torch.log(mel + 1e-6)
        if lengths is None:
            mean = lm.mean(dim=2, keepdim=True)
        else:
            L = lm.shape[2]
            fl = (lengths // HOP + 1).clamp(max=L)
            mask = (torch.arange(L, device=lm.device)[None, :] < fl[:, None]).float()[:, None, :]
            mean = (lm * mask).sum(2, keepdim=True) / fl[:, None, None].float()
        return (lm - mean) * 0.25


class Block(nn.Module):
    """Residual full 1-D conv block (depthwise convs are slow to train on torch CPU)."""

    def __init__(self, c, k, d, drop):
        super().__init__()
        self.conv = nn.Conv1d(c, c, k, padding=d * (k - 1) // 2, dilation=d, bias=False)
        self.bn = nn.BatchNorm1d(c)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        return F.relu(x + self.drop(self.bn(self.conv(x))))


class DigitNet(nn.Module):
    def __init__(self, c=128, k=5, dil=(1, 2, 1, 2, 1), drop=0.1):
        super().__init__()
        self.fe = FrontEnd()
        self.stem = nn.Conv1d(N_MELS, c, STEM_K, stride=STRIDE, padding=STEM_K // 2, bias=False)
        self.bn = nn.BatchNorm1d(c)
        self.blocks = nn.Sequential(*[Block(c, k, d, drop) for d in dil])
        self.head = nn.Conv1d(c, N_CLASSES, 1)
        self.specaug = False

    @staticmethod
    def out_lengths(lengths):
        L = lengths // HOP + 1
        return (L - 1) // STRIDE + 1

    def forward(self, audio, lengths=None):
        x = self.fe(audio, lengths)
        if self.training and self.specaug:
            x = spec_augment(x)
        return self.body(x)

    def body(self, x):
        """log-mels [B, 64, L] -> log-probabilities [B, T, 22]."""
        x = F.relu(self.bn(self.stem(x)))
        x = self.blocks(x)
        x = self.head(x)                                          # [B, 22, T]
        return F.log_softmax(x, dim=1).transpose(1, 2)           # [B, T, 22]


class Ensemble(nn.Module):
    """Several DigitNets over one front end (theirs are fixed and identical): the mean of
    their frame posteriors, as log-probabilities (same output as one DigitNet)."""

    def __init__(self, nets):
        super().__init__()
        self.nets = nn.ModuleList(nets)
        self.fe = nets[0].fe

    def forward(self, audio, lengths=None):
        x = self.fe(audio, lengths)
        p = torch.stack([n.body(x).exp() for n in self.nets]).mean(0)
        return torch.log(p.clamp_min(1e-30))


def load(ckpts, channels=128, fft=False):
    """One checkpoint -> DigitNet; several -> their Ensemble (eval mode). fft: torch.stft front end
    (evaluation speed); else the fixed conv the export writes."""
    nets = []
    for c in ckpts:
        n = DigitNet(c=channels)
        n.load_state_dict(torch.load(c, map_location="cpu"))
        n.fe.use_fft = fft
        n.eval()
        nets.append(n)
    m = nets[0] if len(nets) == 1 else Ensemble(nets)
    m.eval()
    return m


def spec_augment(x, n_f=2, f_w=8, n_t=2, t_w=10):
    B, Fq, L = x.shape
    x = x.clone()
    for b in range(B):
        for _ in range(n_f):
            w = int(torch.randint(0, f_w + 1, (1,)))
            f0 = int(torch.randint(0, max(1, Fq - w), (1,)))
            x[b, f0:f0 + w, :] = 0
        for _ in range(n_t):
            w = int(torch.randint(0, t_w + 1, (1,)))
            t0 = int(torch.randint(0, max(1, L - w), (1,)))
            x[b, :, t0:t0 + w] = 0
    return x


class Export(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, audio):
        return self.net(audio)
