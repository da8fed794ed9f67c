#!/usr/bin/env python3
"""Build conversational test recordings: short Korean phrases as turns between pauses, music and noise.

Usage (from the repository root)::

    python samples/make_conversation.py                      # samples/conversation.mp4 (+ .ref.tsv)
    python samples/make_conversation.py --seed 7 --seconds 180 --wav bench/.work/conv-7.wav
    python samples/make_conversation.py --align              # re-cut the clips (needs faster-whisper)

Livestreams are conversation: short questions and replies, quiet voices, laughter, pauses of a few
seconds, music beds. This script makes such recordings from the ten transcribed Zeroth-Korean clips
(read news, one speaker), in two steps:

1. **Cutting** (``--align``, run once; the result is committed as ``conversation.cuts.tsv``): each
   clip is transcribed by faster-whisper ``base`` with word timestamps; the recognized words are
   aligned character by character to the reference transcript, and a clip is cut only where a
   recognized word boundary (a) falls on a boundary between reference words and (b) lies within
   250 ms of a low-energy gap (at least 50 ms, 30 dB under the clip's speech level). The cut is made
   at the quietest 10 ms of that gap, so no cut ever falls inside a voiced word. Every piece between
   two cuts is a phrase with its reference words; the phrase's voice onset and offset are the first
   and last 10 ms frame within 30 dB of the clip's speech level (in a run of 3). Runs of up to three
   consecutive pieces with 0.4-3 s of voice are candidates; each is decoded alone and kept when it
   reads as its text (CER <= 0.35) or, for a piece of at most 1 s, which ``base`` often cannot read
   without context, when what it heard has the text's syllable count +-1 at 3-9 syllables a second.
   Whisper only places and checks the cuts; the texts are the corpus transcripts. Known limits: the
   cut can fall in the quiet /h/ or stop closure that opens the next word, so a phrase may start
   with a few ms of the next word's onset, or lose it; the 1-s check is a plausibility check only.
2. **Splicing** (every run, standard library + numpy + ffmpeg, seeded): turns are drawn from the
   phrases (about a third are short replies of 0.4-0.8 s) and placed with pauses of 0.3-20 s
   (mostly short, some long); each turn's level varies by +-12 dB around -24 dBFS RMS (capped so
   peaks stay under -1 dBFS); some turns are band-limited to 300-3400 Hz (phone-like), some lie over
   a music bed 12 dB under the voice that starts before and ends after them; some are preceded by
   1 s of near-digital silence; long pauses hold music (with a time-reversed "singer", as in
   ``make_noisy.py``), pink/brown noise, crowd babble or near-silence, and short ones now and then a
   burst of laughter or applause. A -62 dBFS room tone (``make_samples.noise_floor``) runs under
   everything except the near-silences.

What it writes:

``conversation.mp4`` / ``conversation.ref.tsv`` (default ``--seed``, about 75 s)
    the video (``make_samples.encode``: 640x360 H.264, AAC 96 kbit/s, ``-bitexact``) and its
    timeline, one row per stretch: ``start_ms  end_ms  kind  text  source  conditions``.
    ``kind`` is ``speech`` (a phrase over 0.8 s), ``reply`` (0.4-0.8 s of voice), or a non-speech
    kind: ``music``, ``noise``, ``babble``, ``silence`` (near-digital silence), ``pause`` (room tone
    only, listed from 2 s on), ``laughter``, ``applause``. Speech rows run from the voice onset to
    the voice offset and carry the reference text, the clip and the ms range cut from it, and the
    conditions (``gain=+3dB``, ``phone``, ``bed``). Non-speech rows never overlap speech rows; a music
    bed under a turn shows up as ``music`` rows before and after the turn.
``--wav PATH``
    only the 16 kHz track and ``PATH.ref.tsv`` (for the benchmark's held-out-like sets; fast).

Deterministic: the cuts are data, the layout comes from ``random.Random(seed)``, the synthesized
parts from fixed seeds, so the same seed and length give the same samples on any machine.
"""

from __future__ import annotations

