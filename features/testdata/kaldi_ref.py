#!/usr/bin/python3
"""Reference MFCCs for package features, from torchaudio's Kaldi compliance module.

Usage (from the repository root; needs Debian's python3-torchaudio 0.13.1 and numpy):

    /usr/bin/python3 features/testdata/kaldi_ref.py [TIMIT_SAMPLE_DIR]

TIMIT_SAMPLE_DIR defaults to $PHONEME_SHARED/corpora/timit-sample, else
/work/shared/corpora/timit-sample. The script (re)writes, byte for byte the same on
every run:

  synth.s16            1.5 s synthetic signal, 16 kHz, signed 16-bit little endian
  synth_<name>.txt.gz  reference features of synth.s16 under several configurations
  timit_<id>.txt.gz    reference features (default configuration) of a few TIMIT
                       sample utterances; their audio is NOT copied (CC BY-NC-SA)

Each .txt.gz holds text lines:
  config <JSON of features.Config>      the Go configuration it corresponds to
  audio <samples> <sha256 of the int16 little-endian samples>
  shape <rows> <cols>
  <rows lines of cols numbers>

Static cepstra come from torchaudio.compliance.kaldi.mfcc run in float64 (input and
torch's default dtype, which its filterbank, DCT and lifter tables are built in) on the
raw int16 sample values (Kaldi does not scale them to [-1, 1]). Deltas are computed here,
not with torchaudio.functional.compute_deltas: that one applied twice replicates the
clipped *deltas* at the edges, while Kaldi's add-deltas applies the combined
(delta∘delta, 9-tap) filter to the replicated *static* features, so the first and
last two frames of the delta-deltas differ. The script also prints how far
torchaudio's float32 computation is from its float64 one, the scale of error a
float32 implementation of Kaldi's definition has.
"""

import gzip
import hashlib
import io
import json
import os
import sys
import wave

import numpy as np
import torch
import torchaudio.compliance.kaldi as kaldi

HERE = os.path.dirname(os.path.abspath(__file__))
RATE = 16000

# The Go DefaultConfig, with its JSON names.
DEFAULT = {
    "sample_rate": 16000,
    "frame_length_ms": 25,
    "frame_shift_ms": 10,
    "dither": 0,
    "preemphasis_coefficient": 0.97,
    "remove_dc_offset": True,
    "window_type": "povey",
    "round_to_power_of_two": True,
    "snip_edges": True,
    "num_mel_bins": 23,
    "low_freq": 20,
    "high_freq": 0,
    "num_ceps": 13,
    "use_energy": True,
    "raw_energy": True,
    "energy_floor": 0,
    "cepstral_lifter": 22,
    "deltas": 2,
    "delta_window": 2,
}

# Synthetic-signal configurations: name -> overrides of DEFAULT.
VARIANTS = [
    ("default", {}),
    ("nosnip", {"snip_edges": False, "deltas": 1}),
    ("hamming400", {"window_type": "hamming", "round_to_power_of_two": False, "deltas": 0}),
    ("hanning_windowed_energy", {
        "window_type": "hanning", "raw_energy": False, "energy_floor": 1.0,
        "cepstral_lifter": 0, "num_ceps": 20, "num_mel_bins": 40, "low_freq": 64,
        "high_freq": -400, "preemphasis_coefficient": 0.9, "remove_dc_offset": False,
        "deltas": 0}),
    ("blackman_noenergy", {
        "window_type": "blackman", "use_energy": False, "frame_length_ms": 20,
        "frame_shift_ms": 5, "deltas": 0}),
    ("rectangular", {"window_type": "rectangular", "deltas": 1, "delta_window": 3}),
]

TIMIT = ["dr1-fvmh0/si1466", "dr3-madc0/sx17", "dr5-ftlg0/sx123", "dr4-maeb0/si1411"]


