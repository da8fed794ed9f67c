#!/usr/bin/env python3
"""Build ``samples/noisy.mp4``: Korean speech between music, silence, noise and crowd stretches.

Usage (from the repository root)::

    python samples/make_noisy.py [--zeroth DIR] [--out DIR] [--ffmpeg PATH] [--font PATH] [--wav PATH]

A test recording for the hallucination filter (``streamkit/quality/``): a livestream opens and
closes with music and has pauses, noise and cheering between the talk, and Whisper invents text
over exactly those stretches.  What it writes (overwritten on every run):

``noisy.mp4``
    84 s: 10 s of synthesized intro music, then five real Zeroth-Korean speech clips (104_003_0352,
    0360, 0374, 0437, 0451; none of them used in ``fanlive.mp4``) separated by 3 s of near-digital
    silence, 3 s of pink then brown noise, 4 s of crowd chatter and cheering, and 7 s of
    background music, and 10 s of outro music at the end.
``noisy.ref.tsv``
    ``start_ms  end_ms  kind  text``: the whole timeline, one row per stretch, ``kind`` one of
    ``speech``, ``music``, ``silence``, ``noise``, ``crowd``; ``text`` is the corpus transcript for
    speech rows and empty otherwise.
``README.md`` / ``ATTRIBUTION.md``
    a section about ``noisy.mp4`` between ``<!-- noisy:begin -->`` and ``<!-- noisy:end -->`` is
    added or replaced (``make_samples.py`` rewrites both files: run this script after it).

How the stretches are made (pure Python, fixed seeds, no ffmpeg filters, so they do not depend on
the ffmpeg build):

* **music**: a four-chord loop at 120 bpm (C, G, Am, F): additive-synthesis pad chords, a bass line,
  kick on every beat, a clap on beats 2 and 4, hi-hats on eighths, a sung-vowel synth lead (a
  band-limited sawtooth with vibrato through vowel formants), and a *vocal in no language*: a stretch
  of an untranscribed Zeroth clip played backwards, the loudest part of the mix like a lead singer.
  The vocal is what makes Whisper's voice activity detector let the music through and Whisper
  invent text over it, as it does over a real song (synthetic vowels alone never pass the VAD).
* **silence**: digital zero with +-1 LSB dither (about -93 dBFS), as when a stream's audio drops.
* **noise**: 1.5 s of pink noise (Paul Kellet's filter) then 1.5 s of brown noise, -34 dBFS RMS.
* **crowd**: babble of six overlapping *time-reversed* speech clips from the untranscribed Zeroth
  clips (0452, 0472, 0526, 0555, 0577; reversed speech has the rhythm and spectrum of talk but not
  a single intelligible word), low-passed like a distant audience, under band-passed cheering
  noise that swells and falls, and hand claps at random times.

The speech clips are placed unchanged (no fades, no level change) over the same -62 dBFS noise
floor as ``fanlive.mp4``; the non-speech stretches get 20 ms fades so there are no clicks.
Picture and encoding are ``make_samples.encode``'s (640x360 H.264 30000/1001 fps, AAC 96 kbit/s,
faststart, ``-bitexact``): same ffmpeg build, byte-identical files.
"""

from __future__ import annotations

import argparse
import array
import dataclasses
import hashlib
import importlib
import math
import random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
ms = importlib.import_module("make_samples")  # find_ffmpeg, decode_pcm, encode, ... (stdlib + ffmpeg)

RATE: int = ms.RATE
SEED = 20_250_505
MAX_BYTES = 2_000_000
MAX_SECONDS = 90.0

#: The timeline: (kind, seconds) for synthesized stretches, ("speech", clip id) for Zeroth clips.
LAYOUT: tuple[tuple[str, float | str], ...] = (
    ("music", 10.0),
    ("speech", "104_003_0352"),
    ("silence", 3.0),
    ("speech", "104_003_0360"),
    ("noise", 3.0),
    ("speech", "104_003_0374"),
    ("crowd", 4.0),
    ("speech", "104_003_0437"),
    ("music", 7.0),
    ("speech", "104_003_0451"),
    ("music", 10.0),
)
#: Each music stretch in order: (melody, index into BABBLE_CLIPS of its reversed "vocal", offset s).
MUSIC = (("intro", 0, 1.0), ("bgm", 2, 2.0), ("outro", 4, 0.5))
#: Untranscribed Zeroth clips, played backwards, for the crowd babble.
BABBLE_CLIPS = ("104_003_0452", "104_003_0472", "104_003_0526", "104_003_0555", "104_003_0577")

