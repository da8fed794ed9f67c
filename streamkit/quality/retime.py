"""Word times moved onto the voice: silent edges trimmed, pauses inside a word cut out, a turn's first word
started where its voice comes in, over-long words shrunk (:func:`_retime`); :func:`_plausible_start`
tells the run splitter where a word can start by the same rule.

Pure: the audio enters through the context's ``energy`` and ``speech`` callables.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from ..models import Utterance, Word
from .detectors import normalize_text
from .options import QualityOptions
from .profiles import loudest_frame
from .scoring import _Context, _silence_db, _without_silent_edges


def _max_word_ms(w: Word, o: QualityOptions) -> int:
    return o.max_word_ms + o.max_word_ms_per_char * max(len(normalize_text(w.text)), 1)


def _trim_silence(w: Word, *, at_start: bool, at_end: bool, ctx: _Context) -> tuple[int, int]:
    """``w``'s span without the silent energy frames at its outer edges (at least one frame kept)."""
    start, end = w.start_ms, w.end_ms
    silent = _silence_db(ctx)
    if silent is None or end <= start:
        return start, end
    start, end = _without_silent_edges(start, end, silent, ctx, at_start=at_start, at_end=at_end)
    return _without_inner_pause(start, end, silent, ctx)


def _without_inner_pause(start: int, end: int, silent: float, ctx: _Context) -> tuple[int, int]:
    """A word drawn over a pause (a silent run of ``inner_pause_ms`` or more inside it) keeps the side of
    the pause that holds more of its voice (frames the VAD hears at ``voice_vad``), else more sound. Whisper
    ends a word where the next one starts (conv-102 at 1.7 s: "일단" over 0.6 s of silence up to the next
    turn's "염려가"), hiding the pause from the segmenter."""
    step = ctx.options.energy_frame_ms
    assert ctx.energy is not None
    quiet = [ctx.energy(t, t + step) < silent for t in range(start, end - step + 1, step)]
    runs, i = [], 0  # (first, past the last) frame of each silent run
    for is_quiet, group in itertools.groupby(quiet):
        n = len(list(group))
        if is_quiet and n * step >= ctx.options.inner_pause_ms:
            runs.append((i, i + n))
        i += n
    best = max(runs, key=lambda r: r[1] - r[0], default=None)  # the longest; the first of equals
    if best is None:
        return start, end
    # The side holding more voice (sound the VAD hears as speech), else more sound: conv-106 1 dB louder at
    # 178.6 s, "까" of "않을까" (70 ms of voice) drawn over 0.4 s of silence and 0.5 s of applause kept the
    # applause, a cue of its own over it.
    voice = [not q and (ctx.speech is None or ctx.speech(t, t + step) >= ctx.options.voice_vad)
             for q, t in zip(quiet, range(start, end - step + 1, step), strict=True)]
    before, after = voice[: best[0]].count(True), voice[best[1]:].count(True)
    if before == after == 0:
        before, after = quiet[: best[0]].count(False), quiet[best[1]:].count(False)
    if before == after == 0:
        return start, end
    if before >= after:
        return start, start + best[0] * step
    return start + best[1] * step, end


def _quiet_lead(span: tuple[int, int], ctx: _Context) -> tuple[int, int]:
    """A word that may start a turn (an utterance's first, one after a pause) starting where its voice
    comes in: without the leading frames more than ``onset_below_db`` under the word's loudest frame.
    Whisper starts a turn's first word on the music bed 12 dB under the voice (conv-102 at 5.9 s:
    "안철수" 0.6 s before the voice), not only on silence."""
    a, b = span
    step = ctx.options.energy_frame_ms
    if ctx.energy is None or b - a < 2 * step:
        return span
    o = ctx.options
    loudest = loudest_frame(ctx.energy, a, b, step)
    # Frames standing clearly over what sounded just before the word are voice, up to ``onset_max_below_db``
    # under its loudest: a phone voice over a bed starts 10-14 dB over it and rises 10 dB more on a stressed
    # syllable (conversation.mp4 at 33.4 s: "안철수대표와" from -26 dBFS on a bed at -40, its loudest frame -17;
    # the cue came 0.65 s late). Room noise 30 dB under the voice after silence is not (conv-103 at 75.9 s).
    floor = max(min(loudest - o.onset_below_db, _level_before(a, ctx) + o.onset_above_bed_db),
                loudest - o.onset_max_below_db)
    # From the first frame where the next 150 ms reach the floor together (a drum hit of the bed does not).
    k = next((t for t in range(a, b - step + 1, step) if ctx.energy(t, min(t + 3 * step, b)) >= floor), a)
    return k, b


