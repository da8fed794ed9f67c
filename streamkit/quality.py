"""Invented text out of a transcript: Whisper's hallucinations, loops and stretched timings.

Whisper invents text over music, silence and crowd noise (YouTube outros such as "시청해주셔서
감사합니다", news sign-offs, "Thanks for watching"), repeats a phrase in a loop, echoes its prompt,
and stretches a word's timing over the pause before or after it. :func:`clean_transcript` removes
those, and only those, from a :class:`~streamkit.models.Transcript`:

1. **Loops** (:func:`find_loops`): a unit of 1-8 words repeated at least 4 times back to back
   inside an utterance is collapsed to its first occurrence; 3 or more identical consecutive
   utterances are collapsed to the first. The kept occurrence carries ``loop`` evidence.
2. **Runs**: an utterance is cut at every pause of at least ``split_pause_ms`` (2 s) between its
   words, a word stretched longer than plausible counting only for its plausible length at its end
   (Whisper's alignment stretches a word back over the music or silence before it). Each run is
   judged below as an utterance of its own, and the kept runs are put back together. Batched
   decoding (the default) returns a whole VAD chunk, up to 30 s of speech chunks with music
   between them, as one segment whose decoder scores (log-probability, no-speech probability,
   compression ratio) are those of the whole chunk: judged whole, a few invented words in it
   drown in its speech. A run is what a sequential decode would have made a segment of, so the
   evidence below, calibrated on those, holds for both. An utterance dropped run by run is
   reported as one piece.
3. **Lead-ins and tails**: a run of at least two low-probability words at the start (or end) of an
   utterance, separated by a pause from a confident rest, is scored on its own (Whisper decodes
   the music before the speech into words, then the speech).
4. **Scoring**: every utterance (or split-off run) collects evidence from independent signals;
   it is dropped when the evidence reaches ``drop_score`` (1.0). No single weak signal can drop
   real speech, and only the strong ones (Whisper's own no-speech rule, audio that is silent
   compared with the recording's speech, words the model itself did not believe) reach 1.0 alone.
5. **Timing** (kept runs): the first and last words lose the silent frames at their outer
   edges (with an energy profile), and a word longer than plausible (300 ms + 250 ms per character)
   shrinks toward the speech: it keeps its end, except a run's last word, which keeps its
   start. So cues start on the speech onset and do not linger over silence. Words only shrink
   inside their own span; an edge touching the neighbouring utterance stays.

The passes repeat until nothing changes (dropping one utterance can expose a loop), so cleaning a
cleaned transcript changes nothing.

Signals and their weights (``QualityOptions``; all thresholds are data):

=============== ====== =====================================================================
signal          weight why it is evidence of invented text
=============== ====== =====================================================================
no_speech       1.0    Whisper's own rule: no-speech probability >= 0.6 *and* average
                       log-probability <= -1.0 (faster-whisper's defaults)
energy          1.0    the audio under the words is silent: 30 dB below the recording's
                0.5    speech level (or below -65 dBFS); 20 dB below: weak
vad             0.5    the voice activity detector's speech probability under the words is
                0.3    below 0.3 (below 0.45: 0.3). Whisper's VAD merges speech chunks up to
                       2 s apart and pads them, so Whisper hears stretches the VAD did not call
                       speech; it invents text there
confidence      0.7    mean word probability below 0.3; below 0.45: 0.4
no_confident    0.3    not one word reaches probability 0.5
outro           0.7    a channel outro / subtitle credit / news sign-off covers the text;
                0.5    a bare "감사합니다"/"Thank you" style closing: weak
edge            0.2    an outro phrase within 30 s of the recording's start or end, where
                       Whisper puts them (text alone never reaches 1.0: people do say
                       "시청해주셔서 감사합니다"; a decoder or audio signal must agree)
prompt_echo     0.7    the text is a piece of the prompt / hotwords given to Whisper
loop            0.5    the text was repeated in a loop (what is left of it)
detached        0.3    a low-confidence run split off a confident utterance by a pause
logprob         0.3    average log-probability below -1.0 (shared by a whole 30 s window,
                       so weak)
compression     0.3    compression ratio above 2.4 (repetitive window)
timing          0.3    implausible word timing: half the words faster than 25 characters/s
cluster         0.3    within 1 s of dropped text (invented text comes in clusters)
script          0.3    no letter in the transcript language's script (English sentences in a
                       Korean transcript: Whisper's outros are often in English)
attached        -0.4   counter-evidence: a fragment of at most 4 words touching (within 100 ms)
                       confident speech that stays, over audio as loud as speech (Whisper cuts
                       sentences into segments)
=============== ====== =====================================================================

The function is pure: the audio enters only through ``energy`` (a callable giving the RMS level
of a span in dBFS, see :func:`energy_profile`) and ``speech`` (the voice-activity probability of a
span, see :func:`vad_profile`), so tests can pass any function.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .models import AudioTrack, Transcript, Utterance, Word

__all__ = [
    "OUTRO_PATTERNS",
    "OUTRO_PHRASES",
    "WEAK_OUTRO_PHRASES",
    "Dropped",
    "EnergyFn",
    "Loop",
    "QualityOptions",
    "SpeechFn",
    "clean_transcript",
    "dropped_summary",
    "energy_profile",
    "find_loops",
    "match_outro",
    "normalize_text",
    "vad_profile",
]

log = logging.getLogger("streamkit")

#: ``energy(start_ms, end_ms)``: RMS level of the audio in that span, in dBFS.
EnergyFn = Callable[[int, int], float]
#: ``speech(start_ms, end_ms)``: mean voice-activity (speech) probability of that span, 0..1.
SpeechFn = Callable[[int, int], float]

#: Boilerplate Whisper learned from the end of YouTube videos and broadcasts (ko, en, ja, zh).
OUTRO_PHRASES: tuple[str, ...] = (
    # Korean
    "시청해주셔서 감사합니다",
    "시청해 주셔서 감사합니다",
    "끝까지 시청해주셔서 감사합니다",
    "오늘도 시청해주셔서 감사합니다",
    "구독과 좋아요 부탁드립니다",
    "구독 좋아요 부탁드립니다",
    "좋아요와 구독 부탁드립니다",
    "구독과 좋아요 알림설정 부탁드립니다",
    "구독 좋아요 알림설정",
    "구독과 좋아요",
    "다음 영상에서 만나요",
    "다음 영상에서 뵙겠습니다",
    "한글자막",
    # English
    "Thanks for watching",
    "Thank you for watching",
    "Thank you so much for watching",
    "Please subscribe",
    "Don't forget to subscribe",
    "Like and subscribe",
    "Please like and subscribe",
    "See you in the next video",
    "Subtitles by the Amara.org community",
    # Japanese
    "ご視聴ありがとうございました",
    "ご視聴ありがとうございます",
    "チャンネル登録お願いします",
    "チャンネル登録よろしくお願いします",
    "字幕",
    # Chinese
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
    "谢谢观看",
)

#: Closings people really say, which Whisper also invents over silence: weak evidence only.
WEAK_OUTRO_PHRASES: tuple[str, ...] = (
    "감사합니다",
    "봐주셔서 감사합니다",
    "고맙습니다",
    "수고하셨습니다",
    "안녕히 계세요",
    "안녕히 가세요",
    "Thank you",
    "Thank you very much",
    "Bye",
    "ありがとうございました",
    "谢谢",
)

#: News sign-offs ("MBC 뉴스 이덕영입니다", "KBS 뉴스 김철수입니다") and subtitle credits.
OUTRO_PATTERNS: tuple[str, ...] = (
    r"(?:MBC|KBS|SBS|YTN|JTBC|TV조선|채널A|MBN|연합)\s*뉴스\s*\S{2,5}\s*입니다",
    r"(?:MBC|KBS|SBS|YTN|JTBC)\s*뉴스\s*\S{2,5}\s*기자",
    r"\S{2,5}\s*기자가\s*보도합니다",
    r"자막\s*(?:제공|제작|by)\b.*",
    r"(?i:subtitles?\s+by)\b.*",
    r"(?i:transcribed\s+by)\b.*",
    r"字幕(?:由|制作|提供|:|：).*",
)


@dataclass(frozen=True)
class QualityOptions:
    """Thresholds and weights of :func:`clean_transcript` (see the module docstring)."""

    #: An utterance whose evidence reaches this is dropped.
    drop_score: float = 1.0
    # Whisper's decoder signals (faster-whisper's own thresholds).
    no_speech_prob: float = 0.6
    avg_logprob: float = -1.0
    compression_ratio: float = 2.4
    # Word probabilities.
    low_word_probability: float = 0.45
    very_low_word_probability: float = 0.3
    confident_word_probability: float = 0.5
    #: Lead-in / tail runs: every word below this, mean below ``lead_in_mean``, a pause of at
    #: least ``lead_in_pause_ms`` to a rest whose mean is at least ``lead_in_rest``.
    lead_in_word_probability: float = 0.5
    lead_in_mean: float = 0.4
    lead_in_pause_ms: int = 200
    lead_in_rest: float = 0.6
    lead_in_min_words: int = 2
    #: An utterance within this of a kept neighbour whose mean word probability is at least
    #: ``attach_probability`` is a piece of that speech (counter-evidence ``w_attached``).
    attach_gap_ms: int = 100
    attach_probability: float = 0.6
    #: Only fragments of at most this many words are pieces of their neighbour.
    attach_max_words: int = 4
    #: An utterance within this of dropped text collects ``w_cluster``.
    cluster_gap_ms: int = 1000
    #: A pause between words at least this long cuts an utterance into runs judged on their own
    #: (0 = never). Batched decoding returns a whole VAD chunk (up to 30 s) as one segment; the VAD
    #: merges speech up to 2 s apart, so a longer pause is where its chunks were glued together.
    split_pause_ms: int = 2000
    # Word timing.
    #: A word longer than ``max_word_ms + max_word_ms_per_char * characters`` is stretched.
    max_word_ms: int = 300
    max_word_ms_per_char: int = 250
    max_chars_per_second: float = 25.0
    # Loops.
    loop_min_repeats: int = 4
    loop_max_unit: int = 8
    utterance_loop_repeats: int = 3
    utterance_loop_gap_ms: int = 3000
    # Energy (needs ``energy``).
    silence_below_speech_db: float = 30.0
    quiet_below_speech_db: float = 20.0
    silence_floor_dbfs: float = -65.0
    energy_frame_ms: int = 50
    #: Words at least this probable define the recording's speech level.
    level_word_probability: float = 0.7
    # Voice activity (needs ``speech``).
    vad_silent: float = 0.3
    vad_doubtful: float = 0.45
    # Outros.
    outro_phrases: tuple[str, ...] = OUTRO_PHRASES
    weak_outro_phrases: tuple[str, ...] = WEAK_OUTRO_PHRASES
    outro_patterns: tuple[str, ...] = OUTRO_PATTERNS
    #: A phrase must cover at least this share of the utterance's characters.
    outro_coverage: float = 0.5
    edge_ms: int = 30_000
    #: Prompt echo: the text is a piece of the prompt at least this many characters long.
    echo_min_chars: int = 4
    # Weights.
    w_no_speech: float = 1.0
    w_silence: float = 1.0
    w_quiet: float = 0.5
    w_very_low_confidence: float = 0.7
    w_low_confidence: float = 0.4
    w_no_confident_word: float = 0.3
    w_outro: float = 0.7
    w_weak_outro: float = 0.5
    w_edge: float = 0.2
    w_prompt_echo: float = 0.7
    w_loop: float = 0.5
    w_detached: float = 0.3
    w_logprob: float = 0.3
    w_compression: float = 0.3
    w_timing: float = 0.3
    w_cluster: float = 0.3
    w_script: float = 0.3
    w_vad_silent: float = 0.5
    w_vad_doubtful: float = 0.3
    #: Counter-evidence, subtracted.
    w_attached: float = 0.4

    def __post_init__(self) -> None:
        if self.loop_min_repeats < 2 or self.utterance_loop_repeats < 2:
            raise ValueError("QualityOptions: loop repeats must be at least 2")
        if self.loop_max_unit < 1 or self.energy_frame_ms < 1:
            raise ValueError("QualityOptions: loop_max_unit and energy_frame_ms must be positive")
        if self.drop_score <= 0:
            raise ValueError("QualityOptions: drop_score must be positive")
        if self.split_pause_ms < 0:
            raise ValueError("QualityOptions: split_pause_ms must not be negative")


@dataclass(frozen=True)
class Dropped:
    """Text taken out of the transcript, where, and why."""

    start_ms: int
    end_ms: int
    text: str
    reason: str
    #: The signal codes that added up (``confidence``, ``energy``, ``outro``, ``loop`` ...).
    signals: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------- text detectors

_DROP_CATEGORIES = frozenset("PSZC")


def normalize_text(text: str) -> str:
    """NFKC, case-folded, without spaces, punctuation and symbols: what phrase matching compares."""
    nfkc = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in nfkc if unicodedata.category(ch)[0] not in _DROP_CATEGORIES)


def _phrase_table(options: QualityOptions) -> tuple[tuple[str, str, bool], ...]:
    """(normalized phrase, phrase, strong) for every outro phrase."""
    return tuple((normalize_text(p), p, True) for p in options.outro_phrases) + tuple(
        (normalize_text(p), p, False) for p in options.weak_outro_phrases
    )


def match_outro(text: str, options: QualityOptions | None = None) -> tuple[str, bool] | None:
    """The outro phrase that covers ``text`` and whether it is a strong one, else None.

    A phrase covers the text when its normalized form occurs in the normalized text and makes up
    at least ``outro_coverage`` of it: "시청해주셔서 감사합니다!" matches, a long sentence that
    happens to end in "감사합니다" does not.
    """
    opts = options or QualityOptions()
    norm = normalize_text(text)
    if not norm:
        return None
    best: tuple[str, bool, int] | None = None
    for key, phrase, strong in _phrase_table(opts):
        if key and key in norm:
            covered = len(key) * norm.count(key)
            if covered >= opts.outro_coverage * len(norm) and (
                best is None or (strong, covered) > (best[1], best[2])
            ):
                best = (phrase, strong, covered)
    spaced = unicodedata.normalize("NFKC", text)
    for pattern in opts.outro_patterns:
        m = re.search(pattern, spaced)
        if m is not None:
            covered = len(normalize_text(m.group(0)))
            if covered >= opts.outro_coverage * len(norm) and (best is None or not best[1] or covered > best[2]):
                best = (m.group(0), True, covered)
    return None if best is None else (best[0], best[1])


@dataclass(frozen=True)
class Loop:
    """Tokens ``start .. start + unit * repeats`` are one unit of ``unit`` tokens repeated."""

    start: int
    unit: int
    repeats: int

    @property
    def end(self) -> int:
        return self.start + self.unit * self.repeats


def find_loops(tokens: Sequence[str], *, min_repeats: int = 4, max_unit: int = 8) -> list[Loop]:
    """Runs where a unit of 1..``max_unit`` tokens repeats at least ``min_repeats`` times in a row.

    Tokens are compared normalized (punctuation and case ignored). Left to right, the run covering
    the most tokens wins at each position; runs do not overlap.
    """
    keys = [normalize_text(t) or t for t in tokens]
    n = len(keys)
    loops: list[Loop] = []
    i = 0
    while i < n:
        best: Loop | None = None
        for unit in range(1, max_unit + 1):
            if i + unit * min_repeats > n:
                break
            first = keys[i : i + unit]
            repeats = 1
            while keys[i + unit * repeats : i + unit * (repeats + 1)] == first:
                repeats += 1
            if repeats >= min_repeats and (best is None or unit * repeats > best.unit * best.repeats):
                best = Loop(i, unit, repeats)
        if best is not None:
            loops.append(best)
            i = best.end
        else:
            i += 1
    return loops


#: Unicode name prefixes of the letters each transcript language is written in.
SCRIPTS: dict[str, tuple[str, ...]] = {
    "ko": ("HANGUL",),
    "ja": ("HIRAGANA", "KATAKANA", "CJK"),
    "zh": ("CJK",),
    "en": ("LATIN",),
}


def _script_mismatch(text: str, language: str) -> bool:
    """Whether ``text`` has letters but none in ``language``'s script (English text in a Korean track)."""
    wanted = SCRIPTS.get(language.split("-")[0].lower())
    if not wanted:
        return False
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 2 and not any(unicodedata.name(ch, "").startswith(wanted) for ch in letters)


