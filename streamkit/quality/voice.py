"""Where the voice really is: words fitted to the voice near their claimed time, voiced stretches.

Whisper's times can sit up to about 2 s away from the voice they transcribe (sequential
decoding especially, and short replies between long pauses most of all), so evidence measured
strictly under the claimed words reads a pause or the music next to the voice. Here a *voice
frame* is an ``energy_frame_ms`` frame whose level is at most ``quiet_below_speech_db`` below the
recording's speech level (and above the silence floor) and whose voice-activity probability is
at least ``voice_vad``: the energy and the voice activity detector both say someone speaks.

* :func:`fit_voice`: the shift (within ``voice_search_ms``) that puts the most of a piece's word
  frames on voice frames, and the level, VAD and voice share measured there. The filter judges a
  piece where it fits, and a piece mostly on voice is *over voice*: only known invented patterns
  drop it (``pattern_signals``), never its confidence.
A voiced stretch must also differ by ``voice_contrast_db`` (8 dB) from the quiet fifth of the
1.5 s on each side, and last at most ``voice_max_ms`` (8 s) unbroken: the VAD hears voice in sung
vocals and crowd babble too, but those go on at one level and for long, while a speaker talks
between pauses, over a bed well below the voice, or next to a louder sound (measured on the
stress and conversational recordings: speech stands 8 dB or more above its surroundings in 95 %
of turns, music in under 10 % of its seconds). Long unbroken talk is left to the other evidence.

* :func:`voice_in_reach`: whether anything within ``voice_search_ms`` of a piece may be a voice (a
  voiced stretch, or a voice too short to make one that the VAD hears and that stands out from the
  sound on one side at least). Where nothing may be, a short unsure piece is invented or misplaced.
* :func:`voiced_stretches`: every stretch of voice frames (gaps up to ``voice_gap_ms`` bridged)
  at least ``voice_min_ms`` long; :func:`uncovered` keeps those with no word on them.
* :func:`voice_heads`: the start of a run too long to be a stretch, where a voice comes in and runs on
  into a crowd or music.
(:func:`~streamkit.quality.align.align_to_voice` moves kept utterances onto the voice they fit.)

Pure: the audio enters through the ``energy`` and ``speech`` callables, as everywhere here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..models import Transcript, Utterance
from .options import EnergyFn, QualityOptions, SpeechFn
from .profiles import _speech_level

__all__ = [
    "VoiceFit",
    "fit_voice",
    "phone_stretches",
    "phone_turns",
    "speech_level",
    "starts_voice",
    "turns_without_words",
    "uncovered",
    "voice_floor_db",
    "voice_heads",
    "voice_in_reach",
    "voiced_stretches",
    "without_music_runs",
]


def speech_level(transcript: Transcript, energy: EnergyFn, o: QualityOptions) -> float:
    """The recording's speech level (dBFS): the median level of its confident words."""
    return _speech_level(transcript.utterances, energy, o)


@dataclass(frozen=True)
class VoiceFit:
    """How a piece's word frames sit on the voice at the best shift."""

    shift_ms: int
    #: Share of the piece's frames that are voice frames at that shift.
    share: float
    #: Median frame level (dBFS) and mean voice-activity probability at that shift.
    level_db: float
    vad: float


def voice_floor_db(speech_db: float, o: QualityOptions) -> float:
    """The lowest level a voice frame may have: ``silence_below_speech_db`` under the speech level."""
    return max(speech_db - o.silence_below_speech_db, o.silence_floor_dbfs)