import argparse
import array
import dataclasses
import difflib
import hashlib
import importlib
import itertools
import math
import random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
ms = importlib.import_module("make_samples")  # find_ffmpeg, decode_pcm, encode, noise_floor, ...
mn = importlib.import_module("make_noisy")  # music, noise, crowd, silence, fade, bandpass

RATE: int = ms.RATE
CUTS = HERE / "conversation.cuts.tsv"
SEED = 9  # chosen among seeds 1-11 for its 8 replies, laughter, music stretches and beds, phone turns
SAMPLE_SECONDS = 60.0
MAX_BYTES = 2_000_000

# --- cutting --------------------------------------------------------------------------------------
FRAME = RATE // 100  # 10 ms
GAP_DB = 30.0  # a gap frame is this far under the clip's speech level (95th percentile frame)
GAP_MIN_FRAMES = 5  # 50 ms
SNAP_S = 0.25  # a word boundary this close to a gap is cut there
MIN_VOICE_S, MAX_VOICE_S, REPLY_MAX_S = 0.4, 3.0, 0.8
MAX_CER = 0.35  # a candidate phrase decoded alone must read as its text

# --- splicing -------------------------------------------------------------------------------------
SPEECH_DB = -24.0  # nominal turn level (dBFS RMS); each turn varies +-GAIN_DB around it
GAIN_DB = 12.0
PEAK_MAX = 10 ** (-1 / 20)
BED_DB = -12.0  # music bed under a turn, relative to the turn's level
PHONE_BAND = (300.0, 3400.0)
LAUGH_DB, APPLAUSE_DB = -26.0, -28.0
P_REPLY, P_PHONE, P_BED, P_LEAD_SILENCE, P_BURST = 0.35, 0.2, 0.2, 0.2, 0.3
#: Pause lengths: (probability, low s, high s).
PAUSES = ((0.5, 0.3, 1.5), (0.25, 1.5, 4.0), (0.15, 4.0, 10.0), (0.10, 10.0, 20.0))
#: What fills a pause of 3 s or more (the rest of the time: room tone only).
FILLERS = (("music", 0.3), ("noise", 0.15), ("babble", 0.15), ("silence", 0.15), ("pause", 0.25))
LISTED_PAUSE_MS = 2000