def _prompt_echo(text: str, prompt_norm: str, options: QualityOptions) -> bool:
    norm = normalize_text(text)
    return len(norm) >= options.echo_min_chars and bool(prompt_norm) and norm in prompt_norm


# --------------------------------------------------------------------------- energy


def energy_profile(track: AudioTrack, *, frame_ms: int = 50, window_s: int = 60) -> EnergyFn:
    """The RMS level (dBFS) of any span of ``track``, from a precomputed frame table.

    The track is read through :func:`streamkit.media.read_pcm` ``window_s`` seconds at a time
    (bounded memory for a 3-hour recording) and reduced to the mean square of every ``frame_ms``
    frame (a 3-hour track: 216,000 floats). A span's level is the mean power of the frames it
    touches, so it is exact to a frame; spans past the end read as silence (-120 dBFS).
    """
    from .media import read_pcm

    if frame_ms < 1:
        raise ValueError("energy_profile: frame_ms must be positive")
    frames: list[NDArray[np.float64]] = []
    per_frame = track.sample_rate * frame_ms // 1000
    window_ms = (window_s * 1000 // frame_ms) * frame_ms
    for start in range(0, max(track.duration_ms, 1), window_ms):
        samples = read_pcm(track, start, start + window_ms).astype(np.float64)
        if samples.size == 0:
            break
        pad = (-samples.size) % per_frame
        if pad:
            samples = np.concatenate([samples, np.zeros(pad)])
        frames.append(np.mean(samples.reshape(-1, per_frame) ** 2, axis=1))
    power = np.concatenate(frames) if frames else np.zeros(0)
    return _EnergyTable(power, frame_ms)


def vad_profile(track: AudioTrack, *, window_s: int = 600) -> SpeechFn:
    """The mean speech probability of any span of ``track``, from Silero VAD (faster-whisper's).

    The track is read ``window_s`` seconds at a time through :func:`streamkit.media.read_pcm` and
    scored in 32 ms frames (512 samples at 16 kHz): a 3-hour track is 337,500 floats and about
    half a minute of CPU. Spans past the end read as 0.
    """
    from faster_whisper.vad import get_vad_model

    from .media import read_pcm

    frame = 512
    frame_ms = frame * 1000 // track.sample_rate  # 32
    model = get_vad_model()
    window_ms = max(window_s * 1000 // frame_ms, 1) * frame_ms
    probs: list[NDArray[np.float64]] = []
    for start in range(0, max(track.duration_ms, 1), window_ms):
        samples = read_pcm(track, start, start + window_ms)
        if samples.size == 0:
            break
        pad = (-samples.size) % frame
        if pad:
            samples = np.concatenate([samples, np.zeros(pad, dtype=np.float32)])
        probs.append(np.asarray(model(samples), dtype=np.float64).reshape(-1))
    return _MeanTable(np.concatenate(probs) if probs else np.zeros(0), frame_ms)


@dataclass(frozen=True)
class _MeanTable:
    values: NDArray[np.float64]
    frame_ms: int

    def __call__(self, start_ms: int, end_ms: int) -> float:
        a = max(0, start_ms) // self.frame_ms
        b = max(a + 1, -(-max(end_ms, 0) // self.frame_ms))
        chunk = self.values[a:b]
        return float(np.mean(chunk)) if chunk.size else 0.0


@dataclass(frozen=True)
class _EnergyTable:
    power: NDArray[np.float64]
    frame_ms: int

    def __call__(self, start_ms: int, end_ms: int) -> float:
        a = max(0, start_ms) // self.frame_ms
        b = max(a + 1, -(-max(end_ms, 0) // self.frame_ms))
        chunk = self.power[a:b]
        if chunk.size == 0:
            return -120.0
        return _db(float(np.mean(chunk)))


def _db(power: float) -> float:
    return 10 * math.log10(power) if power > 1e-12 else -120.0


def _span_level(energy: EnergyFn, spans: Sequence[tuple[int, int]], frame_ms: int) -> float:
    """The median level of the ``frame_ms`` frames covering the spans, in dB.

    The median, not the mean power: a word stretched from the end of a sentence over a second of
    silence is mostly silence, even though its first frames are loud.
    """
    levels: list[float] = []
    for a, b in spans:
        t = a
        while True:
            levels.append(energy(t, min(t + frame_ms, max(b, t + 1))))
            t += frame_ms
            if t >= b:
                break
    levels.sort()
    return levels[len(levels) // 2] if levels else -120.0


def _speech_level(utterances: Sequence[Utterance], energy: EnergyFn, options: QualityOptions) -> float:
    """The recording's speech level: the median level of its confident words (else all words)."""
    words = [w for u in utterances for w in u.words]
    confident = [w for w in words if w.probability >= options.level_word_probability] or words
    if confident:
        levels = sorted(energy(w.start_ms, max(w.end_ms, w.start_ms + 1)) for w in confident)
    else:
        levels = sorted(energy(u.start_ms, max(u.end_ms, u.start_ms + 1)) for u in utterances)
    return levels[len(levels) // 2] if levels else -120.0


# --------------------------------------------------------------------------- scoring


@dataclass
class _Piece:
    """An utterance, or a run of its words, being judged."""

    utterance: Utterance
    words: tuple[Word, ...]
    text: str
    start_ms: int
    end_ms: int
    evidence: list[tuple[str, float, str]] = field(default_factory=list)

    def add(self, code: str, weight: float, why: str) -> None:
        if weight:
            self.evidence.append((code, weight, why))

    @property
    def score(self) -> float:
        return sum(w for _, w, _ in self.evidence)

    def dropped(self) -> Dropped:
        reason = "; ".join(why for _, w, why in self.evidence if w > 0)
        codes = tuple(dict.fromkeys(code for code, w, _ in self.evidence if w > 0))
        return Dropped(self.start_ms, self.end_ms, self.text, reason, codes)


@dataclass(frozen=True)
class _Context:
    options: QualityOptions
    energy: EnergyFn | None
    speech_db: float
    prompt_norm: str
    duration_ms: int
    language: str
    speech: SpeechFn | None = None


def _judge(piece: _Piece, ctx: _Context) -> None:
    """Collect the evidence that ``piece`` is invented."""
    o = ctx.options
    u = piece.utterance
    if u.no_speech_prob >= o.no_speech_prob and u.avg_logprob <= o.avg_logprob:
        piece.add("no_speech", o.w_no_speech,
                  f"Whisper's no-speech rule (no-speech {u.no_speech_prob:.2f}, log-prob {u.avg_logprob:.2f})")
    elif u.avg_logprob < o.avg_logprob:
        piece.add("logprob", o.w_logprob, f"log-probability {u.avg_logprob:.2f}")
    if u.compression_ratio > o.compression_ratio:
        piece.add("compression", o.w_compression, f"compression ratio {u.compression_ratio:.2f}")

    if piece.words:
        probs = [w.probability for w in piece.words]
        mean = sum(probs) / len(probs)
        if mean < o.very_low_word_probability:
            piece.add("confidence", o.w_very_low_confidence, f"word probability {mean:.2f}")
        elif mean < o.low_word_probability:
            piece.add("confidence", o.w_low_confidence, f"word probability {mean:.2f}")
        if max(probs) < o.confident_word_probability:
            piece.add("confidence", o.w_no_confident_word, f"no word above {o.confident_word_probability:.2f}")
        rushed = sum(
            1 for w in piece.words
            if (w.end_ms - w.start_ms) * o.max_chars_per_second < 1000 * len(normalize_text(w.text) or w.text)
        )
        if rushed * 2 >= len(piece.words):
            piece.add("timing", o.w_timing, "implausible word timing")

    if ctx.energy is not None:
        spans = [(w.start_ms, w.end_ms) for w in piece.words] or [(piece.start_ms, piece.end_ms)]
        level = _span_level(ctx.energy, spans, o.energy_frame_ms)
        below = ctx.speech_db - level
        if level < o.silence_floor_dbfs or below >= o.silence_below_speech_db:
            piece.add("energy", o.w_silence, f"silence under the words ({level:.0f} dBFS, {below:.0f} dB below speech)")
        elif below >= o.quiet_below_speech_db:
            piece.add("energy", o.w_quiet, f"quiet under the words ({below:.0f} dB below speech)")

    if ctx.speech is not None:
        spans = [(w.start_ms, w.end_ms) for w in piece.words] or [(piece.start_ms, piece.end_ms)]
        total = sum(max(b - a, 1) for a, b in spans)
        vad = sum(ctx.speech(a, max(b, a + 1)) * max(b - a, 1) for a, b in spans) / total
        if vad < o.vad_silent:
            piece.add("vad", o.w_vad_silent, f"no speech for the voice activity detector ({vad:.2f})")
        elif vad < o.vad_doubtful:
            piece.add("vad", o.w_vad_doubtful, f"little speech for the voice activity detector ({vad:.2f})")

    outro = match_outro(piece.text, o)
    if outro is not None:
        phrase, strong = outro
        piece.add("outro", o.w_outro if strong else o.w_weak_outro, f"outro phrase {phrase!r}")
        if piece.start_ms < o.edge_ms or (ctx.duration_ms and ctx.duration_ms - piece.end_ms < o.edge_ms):
            piece.add("outro", o.w_edge, "at the recording's start or end")
    if _script_mismatch(piece.text, ctx.language):
        piece.add("script", o.w_script, f"not in the script of {ctx.language!r}")
    if ctx.prompt_norm and _prompt_echo(piece.text, ctx.prompt_norm, o):
        piece.add("prompt_echo", o.w_prompt_echo, "echoes the prompt")


# --------------------------------------------------------------------------- the passes


def _tokens(u: Utterance) -> list[str]:
    return [w.text for w in u.words] if u.words else u.text.split()


def _rebuild(u: Utterance, keep: Sequence[int]) -> Utterance | None:
    """``u`` with only the tokens at ``keep`` (word indexes, or text token indexes without words)."""
    if u.words:
        words = tuple(u.words[i] for i in keep)
        if not words:
            return None
        if len(words) == len(u.words):
            return u
        return replace(u, words=words, text=" ".join(w.text for w in words),
                       start_ms=words[0].start_ms, end_ms=max(w.end_ms for w in words))
    tokens = u.text.split()
    kept = [tokens[i] for i in keep]
    if not kept:
        return None
    if len(kept) == len(tokens):
        return u
    return replace(u, text=" ".join(kept))


def _span_text(u: Utterance, idx: Sequence[int]) -> str:
    toks = _tokens(u)
    return " ".join(toks[i] for i in idx)


def _collapse_loops(
    utterances: Sequence[Utterance], o: QualityOptions, dropped: list[Dropped]
) -> tuple[list[Utterance], dict[int, tuple[tuple[int, int], ...]]]:
    """Collapse loops inside utterances and across identical consecutive ones.

    Returns the utterances and, for each position (in the returned list) that held a loop, the
    time spans of what is left of its loops (so a run of a long utterance is told only about the
    loop it holds).
    """
    out: list[Utterance] = []
    looped: dict[int, tuple[tuple[int, int], ...]] = {}
    # The kept head of an utterance loop: (position in ``out``, normalized text, last repeat's end).
    head: tuple[int, str, int] | None = None
    for u in utterances:
        toks = _tokens(u)
        loops = find_loops(toks, min_repeats=o.loop_min_repeats, max_unit=o.loop_max_unit)
        kept_spans: tuple[tuple[int, int], ...] = ()
        if loops:
            kept_spans = tuple(_idx_span(u, list(range(lp.start, lp.start + lp.unit))) for lp in loops)
            drop_idx: set[int] = set()
            for lp in loops:
                idx = list(range(lp.start + lp.unit, lp.end))
                drop_idx.update(idx)
                a, b = _idx_span(u, idx)
                dropped.append(Dropped(a, b, _span_text(u, idx), f"looped repetition ({lp.repeats} times)", ("loop",)))
            rebuilt = _rebuild(u, [i for i in range(len(toks)) if i not in drop_idx])
            assert rebuilt is not None  # the first occurrence of every loop stays
            u = rebuilt
        key = normalize_text(u.text)
        if head is not None and head[0] == len(out) - 1 and key == head[1] and (
            u.start_ms - head[2] <= o.utterance_loop_gap_ms
        ):
            dropped.append(Dropped(u.start_ms, u.end_ms, u.text, f"looped repetition of {u.text!r}", ("loop",)))
            head = (head[0], key, u.end_ms)
            continue
        run = _identical_run(out, u, o)
        if key and run + 1 >= o.utterance_loop_repeats:
            first = len(out) - run
            for extra in [*out[first + 1 :], u]:
                dropped.append(Dropped(extra.start_ms, extra.end_ms, extra.text,
                                       f"looped repetition of {extra.text!r}", ("loop",)))
            del out[first + 1 :]
            looped = {i: spans for i, spans in looped.items() if i < first}
            looped[first] = ((out[first].start_ms, out[first].end_ms),)
            head = (first, key, u.end_ms)
            continue
        if loops:
            looped[len(out)] = kept_spans
        out.append(u)
    return out, looped


def _idx_span(u: Utterance, idx: Sequence[int]) -> tuple[int, int]:
    if u.words and idx:
        ws = [u.words[i] for i in idx]
        return ws[0].start_ms, max(w.end_ms for w in ws)
    return u.start_ms, u.end_ms


def _identical_run(out: Sequence[Utterance], u: Utterance, o: QualityOptions) -> int:
    """How many utterances at the end of ``out`` are identical to ``u`` and close in time to it."""
    key = normalize_text(u.text)
    count = 0
    nxt = u
    for prev in reversed(out):
        if normalize_text(prev.text) != key or nxt.start_ms - prev.end_ms > o.utterance_loop_gap_ms:
            break
        count += 1
        nxt = prev
    return count


def _edge_runs(u: Utterance, o: QualityOptions) -> list[tuple[str, list[int]]]:
    """Leading / trailing low-probability runs detached from a confident rest by a pause.

    The run ends at the last pause of at least ``lead_in_pause_ms`` inside the utterance's
    low-probability prefix (the invented words, then the speech's own first, often uncertain,
    words); a tail run starts at the first such pause inside the low-probability suffix.
    """
    words = u.words
    n = len(words)
    runs: list[tuple[str, list[int]]] = []
    if n < o.lead_in_min_words + 1:
        return runs
    low = [w.probability < o.lead_in_word_probability for w in words]
    prefix = 0
    while prefix < n and low[prefix]:
        prefix += 1
    suffix = 0
    while suffix < n and low[n - 1 - suffix]:
        suffix += 1

    def gap(i: int) -> int:  # pause after word i
        return words[i + 1].start_ms - words[i].end_ms

    def qualifies(idx: list[int], rest: list[int]) -> bool:
        if len(idx) < o.lead_in_min_words or not rest:
            return False
        mean = sum(words[i].probability for i in idx) / len(idx)
        rest_mean = sum(words[i].probability for i in rest) / len(rest)
        return mean < o.lead_in_mean and rest_mean >= o.lead_in_rest

    lead_end = 0
    for i in range(min(prefix, n - 1) - 1, -1, -1):
        if gap(i) >= o.lead_in_pause_ms:
            idx = list(range(i + 1))
            if qualifies(idx, list(range(i + 1, n))):
                runs.append(("lead", idx))
                lead_end = i + 1
            break
    for i in range(max(n - suffix, 1), n):
        if i - 1 >= lead_end and gap(i - 1) >= o.lead_in_pause_ms:
            idx = list(range(i, n))
            if qualifies(idx, list(range(lead_end, i))):
                runs.append(("tail", idx))
            break
    return runs


def _mean_probability(u: Utterance) -> float:
    return sum(w.probability for w in u.words) / len(u.words) if u.words else 1.0


def _attached(utterances: Sequence[Utterance], anchors: Sequence[bool], pos: int, o: QualityOptions) -> bool:
    """Whether utterance ``pos`` touches (within ``attach_gap_ms``) a neighbour that is an anchor."""
    u = utterances[pos]
    if len(_tokens(u)) > o.attach_max_words:
        return False
    before = pos > 0 and anchors[pos - 1] and u.start_ms - utterances[pos - 1].end_ms <= o.attach_gap_ms
    after = (
        pos + 1 < len(utterances) and anchors[pos + 1] and utterances[pos + 1].start_ms - u.end_ms <= o.attach_gap_ms
    )
    return bool(before or after)


def _next_to_dropped(utterances: Sequence[Utterance], drop: Sequence[bool], pos: int, gap_ms: int) -> bool:
    u = utterances[pos]
    before = pos > 0 and drop[pos - 1] and u.start_ms - utterances[pos - 1].end_ms <= gap_ms
    after = pos + 1 < len(utterances) and drop[pos + 1] and utterances[pos + 1].start_ms - u.end_ms <= gap_ms
    return bool(before or after)


def _max_word_ms(w: Word, o: QualityOptions) -> int:
    return o.max_word_ms + o.max_word_ms_per_char * max(len(normalize_text(w.text)), 1)


def _silence_db(ctx: _Context) -> float | None:
    if ctx.energy is None or ctx.speech_db <= -120:
        return None
    return max(ctx.speech_db - ctx.options.silence_below_speech_db, ctx.options.silence_floor_dbfs)


def _trim_silence(w: Word, *, at_start: bool, at_end: bool, ctx: _Context) -> tuple[int, int]:
    """``w``'s span without the silent energy frames at its outer edges (at least one frame kept)."""
    start, end = w.start_ms, w.end_ms
    silent = _silence_db(ctx)
    if silent is None or ctx.energy is None or end <= start:
        return start, end
    step = ctx.options.energy_frame_ms
    if at_start:
        while end - start > step and ctx.energy(start, start + step) < silent:
            start += step
    if at_end:
        while end - start > step and ctx.energy(end - step, end) < silent:
            end -= step
    return start, end


def _retime(u: Utterance, ctx: _Context, *, keep_start: bool = False, keep_end: bool = False) -> Utterance:
    """Edge words lose silent frames; words longer than plausible shrink toward the speech.

    Whisper's word timestamps absorb the non-speech before a word into that word, so an over-long
    word keeps its end and loses its start, except the utterance's last word, which keeps its
    start and loses its lingering end. Words only ever shrink inside their own span. An edge that
    touches the neighbouring utterance (``keep_start``/``keep_end``) is continuous speech and
    stays where it is.
    """
    if not u.words:
        return u
    o = ctx.options
    n = len(u.words)
    spans = [(w.start_ms, w.end_ms) for w in u.words]
    first, last = u.words[0], u.words[-1]
    spans[0] = _trim_silence(first, at_start=not keep_start, at_end=n == 1 and not keep_end, ctx=ctx)
    if n > 1:
        spans[-1] = _trim_silence(last, at_start=False, at_end=not keep_end, ctx=ctx)
        a, b = spans[-1]
        if not keep_end and b - a > _max_word_ms(last, o):
            spans[-1] = (a, a + _max_word_ms(last, o))
    for i in range(n - 1 if n > 1 else 1):
        a, b = spans[i]
        cap = _max_word_ms(u.words[i], o)
        if b - a > cap and not (i == 0 and keep_start):
            spans[i] = (b - cap, b)
    if all(span == (w.start_ms, w.end_ms) for span, w in zip(spans, u.words, strict=True)):
        return u
    words = tuple(
        w if span == (w.start_ms, w.end_ms) else replace(w, start_ms=span[0], end_ms=span[1])
        for span, w in zip(spans, u.words, strict=True)
    )
    start = words[0].start_ms
    return replace(u, words=words, start_ms=start, end_ms=max(max(w.end_ms for w in words), start))


def _plausible_start(u: Utterance, i: int, o: QualityOptions) -> int:
    """Where word ``i`` of ``u`` can start: an over-long word counts only for its plausible length.

    The same rule as :func:`_retime`: Whisper stretches a word over the non-speech before it, so it
    keeps its end, except the utterance's last word, which keeps its start.
    """
    w = u.words[i]
    if i == len(u.words) - 1:
        return w.start_ms
    return max(w.start_ms, w.end_ms - _max_word_ms(w, o))


def _split_runs(u: Utterance, o: QualityOptions) -> list[Utterance]:
    """``u`` cut at every pause of at least ``split_pause_ms`` between its words (else ``[u]``).

    The pause is measured to the next word's plausible start, and a run's first word shrinks to
    it: that is what :func:`_retime` would make of it, and it keeps a word Whisper stretched over
    seconds of music from gluing the run before it to the speech after.
    """
    words = u.words
    if o.split_pause_ms <= 0 or len(words) < 2:
        return [u]
    cuts: list[int] = []
    latest = words[0].end_ms
    for i in range(1, len(words)):
        if _plausible_start(u, i, o) - latest >= o.split_pause_ms:
            cuts.append(i)
        latest = max(latest, words[i].end_ms)
    if not cuts:
        return [u]
    runs = []
    for a, b in itertools.pairwise([0, *cuts, len(words)]):
        ws = list(words[a:b])
        if a > 0 and (start := _plausible_start(u, a, o)) != ws[0].start_ms:
            ws[0] = replace(ws[0], start_ms=start)
        runs.append(replace(u, words=tuple(ws), text=" ".join(w.text for w in ws), start_ms=ws[0].start_ms,
                            end_ms=max(w.end_ms for w in ws)))
    return runs


def _join_runs(kept: Sequence[Utterance], origin: Sequence[int], utterances: Sequence[Utterance]) -> list[Utterance]:
    """The kept runs put back together, one utterance per original one (the original if unchanged)."""
    out: list[Utterance] = []
    for i, group in itertools.groupby(zip(origin, kept, strict=True), key=lambda item: item[0]):
        runs = [run for _, run in group]
        u = utterances[i]
        words = tuple(w for run in runs for w in run.words)
        if len(runs) == 1:
            out.append(runs[0])
        elif words == u.words:
            out.append(u)
        else:
            # Whisper's own text while every word is there (only times shrank), else the words'.
            text = u.text if len(words) == len(u.words) else " ".join(w.text for w in words)
            start = runs[0].start_ms
            out.append(replace(u, words=words, text=text, start_ms=start,
                               end_ms=max(start, max(run.end_ms for run in runs))))
    return out


def _merge_dropped(parts: Sequence[Dropped]) -> Dropped:
    """Several dropped runs of one utterance as one piece: its whole text, every reason."""
    reasons = dict.fromkeys(r for d in parts for r in d.reason.split("; "))
    signals = dict.fromkeys(code for d in parts for code in d.signals)
    return Dropped(min(d.start_ms for d in parts), max(d.end_ms for d in parts), " ".join(d.text for d in parts),
                   "; ".join(reasons), tuple(signals))


def _pass(
    transcript: Transcript, o: QualityOptions, energy: EnergyFn | None, prompt: str | None, speech: SpeechFn | None
) -> tuple[Transcript, list[Dropped]]:
    """One pass of :func:`clean_transcript`."""
    dropped: list[Dropped] = []
    utterances, looped = _collapse_loops(transcript.utterances, o, dropped)
    speech_db = _speech_level(utterances, energy, o) if energy is not None else -120.0
    ctx = _Context(o, energy, speech_db, normalize_text(prompt or ""), transcript.duration_ms, transcript.language,
                   speech)

    # Runs: every utterance cut at its long pauses (a batched segment is a whole VAD chunk, up to
    # 30 s: sentences with music between them). Each run is judged as an utterance of its own and
    # the kept runs are put back together at the end; ``origin`` is each run's utterance.
    runs: list[Utterance] = []
    origin: list[int] = []
    for i, u in enumerate(utterances):
        for run in _split_runs(u, o):
            runs.append(run)
            origin.append(i)

    # Lead-in / tail runs: judged on their own; the rest of the utterance stays.
    trimmed: list[Utterance] = []
    for u in runs:
        drop_idx: set[int] = set()
        for _, idx in _edge_runs(u, o):
            ws = tuple(u.words[i] for i in idx)
            piece = _Piece(u, ws, " ".join(w.text for w in ws), ws[0].start_ms, max(w.end_ms for w in ws))
            piece.add("detached", o.w_detached, "low-confidence run detached from the speech by a pause")
            _judge(piece, ctx)
            if piece.score >= o.drop_score:
                drop_idx.update(idx)
                dropped.append(piece.dropped())
        rebuilt = _rebuild(u, [i for i in range(len(u.words)) if i not in drop_idx]) if drop_idx else u
        assert rebuilt is not None  # the confident rest stays
        trimmed.append(rebuilt)

    # Whole utterances. A fragment glued to confident speech that stays, over audio as loud as
    # speech that the VAD calls speech, is a piece of that speech (Whisper cuts segments
    # mid-sentence): that counts against dropping it.
    pieces = []
    for pos, u in enumerate(trimmed):
        piece = _Piece(u, u.words, u.text, u.start_ms, u.end_ms)
        if any(a <= u.end_ms and b >= u.start_ms for a, b in looped.get(origin[pos], ())):
            piece.add("loop", o.w_loop, "was repeated in a loop")
        _judge(piece, ctx)
        pieces.append(piece)
    anchors = [p.score < o.drop_score and _mean_probability(p.utterance) >= o.attach_probability for p in pieces]
    for pos, piece in enumerate(pieces):
        quiet = any(code in ("energy", "vad") for code, _, _ in piece.evidence)
        if piece.score >= o.drop_score and not quiet and _attached(trimmed, anchors, pos, o):
            piece.add("attached", -o.w_attached, "touches confident speech")
    # Invented text comes in clusters over one stretch of music or noise: next to dropped text
    # is evidence too. Repeated until nothing changes (drops only grow, so this ends).
    drop = [p.score >= o.drop_score for p in pieces]
    changed = True
    while changed:
        changed = False
        for pos, piece in enumerate(pieces):
            if drop[pos] or any(code == "cluster" for code, _, _ in piece.evidence):
                continue
            if _next_to_dropped(trimmed, drop, pos, o.cluster_gap_ms):
                piece.add("cluster", o.w_cluster, "next to invented text")
                if piece.score >= o.drop_score:
                    drop[pos] = changed = True
    kept: list[Utterance] = []
    kept_origin: list[int] = []
    gone_runs: dict[int, list[Dropped]] = {}
    for pos, (piece, gone) in enumerate(zip(pieces, drop, strict=True)):
        if gone:
            gone_runs.setdefault(origin[pos], []).append(piece.dropped())
        else:
            kept.append(piece.utterance)
            kept_origin.append(origin[pos])
    for i, parts in gone_runs.items():
        # An utterance dropped run by run is reported as one piece.
        whole = len(parts) > 1 and len(parts) == origin.count(i)
        dropped.extend([_merge_dropped(parts)] if whole else parts)
    gap = o.attach_gap_ms
    kept = [
        _retime(
            u,
            ctx,
            keep_start=i > 0 and u.start_ms - kept[i - 1].end_ms <= gap,
            keep_end=i + 1 < len(kept) and kept[i + 1].start_ms - u.end_ms <= gap,
        )
        for i, u in enumerate(kept)
    ]

    # Keep the transcript's time order (trimming only moves starts later).
    ordered: list[Utterance] = []
    previous = 0
    for u in _join_runs(kept, kept_origin, utterances):
        if u.start_ms < previous:
            u = replace(u, start_ms=previous, end_ms=max(u.end_ms, previous))
        previous = u.start_ms
        ordered.append(u)
    if len(ordered) == len(transcript.utterances) and all(
        a is b for a, b in zip(ordered, transcript.utterances, strict=True)
    ):
        return transcript, dropped
    return replace(transcript, utterances=tuple(ordered)), dropped


def clean_transcript(
    transcript: Transcript,
    options: QualityOptions | None = None,
    *,
    energy: EnergyFn | None = None,
    prompt: str | None = None,
    speech: SpeechFn | None = None,
) -> tuple[Transcript, tuple[Dropped, ...]]:
    """``transcript`` without invented text, loops and edge timing over silence; what was dropped.

    Pure: the same input gives the same output; kept words keep their text and order (their
    times may only shrink), and nothing is added. ``energy`` (see :func:`energy_profile`) enables
    the silence signal and the edge trimming; ``speech`` (see :func:`vad_profile`) the voice
    activity signal; ``prompt`` (the initial prompt and hotwords given to Whisper) the prompt-echo
    signal.
    """
    o = options or QualityOptions()
    dropped: list[Dropped] = []
    result = transcript
    # One pass can expose more (three identical utterances once the one between them is gone):
    # repeat until nothing changes, so cleaning a cleaned transcript changes nothing. Every
    # pass that changes something removes a word or shrinks a span, so this ends.
    for _ in range(sum(len(u.words) or 1 for u in transcript.utterances) + 2):
        cleaned, more = _pass(result, o, energy, prompt, speech)
        dropped.extend(more)
        if cleaned == result:
            break
        result = cleaned
    dropped.sort(key=lambda d: (d.start_ms, d.end_ms))
    for d in dropped:
        log.info("dropped %d-%d ms %r: %s", d.start_ms, d.end_ms, d.text, d.reason)
    return result, tuple(dropped)


def dropped_summary(dropped: Sequence[Dropped]) -> dict[str, Any]:
    """What the run summary shows: how many pieces were dropped, by signal, and each one."""
    by_signal: dict[str, int] = {}
    for d in dropped:
        for code in d.signals:
            by_signal[code] = by_signal.get(code, 0) + 1
    return {
        "count": len(dropped),
        "by_signal": dict(sorted(by_signal.items())),
        "items": [
            {"start_ms": d.start_ms, "end_ms": d.end_ms, "text": d.text, "reason": d.reason,
             "signals": list(d.signals)}
            for d in dropped
        ],
    }
