"""No voice left behind: voiced stretches that hold no kept word are decoded again, on their own.

Whisper's VAD glues short replies between long pauses into long chunks, and a chunk decoded
whole (batched decoding above all) can lose a reply, or the whole chunk to a loop. After the
invented-text filter, :func:`rescue_voice` finds every stretch where the energy and the voice
activity detector both say someone speaks (``quality.voiced_stretches``) and no kept word lies,
decodes each on its own (sequential, temperature fallback, the text before it as context, through
:class:`SpanTranscriber`), and puts what it finds through the same filter with everything else.
Then kept utterances are moved onto the voice they fit (``quality.align_to_voice``), and the
voiced stretches still without a word are reported (:class:`VoiceReport`): the run summary and
``--json`` give their seconds, and ``streamkit check --video`` lists them for the editor.

What counts as a voiced stretch (``QualityOptions.voice_*``) excludes what the VAD hears in
music and crowds: a stretch must differ from the audio beside it by 8 dB and last at most 8 s
unbroken (decoding loses short replies, not 10 seconds of talk). Decoded again is voice that
differs from one side at least (speech followed by music as loud as it); reported, and what the
filter protects, is voice that differs from both (music coming in after a pause does not).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from .models import AudioTrack, Transcript, Utterance
from .quality import (
    Dropped,
    EnergyFn,
    QualityOptions,
    SpeechFn,
    align_to_voice,
    clean_transcript,
    normalize_text,
    speech_level,
    uncovered,
    voiced_stretches,
)
from .transcribe import TranscribeOptions

__all__ = ["RescueOptions", "SpanTranscriber", "VoiceReport", "rescue_voice"]

log = logging.getLogger("streamkit")


@runtime_checkable
class SpanTranscriber(Protocol):
    """A transcriber that can decode one stretch of a track on its own."""

    def transcribe_span(
        self, audio: AudioTrack, start_ms: int, end_ms: int, options: TranscribeOptions, prompt: str | None = None
    ) -> list[Utterance]: ...


@dataclass(frozen=True)
class RescueOptions:
    #: Audio decoded around a stretch on each side (Whisper hears a word's onset and tail).
    pad_ms: int = 300
    #: Characters of the text before a stretch given to Whisper as context.
    prompt_chars: int = 120


@dataclass(frozen=True)
class VoiceReport:
    """Voiced stretches without a word: how many were decoded again, and those still without one."""

    stretches: int = 0
    decoded: int = 0
    recovered: int = 0
    left: tuple[tuple[int, int], ...] = ()

    @property
    def left_seconds(self) -> float:
        return sum(b - a for a, b in self.left) / 1000

    def summary(self) -> dict[str, Any]:
        return {"voiced_stretches_without_words": self.stretches, "decoded_again": self.decoded,
                "recovered": self.recovered, "voiced_seconds_without_cue": round(self.left_seconds, 3),
                "left": [{"start_ms": a, "end_ms": b} for a, b in self.left]}


def _context(transcript: Transcript, before_ms: int, chars: int) -> str | None:
    text = " ".join(u.text for u in transcript.utterances if u.end_ms <= before_ms)
    return text[-chars:].strip() or None


def _echoes(text: str, prompt: str) -> bool:
    """Whether ``text`` is a piece of ``prompt``, or half or more of its words are the prompt's.

    Over music Whisper writes the prompt back with a word or two changed; a real reply that shares
    words with what came before is decoded again without the prompt (see ``_decode_stretches``).
    """
    norm = normalize_text(text)
    if len(norm) >= 4 and norm in normalize_text(prompt):
        return True
    words = [w for w in (normalize_text(t) for t in text.split()) if w]
    said = {normalize_text(t) for t in prompt.split()}
    return len(words) >= 2 and sum(1 for w in words if w in said) * 2 >= len(words)


def _known(found: Utterance, transcript: Transcript, prompt: str | None, near_ms: int = 3000) -> str | None:
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


def _decode_one(
    audio: AudioTrack, span: tuple[int, int], transcript: Transcript, transcriber: SpanTranscriber,
    options: TranscribeOptions, prompt: str | None,
) -> tuple[list[Utterance], list[Dropped]]:
    """What one stretch decoded on its own holds that is new (not the prompt, not a neighbour's words)."""
    lo, hi = span
    found: list[Utterance] = []
    dropped: list[Dropped] = []
    for u in transcriber.transcribe_span(audio, lo, hi, options, prompt):
        words = tuple(w for w in u.words if w.end_ms > lo and w.start_ms < hi)
        if u.words and not words:
            continue
        if words != u.words:
            u = replace(u, words=words, text=" ".join(w.text for w in words), start_ms=words[0].start_ms,
                        end_ms=max(w.end_ms for w in words))
        why = _known(u, transcript, prompt)
        if why is None:
            found.append(u)
        else:
            dropped.append(Dropped(u.start_ms, u.end_ms, u.text, f"decoded again: {why}", ("prompt_echo",)))
    return found, dropped


def _decode_stretches(
    stretches: Sequence[tuple[int, int]], transcript: Transcript, audio: AudioTrack, transcriber: SpanTranscriber,
    options: TranscribeOptions, r: RescueOptions, dropped: list[Dropped],
) -> list[Utterance]:
    """Each stretch decoded with the text before it as context; again without it when all it gave was an echo."""
    found: list[Utterance] = []
    for a, b in stretches:
        span = (max(a - r.pad_ms, 0), min(b + r.pad_ms, audio.duration_ms))
        prompt = _context(transcript, a, r.prompt_chars)
        new, echoes = _decode_one(audio, span, transcript, transcriber, options, prompt)
        if echoes and not new and prompt:
            # Whisper repeats its prompt over a short stretch it cannot read: listen once more without it.
            new, echoes = _decode_one(audio, span, transcript, transcriber, options, None)
        found += new
        dropped += echoes
    return found


def rescue_voice(
    transcript: Transcript,
    audio: AudioTrack,
    transcriber: SpanTranscriber,
    options: TranscribeOptions,
    quality: QualityOptions,
    *,
    energy: EnergyFn,
    speech: SpeechFn,
    prompt: str | None = None,
    rescue: RescueOptions | None = None,
) -> tuple[Transcript, tuple[Dropped, ...], VoiceReport]:
    """``transcript`` (already cleaned) with the voice it missed decoded again and cleaned; see the module doc."""
    r = rescue or RescueOptions()
    level = speech_level(transcript, energy, quality)
    duration = transcript.duration_ms or audio.duration_ms
    # Decoded again: voice standing out from one side at least (speech next to music as loud);
    # reported and aligned to: voice standing out from both (music after a pause is not a voice).
    heard = voiced_stretches(energy, speech, duration, level, quality, strict=False)
    stretches = voiced_stretches(energy, speech, duration, level, quality)
    todo = uncovered(heard, transcript)
    missing = uncovered(stretches, transcript)
    dropped: list[Dropped] = []
    result = transcript
    if todo:
        found = _decode_stretches(todo, transcript, audio, transcriber, options, r, dropped)
        if found:
            merged = sorted([*transcript.utterances, *found], key=lambda u: (u.start_ms, u.end_ms))
            result, more = clean_transcript(replace(transcript, utterances=tuple(merged)), quality, energy=energy,
                                            speech=speech, prompt=prompt)
            dropped.extend(more)
    result = align_to_voice(result, energy, speech, stretches, quality)
    left = tuple(uncovered(stretches, result))
    report = VoiceReport(len(missing), len(todo), max(len(missing) - len(left), 0), left)
    log.info("voice: %d stretches without words, %d decoded again, %d recovered, %.1f s left",
             report.stretches, report.decoded, report.recovered, report.left_seconds)
    return result, tuple(sorted(dropped, key=lambda d: (d.start_ms, d.end_ms))), report
