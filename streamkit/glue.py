"""A short turn decoded after the voice before it, glued on: acoustic context for a reply Whisper cannot read alone.

A reply of half a second between long pauses is, to Whisper, a 30 s window of padding with a syllable or
two in it. Decoded alone it comes out as noise words ("다 하나도라." for "하더라도", conv-110 at 24.1 s,
log-probability -1.53), which the filter rightly drops, and the line is lost. Bare faster-whisper keeps
many such replies for a reason of its own: its VAD glues the speech chunks together, so the reply follows
the talk before it without the pause, the music or the noise between. :func:`decode_glued` does that on
purpose for the turns the rescue still left without a word: each is decoded with the last
``RescueOptions.glue_context_ms`` of kept voice before it (the words' own spans, joined by 0.2 s of
silence) in front, all of them in one batch, and only the words that fall on the turn are kept, moved
back to track time. Their confidence is their own (the words' probabilities), not the segment's: the
context reads well and must not vouch for the turn. What it finds goes through the same filter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .clips import clip_batch, decode_samples
from .models import AudioTrack, Transcript, Utterance, Word
from .quality import Dropped, QualityOptions, SpeechFn, keep_words, uncovered, without_music_runs
from .spans import SpanTranscriber, padded, repeats_known
from .transcribe import TranscribeOptions, WhisperTranscriber

if TYPE_CHECKING:
    from .rescue import RescueOptions

__all__ = ["GluedClip", "context_spans", "decode_glued", "glue_turns", "glued_clips"]

_RATE = 16_000
_GAP_MS = 200


@dataclass(frozen=True)
class GluedClip:
    """One turn with its context: ``parts`` (track ms) played in order, 0.2 s of silence between them; the
    last part is the turn. ``turn_at_ms``: where the turn begins in the clip."""

    parts: tuple[tuple[int, int], ...]
    #: The kept text of the context (what Whisper hears before the turn).
    said: str = ""

    @property
    def turn(self) -> tuple[int, int]:
        return self.parts[-1]

    @property
    def turn_at_ms(self) -> int:
        return sum(b - a + _GAP_MS for a, b in self.parts[:-1])

    @property
    def length_ms(self) -> int:
        return self.turn_at_ms + self.turn[1] - self.turn[0]


def context_spans(transcript: Transcript, before_ms: int, want_ms: int, reach_ms: int,
                  pad_ms: int = 150, join_ms: int = 300) -> list[tuple[int, int]]:
    """The voice of the last words of ``transcript`` that end by ``before_ms`` (and after
    ``before_ms - reach_ms``), at least ``want_ms`` of it when there is that much: each word padded by
    ``pad_ms``, words closer than ``join_ms`` joined, nothing reaching past ``before_ms``."""
    words = sorted((w.start_ms, w.end_ms) for u in transcript.utterances for w in u.words
                   if before_ms - reach_ms <= w.start_ms and w.end_ms <= before_ms)
    taken: list[tuple[int, int]] = []
    total = 0
    for a, b in reversed(words):
        if total >= want_ms:
            break
        taken.insert(0, (max(a - pad_ms, 0), min(b + pad_ms, before_ms)))
        total += b - a
    spans: list[tuple[int, int]] = []
    for a, b in taken:
        if spans and a - spans[-1][1] <= join_ms:
            spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
        else:
            spans.append((a, b))
    return spans


def glued_clips(turns: Sequence[tuple[int, int]], transcript: Transcript, want_ms: int,
                reach_ms: int, pad_ms: int, duration_ms: int) -> list[GluedClip]:
    """A clip for each turn that has kept voice before it (a turn with none gains nothing from gluing)."""
    clips = []
    for g in turns:
        turn = padded(g, pad_ms, duration_ms)
        context = context_spans(transcript, turn[0], want_ms, reach_ms)
        if context:
            said = " ".join(w.text for u in transcript.utterances for w in u.words
                            if any(lo <= w.start_ms and w.end_ms <= hi + 150 for lo, hi in context))
            clips.append(GluedClip((*context, turn), said))
    return clips


def _samples(audio: AudioTrack, clips: Sequence[GluedClip]) -> tuple[np.ndarray, list[int]]:
    """The clips' audio back to back (one array, 16 kHz) and where each clip begins in it (ms)."""
    from .media import read_pcm

    gap = np.zeros(_GAP_MS * _RATE // 1000, dtype=np.float32)
    pieces: list[np.ndarray] = []
    starts: list[int] = []
    at = 0
    for clip in clips:
        starts.append(at)
        for i, (a, b) in enumerate(clip.parts):
            pcm = read_pcm(audio, a, b)
            want = (b - a) * _RATE // 1000  # exact lengths keep the clip's times true
            pcm = np.pad(pcm[:want], (0, max(want - pcm.size, 0)))
            pieces.append(pcm.astype(np.float32, copy=False))
            if i < len(clip.parts) - 1:
                pieces.append(gap)
        at += clip.length_ms
        pieces.append(gap)
        at += _GAP_MS
    return np.concatenate(pieces), starts


def _on_turn(u: Utterance, clip: GluedClip, start_ms: int) -> Utterance | None:
    """The words of ``u`` (clip-array ms) whose middle lies on the turn, in track ms, with their own confidence.
    Whisper goes on past the end of a clip (into the padding of its window) with the context again, timed after
    the clip's end: those words are no turn's."""
    at = start_ms + clip.turn_at_ms
    end = start_ms + clip.length_ms
    shift = clip.turn[0] - at
    words = tuple(Word(max(w.start_ms, at) + shift, min(max(w.end_ms, at), end) + shift, w.text, w.probability)
                  for w in u.words if at <= (w.start_ms + w.end_ms) / 2 <= end)
    if not words:
        return None
    logprob = sum(math.log(max(w.probability, 1e-6)) for w in words) / len(words)
    return replace(u, start_ms=words[0].start_ms, end_ms=max(w.end_ms for w in words),
                   text=" ".join(w.text for w in words), words=words, avg_logprob=logprob)


def decode_glued(
    transcriber: WhisperTranscriber, audio: AudioTrack, clips: Sequence[GluedClip], options: TranscribeOptions,
    batch_size: int,
) -> list[tuple[GluedClip, Utterance]]:
    """The clips decoded together, one batch item each (``clip_timestamps``); what lies on each turn."""
    if not clips:
        return []
    import ctranslate2

    samples, starts = _samples(audio, clips)
    ctranslate2.set_random_seed(options.seed)
    decoded = decode_samples(transcriber, samples, [(s, s + c.length_ms) for s, c in zip(starts, clips, strict=True)],
                             options, batch_size)
    return _on_turns(decoded, clips, starts)


def _on_turns(decoded: Sequence[Utterance], clips: Sequence[GluedClip],
              starts: Sequence[int]) -> list[tuple[GluedClip, Utterance]]:
    """What lies on each clip's turn (:func:`_on_turn`), each clip's words taken by where they lie, not by the
    segment they came in: a segment's start can round to a millisecond before its clip's (conv-115's "하더라도"
    at 115.4 s went to the clip before it, where it lay on no turn)."""
    return [(clip, on) for u in decoded for clip, start in zip(clips, starts, strict=True)
            if (on := _on_turn(u, clip, start)) is not None]


def glue_turns(
    voice: Sequence[tuple[int, int]], result: Transcript, audio: AudioTrack, transcriber: SpanTranscriber,
    options: TranscribeOptions, r: RescueOptions, dropped: list[Dropped], quality: QualityOptions,
    music: SpeechFn | None = None,
) -> tuple[list[Utterance], list[tuple[int, int]]]:
    """The turns of ``voice`` of at most ``r.glue_max_ms`` still without a word in ``result``, decoded after the kept
    voice before them (:func:`decode_glued`): their words read at ``r.glue_word_probability`` or more that do not
    echo the context (``dropped`` gets the rest, with the reason), and the turns decoded. With ``music`` (the
    filter's music frames), a turn is its parts outside music (:func:`_turns`)."""
    if not (r.glue and r.regions and isinstance(transcriber, WhisperTranscriber)):
        return [], []
    duration = result.duration_ms or audio.duration_ms
    turns = _turns(uncovered(voice, result), r, quality, music)
    clips = glued_clips(turns, result, r.glue_context_ms, r.glue_reach_ms, r.pad_ms, duration)
    found = []
    batch = clip_batch(options, len(clips) * 30_000, transcriber)
    for clip, piece in decode_glued(transcriber, audio, clips, options, batch):
        u = keep_words(piece, [i for i, w in enumerate(piece.words) if w.probability >= r.glue_word_probability])
        if u is None:
            dropped.append(Dropped(piece.start_ms, piece.end_ms, piece.text, "decoded again after the voice before "
                                   "it: no word read surely", ("confidence",)))
            continue
        why = repeats_known(u, result, clip.said)
        if why is None:
            found.append(u)
        else:
            dropped.append(Dropped(u.start_ms, u.end_ms, u.text, f"decoded again after the voice before it: {why}",
                                   ("prompt_echo",)))
    decoded = {c.turn for c in clips}
    return found, [g for g in turns if padded(g, r.pad_ms, duration) in decoded]


def _turns(voice: Sequence[tuple[int, int]], r: RescueOptions, quality: QualityOptions,
           music: SpeechFn | None) -> list[tuple[int, int]]:
    """The turns to glue: each stretch of ``voice`` of at most ``r.glue_max_ms``; with ``music``, each stretch without
    its runs of music frames (``quality.without_music_runs``), the parts of at least ``voice_min_ms``. A reply that
    runs straight on into music the VAD hears as voice is one long stretch (conv-115 at 92.8 s: 0.45 s of reply,
    then 6 s of music), too long to glue, and was lost."""
    parts = [part for g in voice for part in (without_music_runs(g, music, quality) if music is not None else [g])
             if part == g or part[1] - part[0] >= quality.voice_min_ms]
    return sorted({g for g in parts if g[1] - g[0] <= r.glue_max_ms})  # overlapping voice gives one part twice