def _level_before(a: int, ctx: _Context) -> float:
    """The median frame level over the ``onset_bed_ms`` before ``a`` (what a word starting there comes in over)."""
    assert ctx.energy is not None
    step, lead = ctx.options.energy_frame_ms, ctx.options.onset_bed_ms
    levels = sorted(ctx.energy(t, t + step) for t in range(max(a - lead, 0), a - step + 1, step))
    return levels[len(levels) // 2] if levels else float("inf")


def _on_voice(a: int, b: int, length: int, ctx: _Context, *, late: bool) -> tuple[int, int]:
    """The ``length``-long stretch of ``a``-``b`` that holds the most voice energy: the power of its frames
    inside the track's voiced stretches (``voice.voiced_stretches``: music and crowd that go on at one
    level are not one). Without voice in it, its end (``late``) or its start; no longer than ``length``, as it is.

    An over-long word can be stretched over the sound after its voice too: conv-103 at 183.5 s, the
    last syllable of a turn drawn 1 s over the music bed that follows it; kept by its end, the word
    moved off the voice onto the bed, a cue over music.
    """
    if b - a <= length:
        return a, b
    step = ctx.options.energy_frame_ms
    voiced = [(s, e) for s, e in ctx.voiced if s < b and e > a]
    if ctx.energy is None or not voiced:
        return (b - length, b) if late else (a, a + length)
    power = [10 ** (ctx.energy(t, t + step) / 10) if any(s < t + step and e > t for s, e in voiced) else 0.0
             for t in range(a, b, step)]
    starts = [*range(a, b - length, step), b - length]  # every frame start, and the end's stretch
    if late:
        starts.reverse()
    best = max(starts, key=lambda s: sum(power[(s - a) // step: -(-(s + length - a) // step)]))  # first of equals
    return best, best + length


def _retime(u: Utterance, ctx: _Context, *, keep_start: bool = False, keep_end: bool = False) -> Utterance:
    """Words lose the silent frames at their edges (inner words too: Whisper stretches them over the
    pauses between turns, hiding the pause from the segmenter); words longer than plausible shrink
    onto the speech (:func:`_on_voice`): an over-long word to the stretch of its plausible length holding
    the most voice, else its end (Whisper absorbs the non-speech before a word into it), the last word
    its start. Words only ever shrink inside their own span. An edge that
    touches the neighbouring utterance (``keep_start``/``keep_end``) is continuous speech and stays.
    """
    if not u.words:
        return u
    o = ctx.options
    n = len(u.words)
    spans = [(w.start_ms, w.end_ms) for w in u.words]
    first, last = u.words[0], u.words[-1]
    spans[0] = _trim_silence(first, at_start=not keep_start, at_end=n == 1 and not keep_end, ctx=ctx)
    if n > 1:
        spans[-1] = _trim_silence(last, at_start=True, at_end=not keep_end, ctx=ctx)
        if not keep_end:
            spans[-1] = _on_voice(*spans[-1], _max_word_ms(last, o), ctx, late=False)
    for i in range(1, n - 1):
        spans[i] = _trim_silence(u.words[i], at_start=True, at_end=True, ctx=ctx)
    for i in range(n):  # where a turn may start: the first word, a word after a pause
        if (i == 0 and not keep_start) or (i > 0 and u.words[i].start_ms - u.words[i - 1].end_ms >= o.onset_pause_ms):
            spans[i] = _quiet_lead(spans[i], ctx)
    for i in range(n - 1 if n > 1 else 1):
        if not (i == 0 and keep_start):
            spans[i] = _on_voice(*spans[i], _max_word_ms(u.words[i], o), ctx, late=True)
    if all(span == (w.start_ms, w.end_ms) for span, w in zip(spans, u.words, strict=True)):
        return u
    words = tuple(
        w if span == (w.start_ms, w.end_ms) else replace(w, start_ms=span[0], end_ms=span[1])
        for span, w in zip(spans, u.words, strict=True)
    )
    start = words[0].start_ms
    return replace(u, words=words, start_ms=start, end_ms=max(max(w.end_ms for w in words), start))


def _plausible_start(u: Utterance, i: int, ctx: _Context) -> int:
    """Where word ``i`` of ``u`` can start: an over-long word counts only for its plausible length.

    The same rule as :func:`_retime`: an over-long word shrinks onto the stretch holding the most voice
    (:func:`_on_voice`), else keeps its end, except the utterance's last word, which keeps its start.
    """
    w = u.words[i]
    if i == len(u.words) - 1:
        return w.start_ms
    return _on_voice(w.start_ms, w.end_ms, _max_word_ms(w, ctx.options), ctx, late=True)[0]