def synth():
    """1.5 s: a chirp, a vibrato harmonic complex, seeded noise, a DC step and 80 ms of
    digital silence (which exercises Kaldi's log floors)."""
    n = int(1.5 * RATE)
    t = np.arange(n) / RATE
    chirp = 2500 * np.sin(2 * np.pi * (100 * t + 0.5 * (6000 - 100) / 1.5 * t * t))
    f0 = 150 + 20 * np.sin(2 * np.pi * 3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    harm = sum(1500 / h * np.sin(h * phase) for h in range(1, 12))
    rng = np.random.default_rng(20260523)
    noise = rng.normal(0, 200, n)
    env = 0.3 + 0.7 * np.abs(np.sin(2 * np.pi * 1.3 * t))
    x = env * (chirp + harm) + noise + np.where(t > 1.0, 300.0, 0.0)
    x[int(0.70 * RATE):int(0.78 * RATE)] = 0
    return np.clip(np.round(x), -32768, 32767).astype("<i2")


def kaldi_deltas(static, order, window):
    """Kaldi add-deltas (DeltaFeatures): edge frames replicated, filters as Kaldi scales them."""
    scales = [np.array([1.0])]
    for _ in range(order):
        prev = scales[-1]
        po = (len(prev) - 1) // 2
        co = po + window
        cur = np.zeros(len(prev) + 2 * window)
        norm = 0.0
        for j in range(-window, window + 1):
            norm += j * j
            for k in range(-po, po + 1):
                cur[j + k + co] += j * prev[k + po]
        scales.append(cur / norm)
    rows = static.shape[0]
    out = [static]
    for sc in scales[1:]:
        off = (len(sc) - 1) // 2
        d = np.zeros_like(static)
        for j, w in enumerate(sc):
            idx = np.clip(np.arange(rows) + j - off, 0, rows - 1)
            d += w * static[idx]
        out.append(d)
    return np.concatenate(out, axis=1)


def mfcc(samples, cfg, dtype):
    # torchaudio builds its mel filterbank, DCT matrix and lifter with torch's default
    # dtype whatever the input's, so the default is switched too for a float64 run.
    torch.set_default_dtype(dtype)
    wav = torch.from_numpy(samples.astype(np.float64)).to(dtype).unsqueeze(0)
    m = kaldi.mfcc(
        wav,
        sample_frequency=cfg["sample_rate"],
        frame_length=cfg["frame_length_ms"],
        frame_shift=cfg["frame_shift_ms"],
        dither=cfg["dither"],
        preemphasis_coefficient=cfg["preemphasis_coefficient"],
        remove_dc_offset=cfg["remove_dc_offset"],
        window_type=cfg["window_type"],
        round_to_power_of_two=cfg["round_to_power_of_two"],
        snip_edges=cfg["snip_edges"],
        num_mel_bins=cfg["num_mel_bins"],
        low_freq=cfg["low_freq"],
        high_freq=cfg["high_freq"],
        num_ceps=cfg["num_ceps"],
        use_energy=cfg["use_energy"],
        raw_energy=cfg["raw_energy"],
        energy_floor=cfg["energy_floor"],
        cepstral_lifter=cfg["cepstral_lifter"],
        blackman_coeff=0.42,
        htk_compat=False,
        subtract_mean=False,
    )
    torch.set_default_dtype(torch.float32)
    return m.double().numpy()


def write(name, cfg, samples):
    static = mfcc(samples, cfg, torch.float64)
    static32 = mfcc(samples, cfg, torch.float32)
    feats = kaldi_deltas(static, cfg["deltas"], cfg["delta_window"])
    buf = io.StringIO()
    buf.write("config " + json.dumps(cfg, sort_keys=True) + "\n")
    buf.write("audio %d %s\n" % (len(samples), hashlib.sha256(samples.tobytes()).hexdigest()))
    buf.write("shape %d %d\n" % feats.shape)
    for row in feats:
        buf.write(" ".join("%.5f" % v for v in row) + "\n")
    path = os.path.join(HERE, name + ".txt.gz")
    with open(path, "wb") as f:
        # mtime=0 and no file name in the header keep the output byte-identical.
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as z:
            z.write(buf.getvalue().encode())
    print("%-36s %4d x %2d   float32 vs float64 torchaudio: max |diff| %.2e" % (
        name, feats.shape[0], feats.shape[1], np.abs(static32 - static).max()))


def read_wav(path):
    with wave.open(path, "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getcomptype()) != (1, 2, RATE, "NONE"):
            sys.exit("%s: want 16-bit PCM mono at %d Hz, got %s" % (path, RATE, w.getparams()))
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def main():
    shared = os.environ.get("PHONEME_SHARED", "/work/shared")
    timit = sys.argv[1] if len(sys.argv) > 1 else os.path.join(shared, "corpora", "timit-sample")
    x = synth()
    with open(os.path.join(HERE, "synth.s16"), "wb") as f:
        f.write(x.tobytes())
    for name, over in VARIANTS:
        write("synth_" + name, {**DEFAULT, **over}, x)
    for utt in TIMIT:
        samples = read_wav(os.path.join(timit, utt + ".wav"))
        write("timit_" + utt.replace("/", "_"), DEFAULT, samples)


if __name__ == "__main__":
    main()