def _frames(spans: Sequence[tuple[int, int]], step: int) -> list[int]:
    """Frame indexes (of ``step`` ms) the spans touch, in order, without repeats."""
    out: dict[int, None] = {}
    for a, b in spans:
        for i in range(max(a, 0) // step, max(-(-max(b, a + 1) // step), max(a, 0) // step + 1)):
            out[i] = None
    return list(out)


def fit_voice(
    spans: Sequence[tuple[int, int]], energy: EnergyFn, speech: SpeechFn, voiced: Sequence[tuple[int, int]],
    o: QualityOptions, taken: Sequence[tuple[int, int]] = (),
) -> VoiceFit:
    """The best shift of ``spans`` onto the ``voiced`` stretches within ``voice_search_ms`` (see the module doc).

    Ties go to the smallest shift, so a piece already on the voice stays where it is; the search
    runs only when the unshifted spans are not already mostly on voice. Shifted, the spans never count the
    frames of ``taken`` (the words of the other pieces) as their voice: that voice is another line's.
    """
    step = o.energy_frame_ms
    frames = _frames(spans, step)
    if not frames:
        return VoiceFit(0, 0.0, -120.0, 0.0)
    reach = o.voice_search_ms // step
    lo, hi = max(frames[0] - reach, 0), frames[-1] + reach + 1
    near = [(a // step, -(-b // step)) for a, b in voiced if a < hi * step and b > lo * step]
    on = {i for a, b in near for i in range(a, b)}
    held = {i for a, b in taken if a < hi * step and b > lo * step  # frames wholly inside another piece's words
            for i in range(-(-a // step), b // step)}
    free = on - held
    cache: dict[int, tuple[float, float]] = {}

    def frame(i: int) -> tuple[float, float]:
        if i not in cache:
            cache[i] = (energy(i * step, (i + 1) * step), speech(i * step, (i + 1) * step))
        return cache[i]

    def measure(k: int) -> VoiceFit:
        idx = [i + k for i in frames if i + k >= 0]
        if not idx:
            return VoiceFit(k * step, 0.0, -120.0, 0.0)
        levels = sorted(frame(i)[0] for i in idx)
        vad = sum(frame(i)[1] for i in idx) / len(idx)
        voice = on if k == 0 else free
        return VoiceFit(k * step, sum(1 for i in idx if i in voice) / len(frames), levels[len(levels) // 2], vad)

    def share(k: int) -> float:
        voice = on if k == 0 else free
        return sum(1 for i in frames if i + k in voice) / len(frames)

    best = 0
    if share(0) < o.voice_share and on:
        for k in sorted(range(-reach, reach + 1), key=abs):
            if frames[0] + k >= 0 and share(k) > share(best):
                best = k
    fit = measure(best)
    if best:
        # Where the words lie is louder and more voice for the VAD than where a stretch would take them: they
        # are on a voice the stretches leave out (one running into music: conv-102 at 44.8 s, a reply at -19
        # dBFS before a music bed, moved onto the silence before it and dropped as silent).
        here = measure(0)
        if here.level_db >= fit.level_db and here.vad >= fit.vad:
            return here
    return fit


def voice_in_reach(
    spans: Sequence[tuple[int, int]], energy: EnergyFn, speech: SpeechFn, voiced: Sequence[tuple[int, int]],
    duration_ms: int, o: QualityOptions,
) -> bool:
    """Whether a voice may lie within ``voice_search_ms`` of ``spans`` (a piece's words, in place).

    Yes when a ``voiced`` stretch reaches that far; else when the spans themselves hold voice too
    short for a stretch (a quick "네" between pauses): the VAD hears speech there (``voice_vad``)
    and their level stands out from the sound before or after them (:func:`_stands_out`, one side
    is enough: a reply right after a sentence, or right before music as loud). Music and crowd
    noise go on at one level on both sides; silence and noise the VAD does not call speech.
    """
    if not spans:
        return False
    step = o.energy_frame_ms
    start, end = min(a for a, _ in spans), max(b for _, b in spans)
    if any(a < end + o.voice_search_ms and b > start - o.voice_search_ms for a, b in voiced):
        return True
    frames = _frames(spans, step)
    if sum(speech(i * step, (i + 1) * step) for i in frames) / len(frames) < o.voice_vad:
        return False
    levels = sorted(energy(i * step, (i + 1) * step) for i in frames)
    before = [energy(t, t + step) for t in range(max(start - o.voice_search_ms, 0), start - step + 1, step)]
    first_after = -(-end // step) * step
    after = [energy(t, t + step) for t in range(first_after, min(end + o.voice_search_ms, duration_ms), step)]
    return _stands_out(levels[len(levels) // 2], before, after, o, strict=False)


def _stands_out(
    median_db: float, before: Sequence[float], after: Sequence[float], o: QualityOptions, *, strict: bool = True
) -> bool:
    """Whether neither side of a span goes on at its level (within ``voice_contrast_db``).

    Speech comes between pauses, over a bed well below it, or next to a louder sound (music
    coming in); music, crowd and noise go on at one level, though the VAD hears voice in sung
    vocals and babble. Each side is read by its quiet fifth; a side past the track's edge agrees.
    Not ``strict``: one side agreeing is enough (speech followed by music as loud as it).
    """
    agree = []
    for side in (before, after):
        ordered = sorted(side)
        agree.append(not side or abs(median_db - ordered[len(ordered) // 5]) >= o.voice_contrast_db)
    return all(agree) if strict else any(agree)


def voiced_stretches(
    energy: EnergyFn, speech: SpeechFn, duration_ms: int, speech_db: float, o: QualityOptions, *, strict: bool = True
) -> list[tuple[int, int]]:
    """Every stretch of voice frames ``voice_min_ms`` to ``voice_max_ms`` long (gaps to ``voice_gap_ms``
    bridged) that stands out from both sides (not ``strict``: from one side; see :func:`_stands_out`)."""
    return [(a, b) for a, b in _voice_runs(energy, speech, duration_ms, speech_db, o)
            if o.voice_min_ms <= b - a <= o.voice_max_ms and _stretch_stands_out(energy, a, b, duration_ms, o, strict)]


def voice_heads(
    energy: EnergyFn, speech: SpeechFn, duration_ms: int, speech_db: float, o: QualityOptions
) -> list[tuple[int, int]]:
    """The first ``voice_head_ms`` of every run of voice frames longer than ``voice_max_ms`` whose head
    stands out from the audio before it: a voice coming in after a pause and running on, with no pause,
    into a crowd or music that the VAD hears as voice too. Such a run is no voiced stretch (too long), and
    the speech region over it holds the words of whoever speaks at its far end: conv-103 at 160.9 s, a
    line at -33 dBFS after 4.6 s of silence, then 16.5 s of babble at -28 dBFS (one 19 s run), was lost.
    A head may as well be music coming in after a pause: what it holds is kept only where Whisper trusts
    it (``rescue._trusted``)."""
    return [(a, a + o.voice_head_ms) for a, b in _voice_runs(energy, speech, duration_ms, speech_db, o)
            if b - a > o.voice_max_ms
            and _stretch_stands_out(energy, a, a + o.voice_head_ms, duration_ms, o, strict=True, after=False)]


def _voice_runs(
    energy: EnergyFn, speech: SpeechFn, duration_ms: int, speech_db: float, o: QualityOptions
) -> list[tuple[int, int]]:
    """The runs of voice frames: at voice level (``voice_floor_db``) with a VAD probability of ``voice_vad``."""
    floor = voice_floor_db(speech_db, o)
    return _frame_runs(lambda a, b: energy(a, b) >= floor and speech(a, b) >= o.voice_vad, duration_ms, o)


def _frame_runs(holds: Callable[[int, int], bool], duration_ms: int, o: QualityOptions) -> list[tuple[int, int]]:
    """The runs of ``energy_frame_ms`` frames where ``holds``, gaps up to ``voice_gap_ms`` bridged."""
    step = o.energy_frame_ms
    runs: list[tuple[int, int]] = []
    start: int | None = None
    last_end = 0
    for t in range(0, max(duration_ms, 0), step):
        if holds(t, t + step):
            if start is None or t - last_end > o.voice_gap_ms:
                if start is not None:
                    runs.append((start, last_end))
                start = t
            last_end = min(t + step, duration_ms)
    if start is not None:
        runs.append((start, last_end))
    return runs


def _stretch_stands_out(energy: EnergyFn, a: int, b: int, duration_ms: int, o: QualityOptions, strict: bool,
                        *, after: bool = True) -> bool:
    """:func:`_stands_out` for ``a``-``b`` against the ``voice_search_ms`` before it and (``after``) after it."""
    step = o.energy_frame_ms
    inner = sorted(energy(t, t + step) for t in range(a, b, step))
    before = [energy(t, t + step) for t in range(max(a - o.voice_search_ms, 0), a, step)]
    following = [energy(t, t + step) for t in range(b, min(b + o.voice_search_ms, duration_ms), step)] if after else []
    return _stands_out(inner[len(inner) // 2], before, following, o, strict=strict)


def uncovered(stretches: Sequence[tuple[int, int]], transcript: Transcript) -> list[tuple[int, int]]:
    """The stretches on which no word (or, without words, no utterance) of ``transcript`` lies."""
    spans = [(w.start_ms, w.end_ms) for u in transcript.utterances for w in u.words]
    spans += [(u.start_ms, u.end_ms) for u in transcript.utterances if not u.words]
    out = []
    for a, b in stretches:
        if not any(s < b and e > a for s, e in spans):
            out.append((a, b))
    return out


def unheard(stretches: Sequence[tuple[int, int]], transcript: Transcript, reach_ms: int,
            min_ms: int, *, widen: bool = False) -> list[tuple[int, int]]:
    """The parts of the stretches that some word of ``transcript`` lies on which are farther than
    ``reach_ms`` from every word, each at least ``min_ms`` long (stretches no word lies on: :func:`uncovered`).
    ``widen``: each part reaching on to the words on its sides (within its stretch), to be decoded whole.

    A stretch is not heard because one word lies on it: conv-103 at 180.7 s, batched decoding gave
    a 4.5 s stretch only "네," at its end, and the sentence before it (2.9 s at -19 dBFS) had no cue.
    ``reach_ms`` leaves the voice next to a word to it: Whisper's word times sit up to that far off. But a
    part decoded without that voice is a sentence cut off: with "네," moved on to the voice's last 0.4 s,
    the part (1.3 s) read "안철수 대수와 구미지"; up to the word, "안철수대소와 국민의당을 어떤 선택을 하잖아요".
    """
    words = [(w.start_ms, w.end_ms) for u in transcript.utterances for w in u.words]
    words += [(u.start_ms, u.end_ms) for u in transcript.utterances if not u.words]
    spans = sorted((a - reach_ms, b + reach_ms) for a, b in words)
    grow = reach_ms if widen else 0
    out = []
    for a, b in stretches:
        if not any(s < b and e > a for s, e in words):
            continue
        cur = a
        for s, e in (span for span in spans if span[0] < b and span[1] > a):
            if s - cur >= min_ms:
                out.append((max(cur - grow, a), min(s + grow, b)))
            cur = max(cur, e)
        if b - cur >= min_ms:
            out.append((max(cur - grow, a), b))
    return out


def without_words(stretches: Sequence[tuple[int, int]], transcript: Transcript,
                  o: QualityOptions) -> list[tuple[int, int]]:
    """Voice left without a word: the stretches no word lies on (:func:`uncovered`) and the parts of the
    others ``voice_search_ms`` from every word (:func:`unheard`), in time order. What the run reports
    and ``check --video`` lists."""
    return sorted([*uncovered(stretches, transcript), *unheard(stretches, transcript, o.voice_search_ms,
                                                                o.voice_min_ms)])


def starts_voice(region: tuple[int, int], energy: EnergyFn, floor_db: float, o: QualityOptions) -> bool:
    """Whether a speech region begins where a voice comes in: at voice level, and standing out by
    ``voice_contrast_db`` from the quiet fifth of the ``voice_search_ms`` before it. A region at the
    track's start, with nothing before it to compare, must stand out from what follows it instead
    (stress-0: the VAD's region over the music that opens the recording was decoded as "1, 2, 3, 4").

    A turn starts on an onset, after a pause or over a bed below it. A region the VAD opens inside music
    or a crowd that was already going on at its level (sung vocals, babble) does not, and decoded alone
    it gets invented text (measured on noisy.mp4: its four music regions stand 2.6-5.4 dB above what comes
    before them, the speech regions 31-69 dB; docs/benchmarks.md)."""
    a, b = region
    step = o.energy_frame_ms
    inner = sorted(energy(t, t + step) for t in range(a, max(b, a + step), step))
    level = inner[len(inner) // 2]
    before = sorted(energy(t, t + step) for t in range(max(a - o.voice_search_ms, 0), a, step))
    if len(before) * step < o.voice_search_ms:  # at the track's start: what follows the region
        before = sorted(energy(t, t + step) for t in range(b, b + o.voice_search_ms, step))
    return level >= floor_db and level - before[len(before) // 5] >= o.voice_contrast_db


def turns_without_words(
    regions: Sequence[tuple[int, int]], transcript: Transcript, energy: EnergyFn, level_db: float,
    o: QualityOptions,
) -> list[tuple[int, int]]:
    """The speech regions that start where a voice comes in (:func:`starts_voice`) and hold no kept word.

    Whole-chunk decoding skips such turns (a reply after a pause, a line between two music stretches);
    a voiced *stretch* (``quality.voiced_stretches``) misses them when the voice runs into music at its
    own level (no contrast after it) or past ``voice_max_ms``."""
    floor = voice_floor_db(level_db, o)
    return [g for g in uncovered(regions, transcript) if starts_voice(g, energy, floor, o)]


def phone_stretches(
    energy: EnergyFn, band: SpeechFn, duration_ms: int, level_db: float, o: QualityOptions, share: float
) -> list[tuple[int, int]]:
    """Stretches of a phone-band voice: frames at voice level with at least ``share`` of their power in
    300-3400 Hz (``quality.band_profile``), gaps up to ``voice_gap_ms`` bridged, ``voice_min_ms`` to
    ``voice_max_ms`` long. Unlike a voiced stretch it need not stand out from its sides: the spectrum,
    not a contrast, tells it from music (a phone line straight before music is a voice)."""
    floor = voice_floor_db(level_db, o)
    spans = _frame_runs(lambda a, b: energy(a, b) >= floor and band(a, b) >= share, duration_ms, o)
    return [(a, b) for a, b in spans if o.voice_min_ms <= b - a <= o.voice_max_ms and band(a, b) >= share]


def phone_turns(
    energy: EnergyFn, band: SpeechFn, duration_ms: int, transcript: Transcript, level_db: float,
    o: QualityOptions, share: float,
) -> list[tuple[int, int]]:
    """Phone-band turns that hold no kept word: frames at voice level with at least ``share`` of their
    power in 300-3400 Hz (``quality.band_profile``), gaps up to ``voice_gap_ms`` bridged, ``voice_min_ms``
    to ``voice_max_ms`` long, starting where a voice comes in (:func:`starts_voice`).

    Silero VAD hears a voice over a telephone line poorly (0.01-0.22 in the track's context on the
    conversational sets), so neither a voiced stretch nor a speech region holds it: these replies were
    the main loss left on conv-103 (5 of its 7 lost lines). No music, applause, crowd or laughter on
    those sets puts 97 % of its power in that band; a phone voice puts 99.8 %.

    A phone voice straight after music louder than itself does not stand out by its level, but by its
    spectrum it does: what came before it was not in the band (``phone_onset_share``). Such replies were
    lost (conversation.mp4 at 55.2 s, after music 20 dB louder; conv-101 at 100.0 s).
    """
    floor = voice_floor_db(level_db, o)
    found = [g for g in phone_stretches(energy, band, duration_ms, level_db, o, share)
             if starts_voice(g, energy, floor, o)
             or band(max(g[0] - o.voice_search_ms, 0), g[0]) < o.phone_onset_share]
    return uncovered(found, transcript)


def laid_over(u: Utterance, span: tuple[int, int], source: tuple[int, int] | None = None) -> Utterance:
    """``u`` with its words laid over ``span``, in order and in their proportions, when they spill out of it;
    ``source``: the stretch being laid over ``span`` when ``u`` is one piece of it (default: ``u``'s own).

    A phone-band turn decoded on its own is voice from end to end by its spectrum; Whisper times its words
    over the padding around the clip too ("그 다음은 한테 그라이" from 54.55 s for a reply at 55.15-55.80 s
    after music, conversation.mp4), and measured there, mostly over the music, they were dropped on
    confidence. Laid over the voice, only a known invented pattern can drop them."""
    a, b = span
    lo, hi = source or (u.start_ms, u.end_ms)
    if (a <= lo and hi <= b) or not u.words:
        return u
    hi = max(hi, lo + 1)

    def at(t: int) -> int:
        return a + round((min(max(t, lo), hi) - lo) * (b - a) / (hi - lo))

    words = tuple(replace(w, start_ms=at(w.start_ms), end_ms=at(w.end_ms)) for w in u.words)
    return replace(u, words=words, start_ms=at(u.start_ms), end_ms=at(u.end_ms))


def without_music_runs(stretch: tuple[int, int], music: SpeechFn, o: QualityOptions) -> list[tuple[int, int]]:
    """``stretch`` without the runs of music frames of ``music_run_ms`` or more in it: a line that runs straight
    into music the VAD hears as voice makes one stretch of both (conversation.mp4 at 34.1-37.4 s, the music from
    36.1 s), and the words Whisper read over that music counted as over voice (``passes``); a reply that does
    makes a turn too long to glue (conv-115 at 92.8 s: 0.45 s of reply, then 6 s of music; ``streamkit.glue``)."""
    step = o.energy_frame_ms
    a, b = stretch
    frames = [music(t, t + step) >= 0.5 for t in range(a, b, step)]
    parts, start = [], a
    for is_music, group in itertools.groupby(enumerate(frames), key=lambda item: item[1]):
        idx = [i for i, _ in group]
        lo, hi = a + idx[0] * step, min(b, a + (idx[-1] + 1) * step)
        if is_music and hi - lo >= o.music_run_ms:
            if lo > start:
                parts.append((start, lo))
            start = hi
    if start < b:
        parts.append((start, b))
    return parts


def voice_after_music(
    energy: EnergyFn, speech: SpeechFn, music: SpeechFn, duration_ms: int, speech_db: float, o: QualityOptions,
    min_ms: int = 250,
) -> list[tuple[int, int]]:
    """The last part of each run of voice frames, when it comes straight after a run of music frames
    (``music_run_ms`` or more) and lasts ``min_ms``: a reply said as the music stops. The VAD hears the music as
    voice too, so reply and music make one run, and no voiced stretch (nothing stands out from the music before
    it): conv-102's "어떤 선택을" at 30.07 s after 6.3 s of music as loud, conv-104's "뿐 아니라" at 82.16 s. A part
    between two runs of music is none: the bass dips in a song (conv-109 20 dB quieter at 229.4 s, "번")."""
    runs = _voice_runs(energy, speech, duration_ms, speech_db, o)
    return [part for run in runs for part in without_music_runs(run, music, o)[-1:]
            if run[0] < part[0] and part[1] == run[1] and part[1] - part[0] >= min_ms]