@dataclasses.dataclass(frozen=True)
class Phrase:
    """A piece of a Zeroth clip, cut in low-energy gaps: ``[start_ms, end_ms)`` of the clip file."""

    clip_id: str
    start_ms: int
    end_ms: int
    onset_ms: int  # voice onset and offset, in the clip file
    offset_ms: int
    text: str

    @property
    def voice_s(self) -> float:
        return (self.offset_ms - self.onset_ms) / 1000


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of the timeline (``*.ref.tsv``)."""

    start_ms: int
    end_ms: int
    kind: str
    text: str = ""
    source: str = ""
    conditions: str = ""


# --- step 1: cutting the clips at word boundaries in low-energy gaps ------------------------------


def frame_db(pcm: np.ndarray) -> np.ndarray:
    n = len(pcm) // FRAME
    frames = pcm[: n * FRAME].reshape(n, FRAME)
    return np.asarray(10 * np.log10(np.mean(frames**2, axis=1) + 1e-12))


def low_gaps(db: np.ndarray) -> list[tuple[int, int]]:
    """Runs of frames ``GAP_DB`` under the speech level, at least ``GAP_MIN_FRAMES`` long: ``[a, b)``."""
    low = db < np.percentile(db, 95) - GAP_DB
    gaps, i = [], 0
    while i < len(low):
        if not low[i]:
            i += 1
            continue
        j = i
        while j < len(low) and low[j]:
            j += 1
        if j - i >= GAP_MIN_FRAMES:
            gaps.append((i, j))
        i = j
    return gaps


def ref_boundaries(hyp_words: Sequence[str], ref_tokens: Sequence[str]) -> list[tuple[int, int]]:
    """``(k, t)`` for each recognized word boundary after word ``k`` that aligns with a reference
    boundary after token ``t``: both characters either side are matched, one after the other."""
    from streamkit.evaluation import normalize_for_cer

    hyp_parts = [normalize_for_cer(w) for w in hyp_words]
    ref_parts = [normalize_for_cer(t) for t in ref_tokens]
    hyp, ref = "".join(hyp_parts), "".join(ref_parts)
    to_ref = [-1] * len(hyp)
    for block in difflib.SequenceMatcher(None, hyp, ref, autojunk=False).get_matching_blocks():
        for d in range(block.size):
            to_ref[block.a + d] = block.b + d
    ref_ends = {sum(len(p) for p in ref_parts[: t + 1]): t for t in range(len(ref_parts) - 1)}
    out, pos = [], 0
    for k, part in enumerate(hyp_parts[:-1]):
        pos += len(part)
        if 0 < pos < len(hyp) and to_ref[pos - 1] >= 0 and to_ref[pos] == to_ref[pos - 1] + 1:
            t = ref_ends.get(to_ref[pos])
            if t is not None:
                out.append((k, t))
    return out


def voice_span(db: np.ndarray, level: float, a: int, b: int) -> tuple[int, int] | None:
    """First and last voiced frame in ``[a, b)`` (within ``GAP_DB`` of ``level``), as ``[on, off)``."""
    loud = (db[a:b] >= level - GAP_DB).astype(int)
    # voiced: in a run of at least 3 loud frames (a lone click is not a voice onset)
    voiced = np.nonzero(np.convolve(loud, np.ones(3, dtype=int), mode="valid") == 3)[0]
    return None if len(voiced) == 0 else (a + int(voiced[0]), a + int(voiced[-1]) + 3)


def cut_clip(pcm: np.ndarray, words: Sequence[tuple[float, float, str]], clip_id: str, text: str) -> list[Phrase]:
    """The clip cut into pieces at aligned word boundaries that fall in low-energy gaps."""
    db = frame_db(pcm)
    level = float(np.percentile(db, 95))
    gaps = low_gaps(db)
    tokens = text.split()
    cuts: list[tuple[int, int]] = [(0, -1)]  # (frame, last reference token before the cut)
    for k, t in ref_boundaries([w[2] for w in words], tokens):
        boundary = (words[k][1] + words[k + 1][0]) / 2 * 100
        near = [g for g in gaps if g[0] - SNAP_S * 100 <= boundary <= g[1] + SNAP_S * 100 and g[0] > cuts[-1][0]]
        if near:
            a, b = min(near, key=lambda g: abs((g[0] + g[1]) / 2 - boundary))
            cuts.append((a + int(np.argmin(db[a:b])), t))
    cuts.append((len(db), len(tokens) - 1))
    pieces = []
    for (a, t0), (b, t1) in itertools.pairwise(cuts):
        span = voice_span(db, level, a, b)
        if span is not None and t1 > t0:
            pieces.append(Phrase(clip_id, a * 10, b * 10, span[0] * 10, span[1] * 10,
                                 " ".join(tokens[t0 + 1 : t1 + 1])))
    return pieces


def candidates(pieces: Sequence[Phrase], most: int = 3) -> list[Phrase]:
    """Runs of up to ``most`` consecutive pieces of one clip with 0.4-3 s of voice."""
    out = []
    for i in range(len(pieces)):
        for j in range(i, min(i + most, len(pieces))):
            run = pieces[i : j + 1]
            if any(x.start_ms != y.end_ms for x, y in zip(run[1:], run, strict=False)):
                break
            p = Phrase(run[0].clip_id, run[0].start_ms, run[-1].end_ms, run[0].onset_ms, run[-1].offset_ms,
                       " ".join(x.text for x in run))
            if MIN_VOICE_S <= p.voice_s <= MAX_VOICE_S:
                out.append(p)
    return out


def align(zeroth: Path, ffmpeg: str) -> list[Phrase]:
    """Cut every transcribed clip (faster-whisper ``base`` int8 word timestamps, beam 5), then keep
    the candidate phrases whose audio, decoded alone, reads as their text (CER <= ``MAX_CER``)."""
    from faster_whisper import WhisperModel

    from streamkit.modelstore import bundled_model_dir

    model = WhisperModel(str(bundled_model_dir()), device="cpu", compute_type="int8")

    def words_of(audio: np.ndarray) -> list[tuple[float, float, str]]:
        segments, _ = model.transcribe(audio.astype(np.float32), language="ko", beam_size=5,
                                       word_timestamps=True, condition_on_previous_text=False)
        return [(w.start, w.end, w.word) for s in segments for w in (s.words or ())]

    kept: list[Phrase] = []
    for clip in ms.read_manifest(zeroth):
        pcm = np.asarray(ms.decode_pcm(ffmpeg, clip.path), dtype=np.float64) / 32768
        for p in candidates(cut_clip(pcm, words_of(pcm), clip.clip_id, clip.text)):
            heard = " ".join(w for _, _, w in words_of(pcm[p.start_ms * 16 : p.end_ms * 16]))
            ok = plausible(p, heard)
            print(f"  {'kept' if ok else '    '} {p.clip_id} {p.start_ms:>5}-{p.end_ms:<5}  {p.text}  | {heard}")
            if ok:
                kept.append(p)
    return kept


def plausible(p: Phrase, heard: str) -> bool:
    """Does the piece hold its text? Decoded alone it reads as the text (CER <= ``MAX_CER``); or, for
    a piece of at most 1 s (which ``base`` often cannot read without context, the very thing the
    recording tests), what it heard has the text's number of syllables +-1 at 3-9 syllables a second."""
    from streamkit.evaluation import character_error_rate, normalize_for_cer

    if character_error_rate(p.text, heard) <= MAX_CER:
        return True
    n_ref, n_heard = len(normalize_for_cer(p.text)), len(normalize_for_cer(heard))
    return p.voice_s <= 1.0 and abs(n_ref - n_heard) <= 1 and 3 <= n_ref / p.voice_s <= 9