# Levels, dBFS RMS (the speech clips are about -19 dBFS RMS).
MUSIC_DB = -20.0
VOCAL_DB = -23.0
NOISE_DB = -34.0
CROWD_DB = -27.0
FADE_S = 0.02

Signal = list[float]


@dataclasses.dataclass(frozen=True)
class Stretch:
    kind: str
    start_sample: int
    n_samples: int
    text: str = ""
    clip_id: str = ""

    @property
    def start_ms(self) -> int:
        return round(self.start_sample * 1000 / RATE)

    @property
    def end_ms(self) -> int:
        return round((self.start_sample + self.n_samples) * 1000 / RATE)


# --- DSP helpers ----------------------------------------------------------------------------------


def rms(x: Sequence[float]) -> float:
    return math.sqrt(sum(v * v for v in x) / max(len(x), 1))


def to_db_level(x: Signal, db: float) -> Signal:
    """``x`` scaled to ``db`` dBFS RMS."""
    r = rms(x)
    if r == 0:
        return x
    g = 10 ** (db / 20) / r
    return [v * g for v in x]


def mix(*parts: Signal) -> Signal:
    n = max(len(p) for p in parts)
    out = [0.0] * n
    for p in parts:
        for i, v in enumerate(p):
            out[i] += v
    return out


def bandpass(x: Signal, f0: float, q: float) -> Signal:
    """RBJ biquad band-pass (0 dB peak gain)."""
    w = 2 * math.pi * f0 / RATE
    alpha = math.sin(w) / (2 * q)
    a0 = 1 + alpha
    b0, b2 = alpha / a0, -alpha / a0
    a1, a2 = -2 * math.cos(w) / a0, (1 - alpha) / a0
    out = [0.0] * len(x)
    x1 = x2 = y1 = y2 = 0.0
    for i, v in enumerate(x):
        y = b0 * v + b2 * x2 - a1 * y1 - a2 * y2
        x2, x1, y2, y1 = x1, v, y1, y
        out[i] = y
    return out


def lowpass(x: Signal, cutoff: float) -> Signal:
    """One-pole low-pass."""
    k = 1 - math.exp(-2 * math.pi * cutoff / RATE)
    out = [0.0] * len(x)
    y = 0.0
    for i, v in enumerate(x):
        y += k * (v - y)
        out[i] = y
    return out


def white(n: int, rng: random.Random) -> Signal:
    return [rng.uniform(-1.0, 1.0) for _ in range(n)]


def fade(x: Signal, fade_in_s: float, fade_out_s: float) -> Signal:
    n = len(x)
    a, b = min(n, round(fade_in_s * RATE)), min(n, round(fade_out_s * RATE))
    out = list(x)
    for i in range(a):
        out[i] *= i / a
    for i in range(b):
        out[n - 1 - i] *= i / b
    return out


def midi_hz(note: int) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


# --- music ----------------------------------------------------------------------------------------

BPM = 120
BEAT = 60 / BPM
#: C, G, Am, F (one bar of four beats each), as MIDI notes.
PROGRESSION = ((48, (60, 64, 67)), (43, (59, 62, 67)), (45, (60, 64, 69)), (41, (60, 65, 69)))
#: Formants (Hz) and their gains of the five sung vowels.
VOWELS: dict[str, tuple[tuple[float, float], ...]] = {
    "a": ((730, 1.0), (1090, 0.5), (2440, 0.25)),
    "e": ((530, 1.0), (1840, 0.45), (2480, 0.25)),
    "i": ((300, 1.0), (2290, 0.4), (3010, 0.25)),
    "o": ((570, 1.0), (840, 0.6), (2410, 0.2)),
    "u": ((320, 1.0), (870, 0.4), (2240, 0.15)),
}
#: Sung melodies: (MIDI note, beats, vowel); a 0 note is a rest.
MELODIES: dict[str, tuple[tuple[int, float, str], ...]] = {
    "intro": (
        (0, 2, ""), (72, 1, "a"), (74, 0.5, "a"), (76, 1.5, "o"), (74, 1, "e"), (71, 1, "a"), (67, 2, "o"),
        (69, 1, "i"), (72, 1, "a"), (76, 1, "e"), (74, 1, "o"), (72, 1, "a"), (69, 0.5, "e"), (72, 1.5, "u"),
    ),
    "bgm": (
        (76, 1, "a"), (74, 1, "e"), (72, 1, "o"), (71, 1, "a"), (72, 1, "i"), (74, 1, "a"), (76, 2, "o"),
    ),
    "outro": (
        (67, 1, "o"), (72, 1, "a"), (76, 1, "a"), (79, 1, "e"), (77, 1, "o"), (76, 1, "a"), (74, 2, "u"),
        (72, 1, "a"), (74, 0.5, "i"), (76, 1.5, "a"), (72, 2, "o"), (0, 2, ""),
    ),
}  # fmt: skip


