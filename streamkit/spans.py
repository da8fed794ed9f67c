"""One stretch at a time: each decoded on its own, sequentially (:class:`SpanTranscriber`, temperature
fallback), with the text before it as context, and what it holds that repeats known text (the prompt, a
neighbour's words) set aside. The rescue (:mod:`streamkit.rescue`) uses it for the way before the batch
(``RescueOptions(regions=False)``) and to decode once more a short turn whose text was a known pattern."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .models import AudioTrack, Transcript, Utterance
from .quality import Dropped, QualityOptions, find_loops, is_outro_phrase, keep_words, normalize_text
from .transcribe import TranscribeOptions

if TYPE_CHECKING:
    from .rescue import RescueOptions

__all__ = ["SpanTranscriber", "decode_stretches", "only_patterns", "padded", "repeats_known"]

log = logging.getLogger("streamkit")


@runtime_checkable
class SpanTranscriber(Protocol):
    """A transcriber that can decode one stretch of a track on its own."""

    def transcribe_span(
        self, audio: AudioTrack, start_ms: int, end_ms: int, options: TranscribeOptions, prompt: str | None = None
    ) -> list[Utterance]: ...


def _context(transcript: Transcript, before_ms: int, chars: int) -> str | None:
    text = " ".join(u.text for u in transcript.utterances if u.end_ms <= before_ms)
    return text[-chars:].strip() or None


def _echoes(text: str, prompt: str) -> bool:
    """Whether ``text`` is a piece of ``prompt``, or half or more of its words are the prompt's.

    Over music Whisper writes the prompt back with a word or two changed; a real reply that shares
    words with what came before is decoded again without the prompt (see ``decode_stretches``).
    """
    norm = normalize_text(text)
    if len(norm) >= 4 and norm in normalize_text(prompt):
        return True
    words = [w for w in (normalize_text(t) for t in text.split()) if w]
    said = {normalize_text(t) for t in prompt.split()}
    return len(words) >= 2 and sum(1 for w in words if w in said) * 2 >= len(words)


def repeats_known(found: Utterance, transcript: Transcript, prompt: str | None, near_ms: int = 3000) -> str | None:
    """Why ``found`` repeats text already there (the prompt, or a neighbour's words), else None."""
    norm = normalize_text(found.text)
    if not norm:
        return "empty"
    if prompt and _echoes(found.text, prompt):
        return "echoes the text before it (the prompt)"
    for u in transcript.utterances:
        if u.start_ms - near_ms < found.end_ms and u.end_ms + near_ms > found.start_ms:
            other = normalize_text(u.text)
            if norm in other or (len(other) >= 4 and other in norm):
                return f"repeats {u.text!r} next to it"
    return None


def only_patterns(found: Sequence[Utterance], quality: QualityOptions) -> bool:
    """Whether ``found`` holds nothing but closing formulas or one loop (or nothing at all)."""
    words = [w.text for u in found for w in u.words]
    return all(is_outro_phrase(u.text, quality) for u in found) or bool(
        find_loops(words, min_repeats=quality.loop_min_repeats, max_unit=quality.loop_max_unit))


def _decode_one(
    audio: AudioTrack, span: tuple[int, int], transcript: Transcript, transcriber: SpanTranscriber,
    options: TranscribeOptions, prompt: str | None, keep: tuple[int, int] | None = None,
) -> tuple[list[Utterance], list[Dropped]]:
    """What one stretch decoded on its own holds that is new (not the prompt, not a neighbour's words);
    with ``keep``, ``span`` reaches further and only the words inside ``keep`` count."""
    lo, hi = keep or span
    found: list[Utterance] = []
    dropped: list[Dropped] = []
    context = " ".join(p for p in (options.initial_prompt, prompt) if p) or None  # what Whisper was given
    for u in transcriber.transcribe_span(audio, span[0], span[1], options, prompt):
        if u.words:
            inside = keep_words(u, [i for i, w in enumerate(u.words) if w.end_ms > lo and w.start_ms < hi])
            if inside is None:
                continue
            u = inside
        why = repeats_known(u, transcript, context)
        if why is None:
            found.append(u)
        else:
            dropped.append(Dropped(u.start_ms, u.end_ms, u.text, f"decoded again: {why}", ("prompt_echo",)))
    return found, dropped


def decode_stretches(
    stretches: Sequence[tuple[int, int]], transcript: Transcript, audio: AudioTrack, transcriber: SpanTranscriber,
    options: TranscribeOptions, r: RescueOptions, dropped: list[Dropped], *, context: bool = True,
    quality: QualityOptions | None = None,
) -> list[Utterance]:
    """Each stretch decoded with the text before it as context; again without it when all it gave was an echo.
    Not ``context``: decoded without it at once (see :func:`_pattern_turns`). With ``quality``: a short one
    that gives only known patterns again, once more with the audio before it (``RescueOptions.lead_ms``)."""
    found: list[Utterance] = []
    for a, b in stretches:
        span = padded((a, b), r.pad_ms, audio.duration_ms)
        prompt = _context(transcript, a, r.prompt_chars) if context else None
        new, echoes = _decode_one(audio, span, transcript, transcriber, options, prompt)
        if echoes and not new and prompt:
            # Whisper repeats its prompt over a short stretch it cannot read: listen once more without it.
            new, echoes = _decode_one(audio, span, transcript, transcriber, options, None)
        if quality is not None and r.lead_ms and only_patterns(new, quality):
            # Twice a pattern: a short turn in a 30 s window is mostly padding to Whisper. The talk before it is
            # context it can use (conv-101 at 121.1 s, a phone line over a bed: "수고하셨습니다." alone, with
            # the 12 s before it "…개발 작업에 들어갔다 …", as bare sequential decoding reads it).
            heard, more = _decode_one(audio, (max(a - r.lead_ms, 0), span[1]), transcript, transcriber, options,
                                      None, keep=span)
            new, echoes = (heard, [*echoes, *more]) if heard else (new, echoes)
        found += new
        dropped += echoes
    if stretches and not context:
        log.info("voice: %d turns decoded once more (their text was a known pattern)", len(stretches))
    return found


def padded(span: tuple[int, int], pad_ms: int, duration_ms: int) -> tuple[int, int]:
    return max(span[0] - pad_ms, 0), min(span[1] + pad_ms, duration_ms)