def write_cuts(path: Path, phrases: Sequence[Phrase]) -> None:
    rows = ["clip\tstart_ms\tend_ms\tonset_ms\toffset_ms\ttext"]
    rows += [f"{p.clip_id}\t{p.start_ms}\t{p.end_ms}\t{p.onset_ms}\t{p.offset_ms}\t{p.text}" for p in phrases]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def read_cuts(path: Path) -> list[Phrase]:
    if not path.is_file():
        sys.exit(f"make_conversation: {path} not found (run with --align once)")
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    out = []
    for line in lines:
        if line.strip():
            clip, a, b, on, off, text = line.split("\t", 5)
            out.append(Phrase(clip, int(a), int(b), int(on), int(off), text))
    return out



# --- step 2: splicing turns -----------------------------------------------------------------------


def band_limit(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Zero-phase band-pass in the frequency domain, 50 Hz cosine skirts (a phone line)."""
    spectrum = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    gain = np.clip(np.minimum((f - low + 50) / 100, (high + 50 - f) / 100), 0, 1)
    return np.asarray(np.fft.irfft(spectrum * np.sin(gain * np.pi / 2) ** 2, len(x)))


def shaped_noise(n: int, rng: np.random.Generator, peaks: Sequence[tuple[float, float, float]]) -> np.ndarray:
    """White noise through a sum of Gaussian spectral peaks ``(Hz, width Hz, gain)``."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    return np.asarray(np.fft.irfft(spectrum * sum(g * np.exp(-(((f - c) / w) ** 2)) for c, w, g in peaks), n))


def at_db(x: np.ndarray, db: float) -> np.ndarray:
    r = float(np.sqrt(np.mean(x**2))) if len(x) else 0.0
    return x if r == 0 else x * (10 ** (db / 20) / r)


def fades(x: np.ndarray, seconds: float) -> np.ndarray:
    k = min(len(x) // 2, round(seconds * RATE))
    ramp = np.sin(np.linspace(0, np.pi / 2, k)) ** 2
    y = x.copy()
    y[:k] *= ramp
    y[len(y) - k :] *= ramp[::-1]
    return y


def laughter(n: int, seed: int) -> np.ndarray:
    """"Ha-ha-ha": breathy voiced syllables with falling pitch through the formants of /a/."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    t, f0 = 0, rng.uniform(200, 320)
    while t + 0.2 * RATE < n:
        syl = round(rng.uniform(0.09, 0.16) * RATE)
        k = np.arange(syl)
        phase = np.cumsum(2 * np.pi * f0 * (1 - 0.15 * k / syl) / RATE)
        voiced = sum(np.sin(h * phase) / h for h in range(1, 14))
        out[t : t + syl] += np.sin(np.pi * k / syl) ** 2 * (voiced + 1.5 * rng.standard_normal(syl))
        t += syl + round(rng.uniform(0.05, 0.12) * RATE)
        f0 *= 0.96
    spectrum = np.fft.rfft(out)
    f = np.fft.rfftfreq(n, 1 / RATE)
    formants = sum(g * np.exp(-(((f - c) / 120) ** 2)) for c, g in ((730, 1.0), (1090, 0.6), (2440, 0.3)))
    return fades(at_db(np.fft.irfft(spectrum * (0.05 + formants), n), LAUGH_DB), 0.02)


def applause(n: int, seed: int) -> np.ndarray:
    """Claps (5-15 ms bursts of 1-4 kHz noise), 15-30 a second, swelling in and out."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    t = 0.0
    rate = rng.uniform(15, 30)
    while (t := t + rng.exponential(1 / rate)) * RATE < n - 0.02 * RATE:
        m = round(rng.uniform(0.005, 0.015) * RATE)
        s = round(t * RATE)
        out[s : s + m] += rng.uniform(0.4, 1.0) * rng.standard_normal(m) * np.exp(-np.arange(m) / (0.004 * RATE))
    out = band_limit(out, 1000, 4000) * np.sin(np.pi * np.arange(n) / n) ** 0.5
    return fades(at_db(out, APPLAUSE_DB), 0.02)


class Splicer:
    """Lays turns and the stretches between them on one track (float, 16 kHz), row by row."""

    def __init__(self, phrases: Sequence[Phrase], clips: dict[str, np.ndarray], babble: Sequence[array.array[int]],
                 seed: int) -> None:
        self.rng = random.Random(seed)
        self.clips, self.babble = clips, babble
        self.decks: dict[bool, list[Phrase]] = {True: [], False: []}
        self.pool = {r: [p for p in phrases if (p.voice_s <= REPLY_MAX_S) == r] for r in (True, False)}
        self.layers: list[tuple[int, np.ndarray]] = []
        self.quiet: list[tuple[int, int]] = []  # near-silence: the room tone is taken out here
        self.rows: list[Row] = []
        self.pos = 0
        self.voice_end = 0  # the last turn's voice offset (sample)

    def _deal(self, reply: bool) -> Phrase:
        deck = self.decks[reply]
        if not deck:
            deck.extend(self.pool[reply] or self.pool[not reply])
            self.rng.shuffle(deck)
        return deck.pop()

    def _ms(self, sample: int) -> int:
        return round(sample * 1000 / RATE)

    def stretch(self, kind: str, seconds: float, *, listed: bool = True) -> None:
        n = round(seconds * RATE)
        seed = self.rng.randrange(1 << 30)
        if kind == "music":
            self.layers.append((self.pos, fades(self.music(n, seed), 0.02)))
        elif kind == "noise":
            self.layers.append((self.pos, fades(np.array(mn.noise(n, seed)), 0.02)))
        elif kind == "babble":
            self.layers.append((self.pos, fades(np.array(mn.crowd(n, seed, self.babble)), 0.02)))
        elif kind == "laughter":
            self.layers.append((self.pos, laughter(n, seed)))
        elif kind == "applause":
            self.layers.append((self.pos, applause(n, seed)))
        elif kind == "silence":
            self.quiet.append((self.pos, self.pos + n))
        if listed and (kind != "pause" or seconds * 1000 >= LISTED_PAUSE_MS):
            self.rows.append(Row(self._ms(self.pos), self._ms(self.pos + n), kind))
        self.pos += n

    def music(self, n: int, seed: int) -> np.ndarray:
        """``make_noisy``'s music in 10 s blocks, each with a time-reversed Zeroth clip as its "singer"."""
        rng = random.Random(seed)
        out: list[float] = []
        while len(out) < n:
            m = min(10 * RATE, n - len(out))
            vocal = mn._vocal(m, self.babble[rng.randrange(len(self.babble))], rng.uniform(0, 4))
            out += mn.fade(mn.music(m, rng.choice(tuple(mn.MELODIES)), rng.randrange(1 << 30), vocal), 0.02, 0.02)
        return np.array(out)

    def pause(self, seconds: float) -> None:
        """A pause between turns: room tone, a burst of laughter or applause, or a filler stretch."""
        rng = self.rng
        if seconds >= 3.0:
            kind = rng.choices([k for k, _ in FILLERS], [w for _, w in FILLERS])[0]
            self.stretch(kind, seconds)
        elif seconds >= 0.8 and rng.random() < P_BURST:
            burst = min(seconds - 0.4, rng.uniform(0.5, 1.5))
            self.stretch("pause", (seconds - burst) / 2)
            self.stretch(rng.choice(("laughter", "applause")), burst)
            self.stretch("pause", (seconds - burst) / 2)
        else:
            self.stretch("pause", seconds)

    def turn(self, first: bool) -> None:
        rng = self.rng
        phrase = self._deal(rng.random() < P_REPLY)
        bed = not first and rng.random() < P_BED
        if not first:
            band = rng.choices(PAUSES, [w for w, _, _ in PAUSES])[0]
            seconds = rng.uniform(band[1], band[2])
            if bed:  # room tone only: the bed's lead-in lies over it
                self.stretch("pause", seconds, listed=False)
            else:
                self.pause(seconds)
        if not bed and rng.random() < P_LEAD_SILENCE:
            self.stretch("silence", 1.0)
        pcm = self.clips[phrase.clip_id][phrase.start_ms * 16 : phrase.end_ms * 16]
        on, off = (phrase.onset_ms - phrase.start_ms) * 16, (phrase.offset_ms - phrase.start_ms) * 16
        conditions = []
        if rng.random() < P_PHONE:
            pcm = band_limit(pcm, *PHONE_BAND)
            conditions.append("phone")
        want = SPEECH_DB + rng.uniform(-GAIN_DB, GAIN_DB)
        gain = min(10 ** (want / 20) / float(np.sqrt(np.mean(pcm[on:off] ** 2))), PEAK_MAX / float(np.max(np.abs(pcm))))
        level = 20 * math.log10(float(np.sqrt(np.mean((gain * pcm[on:off]) ** 2))))
        conditions.insert(0, f"level={level:.0f}dBFS")
        voice = self.pos + on, self.pos + off
        if bed:
            conditions.append("bed")
            lead, tail = round(rng.uniform(0.5, 2.0) * RATE), round(rng.uniform(0.5, 2.0) * RATE)
            start, end = max(self.voice_end + RATE // 2, voice[0] - lead), voice[1] + tail
            music = at_db(self.music(end - start, rng.randrange(1 << 30)), level + BED_DB)
            self.layers.append((start, fades(music, 0.3)))
            self.rows.append(Row(self._ms(start), self._ms(voice[0]), "music"))
        self.layers.append((self.pos, fades(gain * pcm, 0.005)))
        kind = "reply" if phrase.voice_s <= REPLY_MAX_S else "speech"
        source = f"{phrase.clip_id}:{phrase.start_ms}-{phrase.end_ms}"
        self.rows.append(Row(self._ms(voice[0]), self._ms(voice[1]), kind, phrase.text, source, " ".join(conditions)))
        self.pos += len(pcm)
        self.voice_end = voice[1]
        if bed:
            self.rows.append(Row(self._ms(voice[1]), self._ms(end), "music"))
            self.pos = max(self.pos, end)

    def render(self, seed: int) -> np.ndarray:
        floor = np.asarray(ms.noise_floor(self.pos, seed), dtype=np.float64) / 32768
        for a, b in self.quiet:
            floor[a:b] = np.array(mn.silence(b - a, seed + a))
        track = floor
        for start, signal in self.layers:
            track[start : start + len(signal)] += signal[: self.pos - start]
        return track


def splice(phrases: Sequence[Phrase], zeroth: Path, ffmpeg: str, seed: int, seconds: float
           ) -> tuple[array.array[int], list[Row]]:
    """A recording of about ``seconds``: turns until that length, then 1-2 s of room tone."""
    used = sorted({p.clip_id for p in phrases})
    clips = {c: np.asarray(ms.decode_pcm(ffmpeg, zeroth / "wavs" / f"{c}.flac"), dtype=np.float64) / 32768
             for c in used}
    babble = [ms.decode_pcm(ffmpeg, zeroth / "wavs" / f"{c}.flac") for c in mn.BABBLE_CLIPS]
    s = Splicer(phrases, clips, babble, seed)
    s.stretch("pause", s.rng.uniform(0.5, 1.5))
    first = True
    while s.pos < seconds * RATE:
        s.turn(first)
        first = False
    s.stretch("pause", s.rng.uniform(1.0, 2.0))
    track = np.clip(np.round(s.render(seed) * 32767), -32768, 32767).astype("<i2")
    return array.array("h", track.tobytes()), sorted(s.rows, key=lambda r: (r.start_ms, r.end_ms))


def write_ref_tsv(path: Path, rows: Sequence[Row]) -> None:
    lines = ["start_ms\tend_ms\tkind\ttext\tsource\tconditions"]
    lines += [f"{r.start_ms}\t{r.end_ms}\t{r.kind}\t{r.text}\t{r.source}\t{r.conditions}" for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_ref_tsv(path: Path) -> list[Row]:
    """The timeline written by :func:`write_ref_tsv`."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [Row(int(a), int(b), kind, text, source, cond)
            for a, b, kind, text, source, cond in (line.split("\t") for line in lines if line.strip())]


# --- documents ------------------------------------------------------------------------------------


def replace_section(path: Path, section: str) -> None:
    """Add or replace the ``<!-- conversation:begin -->`` ... ``end`` section at the end of ``path``."""
    mn.replace_section(path, section, "<!-- conversation:begin -->", "<!-- conversation:end -->")


def readme_section(rows: Sequence[Row], seconds: float, size: int, seed: int) -> str:
    kinds = sorted({r.kind for r in rows})
    count = ", ".join(f"{sum(r.kind == k for r in rows)} {k}" for k in kinds)
    return f"""## `conversation.mp4`: short turns between pauses, music and noise

Made by `samples/make_conversation.py` (run it after `make_samples.py` and `make_noisy.py`); the
clips are cut once at word boundaries in low-energy gaps (`--align`, needs faster-whisper), and the
cuts are kept in `conversation.cuts.tsv` so the splice is reproducible without the model:

```sh
python samples/make_conversation.py                           # conversation.mp4, seed {seed}
python samples/make_conversation.py --seed 2 --seconds 180 --wav bench/.work/conversation/conv-2.wav
```

| file | what | duration | size |
|---|---|---|---|
| `conversation.mp4` | short turns between pauses, music, noise | {seconds:.3f} s | {size:,} bytes |
| `conversation.ref.tsv` | the timeline: `start_ms  end_ms  kind  text  source  conditions` | | |
| `conversation.cuts.tsv` | the phrases cut from the clips: `clip  start_ms  end_ms  onset_ms  offset_ms  text` | | |

Rows: {count}. `speech` and `reply` rows (a reply has at most 0.8 s of voice) run from the voice
onset to the voice offset (the first and last 10 ms frame within 30 dB of the clip's speech level)
and carry the corpus transcript of the phrase; `source` is the clip and the ms range cut from it,
`conditions` the turn's level and whether it is phone-band (300-3400 Hz) or over a music bed (12 dB
under the voice; the bed before and after the voice is listed as `music`). Non-speech rows (`music`,
`noise`, `babble`, `silence` = near-digital silence, `pause` = room tone from 2 s on, `laughter`,
`applause`) never overlap speech rows. `tests/test_conversation.py` checks that every reply between
pauses is under a cue and no cue lies over music or noise; `bench/conversation.py` measures CER,
coverage, cue in-times and invented cues on it and on longer generated sets."""


def attribution_section(rows: Sequence[Row]) -> str:
    clips = ", ".join(sorted({r.source.split(":")[0] for r in rows if r.source}))
    return f"""## `conversation.mp4` (made by `samples/make_conversation.py`)

Speech: pieces of the Zeroth-Korean clips {clips} (CC BY 4.0, notice above), **cut** at word
boundaries into short phrases (the ranges are listed in `conversation.cuts.tsv` and in the `source`
column of `conversation.ref.tsv`), **level-changed** (+-12 dB), some **band-limited** to 300-3400 Hz,
some mixed over music, and re-ordered as turns; the reference texts are the corpus transcripts of
those words, unchanged. Music "vocals" and crowd babble: the untranscribed clips
{", ".join(mn.BABBLE_CLIPS)} played backwards, as in `noisy.mp4`. Music, noise, laughter and applause
are synthesized by the script. Encoded like the other samples. The adapted audio is offered under
CC BY 4.0, https://creativecommons.org/licenses/by/4.0/."""


# --- main -----------------------------------------------------------------------------------------


def default_zeroth() -> Path:
    """``shared/data/zeroth-korean`` beside the repository (or beside its worktree folder)."""
    for base in (HERE.parent.parent, HERE.parent.parent.parent):
        if (base / "shared" / "data" / "zeroth-korean").is_dir():
            return base / "shared" / "data" / "zeroth-korean"
    return Path(ms.DEFAULT_ZEROTH)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--zeroth", type=Path, default=default_zeroth(), help="Zeroth-Korean sample folder")
    parser.add_argument("--out", type=Path, default=HERE, help=f"output folder (default: {HERE})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"layout seed (default {SEED})")
    parser.add_argument("--seconds", type=float, default=SAMPLE_SECONDS, help="about this long")
    parser.add_argument("--wav", type=Path, help="only write the 16 kHz track here (and PATH.ref.tsv)")
    parser.add_argument("--align", action="store_true", help=f"re-cut the clips into {CUTS.name} first")
    parser.add_argument("--ffmpeg", help="ffmpeg binary (default: imageio-ffmpeg's, else PATH)")
    parser.add_argument("--font", help="Noto Sans KR .ttf (default: from justmytype-intl-cjk)")
    args = parser.parse_args(argv)

    zeroth: Path = args.zeroth.resolve()
    ffmpeg = ms.find_ffmpeg(args.ffmpeg)
    if args.align:
        sys.path.insert(0, str(HERE.parent))  # streamkit, for its CER and bundled model
        write_cuts(CUTS, align(zeroth, ffmpeg))
    track, rows = splice(read_cuts(CUTS), zeroth, ffmpeg, args.seed, args.seconds)
    seconds = len(track) / RATE
    if args.wav is not None:
        args.wav.parent.mkdir(parents=True, exist_ok=True)
        ms.write_wav(args.wav, track)
        write_ref_tsv(args.wav.with_suffix(".ref.tsv"), rows)
        print(f"{args.wav}: {seconds:.3f} s, {sum(r.kind in ('speech', 'reply') for r in rows)} turns")
        return 0
    out: Path = args.out.resolve()
    mp4 = out / "conversation.mp4"
    with tempfile.TemporaryDirectory(prefix="streamkit-conversation-") as tmp:
        wav = Path(tmp) / "track.wav"
        ms.write_wav(wav, track)
        ms.encode(ffmpeg, wav, ms.find_font(args.font), mp4, len(track), Path(tmp))
    write_ref_tsv(out / "conversation.ref.tsv", rows)
    size = mp4.stat().st_size
    if size >= MAX_BYTES:
        sys.exit(f"make_conversation: conversation.mp4 is {size} bytes (limit {MAX_BYTES})")
    replace_section(out / "README.md", readme_section(rows, seconds, size, args.seed))
    replace_section(out / "ATTRIBUTION.md", attribution_section(rows))
    for name in ("conversation.mp4", "conversation.ref.tsv"):
        p = out / name
        print(f"{p}  {p.stat().st_size:>9,} B  sha256:{hashlib.sha256(p.read_bytes()).hexdigest()[:16]}")
    print(f"conversation: {seconds:.3f} s, {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