def _pad(n: int) -> Signal:
    out = [0.0] * n
    bar = round(4 * BEAT * RATE)
    for start in range(0, n, bar):
        _bass, chord = PROGRESSION[(start // bar) % len(PROGRESSION)]
        length = min(bar, n - start)
        for note in chord:
            for detune in (-0.003, 0.003):
                f = midi_hz(note) * (1 + detune)
                for k, amp in ((1, 1.0), (2, 0.45), (3, 0.25), (4, 0.12)):
                    w = 2 * math.pi * f * k / RATE
                    for i in range(length):
                        env = min(1.0, i / (0.15 * RATE)) * (0.7 + 0.3 * math.exp(-i / (0.6 * RATE)))
                        out[start + i] += amp * env * math.sin(w * i)
    return out


def _bass(n: int) -> Signal:
    out = [0.0] * n
    eighth = round(BEAT / 2 * RATE)
    bar = round(4 * BEAT * RATE)
    for start in range(0, n, eighth):
        note = PROGRESSION[(start // bar) % len(PROGRESSION)][0]
        f = midi_hz(note)
        for i in range(min(eighth, n - start)):
            env = math.exp(-i / (0.12 * RATE))
            ph = 2 * math.pi * f * i / RATE
            out[start + i] += env * (math.sin(ph) + 0.3 * math.sin(2 * ph))
    return out


def _drums(n: int, rng: random.Random) -> Signal:
    out = [0.0] * n
    beat = round(BEAT * RATE)
    for b, start in enumerate(range(0, n, beat)):
        # kick: a falling sine 120 -> 45 Hz
        phase = 0.0
        for i in range(min(round(0.25 * RATE), n - start)):
            f = 45 + 75 * math.exp(-i / (0.03 * RATE))
            phase += 2 * math.pi * f / RATE
            out[start + i] += 1.4 * math.exp(-i / (0.09 * RATE)) * math.sin(phase)
        # clap on beats 2 and 4: band-passed noise
        if b % 2 == 1:
            burst = bandpass(white(min(round(0.18 * RATE), n - start), rng), 1500, 0.8)
            for i, v in enumerate(burst):
                out[start + i] += 2.5 * math.exp(-i / (0.05 * RATE)) * v
        # hi-hats on eighths: differentiated noise
        for half in (0, beat // 2):
            s = start + half
            prev = 0.0
            for i in range(min(round(0.04 * RATE), n - s) if s < n else 0):
                v = rng.uniform(-1, 1)
                out[s + i] += 0.35 * math.exp(-i / (0.012 * RATE)) * (v - prev)
                prev = v
    return out


def _lead(n: int, melody: str, rng: random.Random) -> Signal:
    """A sung-vowel line: band-limited sawtooth with vibrato through vowel formants."""
    source = [0.0] * n
    plan: list[tuple[int, int, str]] = []
    pos = 0
    for note, beats, vowel in MELODIES[melody]:
        length = round(beats * BEAT * RATE)
        if note and pos < n:
            plan.append((pos, min(length, n - pos), vowel))
            f0 = midi_hz(note)
            harmonics = max(1, int(3800 // f0))
            phase = 0.0
            for i in range(min(length, n - pos)):
                t = i / RATE
                vib = 1 + (0.012 * math.sin(2 * math.pi * 5.5 * t) if t > 0.15 else 0.0)
                phase += 2 * math.pi * f0 * vib / RATE
                env = min(1.0, t / 0.04) * min(1.0, (length - i) / (0.08 * RATE))
                saw = sum(math.sin(k * phase) / k for k in range(1, harmonics + 1))
                source[pos + i] = env * saw
            # a consonant: 25 ms of noise at the onset
            for i in range(min(round(0.025 * RATE), n - pos)):
                source[pos + i] += 0.6 * rng.uniform(-1, 1) * (1 - i / (0.025 * RATE))
        pos += length
    out = [0.0] * n
    for start, length, vowel in plan:
        segment = source[start : start + length]
        for f, gain in VOWELS[vowel]:
            for i, v in enumerate(bandpass(segment, f, 6.0)):
                out[start + i] += gain * v
    return out


def _vocal(n: int, source: array.array[int], offset_s: float) -> Signal:
    """A "singer" in no language: a stretch of a speech clip played backwards, band-limited."""
    rev = source[::-1]
    start = round(offset_s * RATE) % len(rev)
    return [rev[(start + i) % len(rev)] / 32768 for i in range(n)]


def music(n: int, melody: str, seed: int, vocal: Signal) -> Signal:
    rng = random.Random(seed)
    stems = (
        to_db_level(_pad(n), -28.0),
        to_db_level(_bass(n), -27.0),
        to_db_level(_drums(n, rng), -25.0),
        to_db_level(_lead(n, melody, rng), -25.0),
        to_db_level(vocal, VOCAL_DB),
    )
    return [math.tanh(v) for v in to_db_level(mix(*stems), MUSIC_DB)]


# --- noise, silence, crowd ------------------------------------------------------------------------


def pink(n: int, rng: random.Random) -> Signal:
    """Paul Kellet's refined pink-noise filter on white noise."""
    b0 = b1 = b2 = b3 = b4 = b5 = b6 = 0.0
    out = [0.0] * n
    for i in range(n):
        w = rng.uniform(-1, 1)
        b0 = 0.99886 * b0 + w * 0.0555179
        b1 = 0.99332 * b1 + w * 0.0750759
        b2 = 0.96900 * b2 + w * 0.1538520
        b3 = 0.86650 * b3 + w * 0.3104856
        b4 = 0.55000 * b4 + w * 0.5329522
        b5 = -0.7616 * b5 - w * 0.0168980
        out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362
        b6 = w * 0.115926
    return out


def brown(n: int, rng: random.Random) -> Signal:
    """Leaky-integrated white noise (a 1/f^2 spectrum above a few Hz)."""
    out = [0.0] * n
    y = 0.0
    for i in range(n):
        y = 0.995 * y + rng.uniform(-1, 1)
        out[i] = y
    return out


def noise(n: int, seed: int) -> Signal:
    rng = random.Random(seed)
    half = n // 2
    a = fade(to_db_level(pink(half, rng), NOISE_DB), 0, 0.05)
    b = fade(to_db_level(brown(n - half, rng), NOISE_DB), 0.05, 0)
    return a + b


def silence(n: int, seed: int) -> Signal:
    rng = random.Random(seed)
    return [rng.choice((-1, 0, 0, 1)) / 32768 for _ in range(n)]


def crowd(n: int, seed: int, babble_sources: Sequence[array.array[int]]) -> Signal:
    rng = random.Random(seed)
    # babble: six reversed clips at random offsets, different levels, a distant low-pass
    voices = []
    for _ in range(6):
        src = babble_sources[rng.randrange(len(babble_sources))][::-1]
        offset = rng.randrange(len(src))
        gain = rng.uniform(0.4, 1.0)
        voices.append([gain * src[(offset + i) % len(src)] / 32768 for i in range(n)])
    babble = lowpass(mix(*voices), 2500)
    # cheering: band-passed noise swelling in and out, with a 5-9 Hz flutter
    raw = white(n, rng)
    scream = mix(bandpass(raw, 1100, 1.2), bandpass(raw, 2600, 1.5))
    rate = rng.uniform(5, 9)
    cheer = [
        v * math.sin(math.pi * i / n) ** 2 * (0.7 + 0.3 * math.sin(2 * math.pi * rate * i / RATE))
        for i, v in enumerate(scream)
    ]
    # claps: about 10 a second
    claps = [0.0] * n
    t = 0.0
    while True:
        t += rng.expovariate(10.0)
        start = round(t * RATE)
        if start >= n:
            break
        amp = rng.uniform(0.5, 1.0)
        burst = bandpass(white(min(round(0.03 * RATE), n - start), rng), 1800, 1.0)
        for i, v in enumerate(burst):
            claps[start + i] += amp * math.exp(-i / (0.008 * RATE)) * v
    parts = (to_db_level(babble, CROWD_DB - 2), to_db_level(cheer, CROWD_DB - 4), to_db_level(claps, CROWD_DB - 6))
    return to_db_level(mix(*parts), CROWD_DB)


# --- assembly -------------------------------------------------------------------------------------


def assemble(ffmpeg: str, zeroth: Path) -> tuple[array.array[int], list[Stretch]]:
    manifest = {c.clip_id: c for c in ms.read_manifest(zeroth)}
    babble_sources = [ms.decode_pcm(ffmpeg, zeroth / "wavs" / f"{cid}.flac") for cid in BABBLE_CLIPS]
    music_no = 0
    parts: list[tuple[Stretch, Signal | array.array[int]]] = []
    pos = 0
    for k, (kind, what) in enumerate(LAYOUT):
        if kind == "speech":
            clip = manifest[str(what)]
            pcm = ms.decode_pcm(ffmpeg, clip.path)
            parts.append((Stretch(kind, pos, len(pcm), clip.text, clip.clip_id), pcm))
            pos += len(pcm)
            continue
        n = round(float(what) * RATE)
        seed = SEED + k
        if kind == "music":
            melody, vocal_clip, offset_s = MUSIC[music_no]
            music_no += 1
            signal = music(n, melody, seed, _vocal(n, babble_sources[vocal_clip], offset_s))
        elif kind == "silence":
            signal = silence(n, seed)
        elif kind == "noise":
            signal = noise(n, seed)
        elif kind == "crowd":
            signal = crowd(n, seed, babble_sources)
        else:
            raise ValueError(f"unknown stretch kind {kind!r}")
        if kind != "silence":
            last = k == len(LAYOUT) - 1
            signal = fade(signal, FADE_S, 2.0 if last else FADE_S)
        parts.append((Stretch(kind, pos, n), signal))
        pos += n
    floor = ms.noise_floor(pos, SEED)
    track = array.array("h", bytes(2 * pos))
    for stretch, signal in parts:
        s = stretch.start_sample
        if isinstance(signal, array.array):  # speech: the clip over the noise floor, unchanged
            for j, v in enumerate(signal):
                track[s + j] = max(-32768, min(32767, floor[s + j] + v))
        elif stretch.kind == "silence":
            for j, v in enumerate(signal):
                track[s + j] = round(v * 32768)
        else:
            for j, v in enumerate(signal):
                track[s + j] = max(-32768, min(32767, floor[s + j] + round(v * 32767)))
    stretches = [st for st, _ in parts]
    return track, stretches


def write_ref_tsv(path: Path, stretches: Sequence[Stretch]) -> None:
    rows = ["start_ms\tend_ms\tkind\ttext"]
    rows += [f"{s.start_ms}\t{s.end_ms}\t{s.kind}\t{s.text}" for s in stretches]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


# --- documents ------------------------------------------------------------------------------------

BEGIN, END = "<!-- noisy:begin -->", "<!-- noisy:end -->"


def replace_section(path: Path, section: str, begin: str = BEGIN, end: str = END) -> None:
    """Add or replace the section marked ``begin`` ... ``end`` (the ``noisy.mp4`` one) at the end of ``path``."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        text = head.rstrip("\n") + "\n\n" + tail.lstrip("\n")
    block = f"{begin}\n{section.strip()}\n{end}\n"
    path.write_text(text.rstrip("\n") + "\n\n" + block, encoding="utf-8")


def readme_section(stretches: Sequence[Stretch], seconds: float, size: int) -> str:
    rows = "".join(
        f"| {s.start_ms} | {s.end_ms} | {s.kind} | {s.clip_id or '-'} |\n" for s in stretches
    )
    return f"""## `noisy.mp4`: speech between music, silence, noise and crowd

Made by `samples/make_noisy.py` (run it after `make_samples.py`, which rewrites this file):

```sh
python samples/make_noisy.py              # default --zeroth ../shared/data/zeroth-korean
```

| file | what | duration | size |
|---|---|---|---|
| `noisy.mp4` | 5 speech clips between music, silence, noise and crowd | {seconds:.3f} s | {size:,} bytes |
| `noisy.ref.tsv` | the timeline: `start_ms  end_ms  kind  text` (kind: speech, music, silence, noise, crowd) | | |

The hallucination test (`tests/test_quality.py`) counts subtitle cues inside the non-speech rows and
compares the speech rows' transcript with the reference. The music carries a "vocal" of time-reversed
speech (unintelligible, like a singer in no language), which Whisper's voice activity detector lets
through, so Whisper invents text over it as it does over a real song; the crowd is six reversed voices
with cheering and claps. Same picture and encoding as the other samples.

| start_ms | end_ms | kind | clip |
|---|---|---|---|
{rows}"""


def attribution_section(stretches: Sequence[Stretch]) -> str:
    speech = ", ".join(s.clip_id for s in stretches if s.kind == "speech")
    return f"""## `noisy.mp4` (made by `samples/make_noisy.py`)

Speech: the Zeroth-Korean clips {speech} (CC BY 4.0, notice above), placed unchanged over the same
-62 dBFS noise floor. Crowd babble and the "vocals" of the music: the untranscribed Zeroth-Korean
clips {", ".join(BABBLE_CLIPS)} (same corpus, same licence), **played backwards**; for the crowd six at
a time at random offsets, low-passed; in the music one stretch each, mixed in as the lead vocal.
Music, noise, cheering and claps are synthesized by the script (no third-party material). The track
was encoded like the other samples (AAC 96 kbit/s over the generated picture). The adapted audio is
offered under CC BY 4.0, https://creativecommons.org/licenses/by/4.0/."""


# --- main -----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--zeroth", type=Path, default=ms.DEFAULT_ZEROTH, help="Zeroth-Korean sample folder")
    parser.add_argument("--out", type=Path, default=HERE, help=f"output folder (default: {HERE})")
    parser.add_argument("--ffmpeg", help="ffmpeg binary (default: imageio-ffmpeg's, else PATH)")
    parser.add_argument("--font", help="Noto Sans KR .ttf (default: from justmytype-intl-cjk)")
    parser.add_argument("--wav", type=Path, help="only write the 16 kHz audio track here (for tuning)")
    args = parser.parse_args(argv)

    zeroth: Path = args.zeroth.resolve()
    out: Path = args.out.resolve()
    ffmpeg = ms.find_ffmpeg(args.ffmpeg)
    track, stretches = assemble(ffmpeg, zeroth)
    seconds = len(track) / RATE
    if args.wav is not None:
        ms.write_wav(args.wav, track)
        write_ref_tsv(args.wav.with_suffix(".ref.tsv"), stretches)
        print(f"{args.wav}: {seconds:.3f} s")
        return 0

    font = ms.find_font(args.font)
    out.mkdir(parents=True, exist_ok=True)
    mp4 = out / "noisy.mp4"
    with tempfile.TemporaryDirectory(prefix="streamkit-noisy-") as tmp:
        workdir = Path(tmp)
        wav = workdir / "track.wav"
        ms.write_wav(wav, track)
        ms.encode(ffmpeg, wav, font, mp4, len(track), workdir)
    write_ref_tsv(out / "noisy.ref.tsv", stretches)
    container_s = ms.probe_duration(ffmpeg, mp4)
    size = mp4.stat().st_size
    if seconds > MAX_SECONDS or size >= MAX_BYTES:
        sys.exit(f"make_noisy: noisy.mp4 is {seconds:.1f} s and {size} bytes (limits {MAX_SECONDS} s, {MAX_BYTES})")
    replace_section(out / "README.md", readme_section(stretches, seconds, size))
    replace_section(out / "ATTRIBUTION.md", attribution_section(stretches))
    for name in ("noisy.mp4", "noisy.ref.tsv"):
        p = out / name
        print(f"{p}  {p.stat().st_size:>9,} B  sha256:{hashlib.sha256(p.read_bytes()).hexdigest()[:16]}")
    print(f"noisy: {seconds:.3f} s audio ({container_s:.2f} s container), {len(stretches)} stretches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
