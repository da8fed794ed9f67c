"""Committed words -> sentences -> captions laid out by the subtitle rules -> rolling subtitle files.

:class:`SentenceBuilder` takes the words each step commits, drops invented text (the quality filter:
outros, loops, prompt echo, wrong script, no speech under them), normalizes names (the glossary),
and groups them into sentences: a sentence ends at end punctuation, at a pause, when the speaker
stops, or when it grows too long. Each change becomes a :class:`Caption`: the sentence so far and
the lines of its newest cue, cut by :func:`streamkit.segment.segment` with the language's rules.

:class:`RollingTrack` keeps the final cues of one language in order without overlaps and rewrites
its files atomically (``NAME.live.ko.srt`` ...) after each sentence.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..models import Cue, SubtitleTrack, Transcript, Utterance, Word
from ..quality import QualityOptions, clean_transcript
from ..segment import DEFAULT_FPS, frame_ms, rules_for, segment
from ..subtitles import write_subtitles
from .policy import TimedWord

__all__ = ["Caption", "RollingTrack", "SentenceBuilder", "layout", "live_paths"]

log = logging.getLogger("streamkit")


@dataclass(frozen=True, slots=True)
class Caption:
    """One sentence in one language as a page shows it: its text so far and its newest cue's lines."""

    language: str
    sentence: int
    text: str
    lines: tuple[str, ...]
    start_ms: int
    end_ms: int
    final: bool
    #: Final captions: every cue of the sentence, ``(start_ms, end_ms, lines)``.
    cues: tuple[Cue, ...] = ()
    #: The sentence's words so far with their times (not sent to pages): where phrases end.
    words: tuple[Word, ...] = ()

    def __post_init__(self) -> None:
        if self.end_ms < self.start_ms or self.start_ms < 0:
            raise ValueError("Caption: bad span")
        if not self.text.strip():
            raise ValueError("Caption: text must not be empty")

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language, "sentence": self.sentence, "text": self.text, "lines": list(self.lines),
            "start_ms": self.start_ms, "end_ms": self.end_ms, "final": self.final,
            "cues": [{"start_ms": c.start_ms, "end_ms": c.end_ms, "lines": list(c.lines)} for c in self.cues],
        }


def layout(utterance: Utterance, language: str) -> tuple[Cue, ...]:
    """The cues of one sentence by ``language``'s subtitle rules (its words' times, or spread over its span)."""
    transcript = Transcript(language=language, utterances=(utterance,), duration_ms=0)
    return segment(transcript, rules_for(language)).cues


def live_paths(folder: Path, name: str, language: str, formats: Sequence[str]) -> list[Path]:
    """``NAME.live.LANG.srt`` (and ``.vtt``): never the names ``streamkit subtitle`` writes."""
    return [folder / f"{name}.live.{language}.{fmt}" for fmt in formats]


@dataclass
class SentenceBuilder:
    """Korean sentences from committed words. ``speech(start, end)`` is the stream's voice activity."""

    language: str = "ko"
    quality: QualityOptions | None = field(default_factory=QualityOptions)
    glossary: Any = None
    speech: Callable[[int, int], float] | None = None
    prompt: str | None = None
    energy: Callable[[int, int], float] | None = None
    #: How far the stream's audio (and so ``speech`` and ``energy``) reaches, in ms: the filter then sees the audio
    #: after a commit's words, not only up to their end. None: up to their end.
    heard_ms: Callable[[], int] | None = None
    #: The share of a span of the stream lying in music (``StreamingTranscriber.music``); None: not known.
    music: Callable[[int, int], float] | None = None
    #: Kept words of the last ``context_ms``: the speech level the silence signal compares with.
    context_ms: int = 60_000
    pause_ms: int = 1000
    max_sentence_ms: int = 12000
    #: Words no two decodes agreed on (flushed at a pause, or as their audio left the window) are dropped on this
    #: much evidence instead of the filter's ``drop_score``.
    unagreed_drop_score: float = 0.7
    words: list[Word] = field(default_factory=list)
    recent: list[Word] = field(default_factory=list)
    dropped: int = 0
    _next_id: int = 1

    def add(self, committed: Sequence[TimedWord], sentence_end: bool) -> list[Caption]:
        """Take one step's committed words; return the captions that changed (partial, then any final)."""
        out: list[Caption] = []
        runs = [list(g) for _, g in itertools.groupby(committed, key=lambda w: w.agreed)]
        for word in (w for run in runs for w in self._clean(run)):
            if self.words and (word.start_ms - self.words[-1].end_ms >= self.pause_ms
                               or word.end_ms - self.words[0].start_ms > self.max_sentence_ms):
                out.extend(self.close())
            self.words.append(word)
        if self.words:
            if sentence_end:
                out.extend(self.close())
            else:
                out.append(self._caption(final=False))
        return out

    def close(self) -> list[Caption]:
        """End the open sentence (its final caption), if any."""
        if not self.words:
            return []
        caption = self._caption(final=True)
        self.words = []
        self._next_id += 1
        return [caption]

    def _utterance(self) -> Utterance:
        start, end = self.words[0].start_ms, max(w.end_ms for w in self.words)
        return Utterance(start, end, " ".join(w.text for w in self.words), tuple(self.words))

    def _caption(self, *, final: bool) -> Caption:
        utterance = self._utterance()
        cues = layout(utterance, self.language)
        lines = cues[-1].lines if cues else (utterance.text,)
        return Caption(self.language, self._next_id, utterance.text, lines, utterance.start_ms, utterance.end_ms,
                       final, cues if final else (), tuple(self.words))

    def _clean(self, committed: Sequence[TimedWord]) -> list[Word]:
        if not committed:
            return []
        words = tuple(Word(w.start_ms, w.end_ms, w.text, w.probability) for w in committed)
        if self.energy is not None:
            words = _trim_edges(words, self.energy, self.speech)
        first = committed[0]
        utterance = Utterance(words[0].start_ms, max(w.end_ms for w in words), " ".join(w.text for w in words),
                              words, avg_logprob=min(w.avg_logprob for w in committed),
                              no_speech_prob=first.no_speech_prob,
                              compression_ratio=max(w.compression_ratio for w in committed))
        context = [w for w in self.recent if w.end_ms <= utterance.start_ms]
        before = (Utterance(context[0].start_ms, context[-1].end_ms, " ".join(w.text for w in context),
                            tuple(context)),) if context else ()
        heard = max(utterance.end_ms, self.heard_ms()) if self.heard_ms is not None else utterance.end_ms
        transcript = Transcript(self.language, (*before, utterance), duration_ms=heard)
        if self.quality is not None:
            strict = not committed[0].agreed and self.unagreed_drop_score < self.quality.drop_score
            transcript, dropped = self._filter(transcript, replace(self.quality, drop_score=self.unagreed_drop_score)
                                               if strict else self.quality)
            self.dropped += sum(1 for end in dropped if end > utterance.start_ms)
        # The context is only judged again for the speech level; what is new is what starts here.
        kept = [u for u in transcript.utterances if u.start_ms >= utterance.start_ms]
        transcript = Transcript(self.language, tuple(kept), duration_ms=utterance.end_ms)
        if self.glossary is not None and transcript.utterances:
            transcript = self.glossary.apply_korean(transcript)
        fresh = [w for u in transcript.utterances for w in (u.words or _spread(u))]
        floor = utterance.end_ms - self.context_ms
        self.recent = [w for w in self.recent if w.start_ms >= floor] + fresh
        return fresh

    def _filter(self, transcript: Transcript, quality: QualityOptions) -> tuple[Transcript, list[int]]:
        """The quality filter on ``transcript``, shown the stream from ``VIEW_MARGIN_MS`` before it only; and the
        end of each piece it dropped.

        The filter reads its voiced stretches from the track's start: on a stream that start is the stream's, and
        a commit 30 minutes in cost 0.43 CPU-s (3 hours: about 2.6 s, longer than a decode). So it is handed the
        transcript and the signals shifted to start at a frame boundary shortly before the context."""
        origin = max(0, transcript.utterances[0].start_ms - VIEW_MARGIN_MS) // VIEW_STEP_MS * VIEW_STEP_MS
        energy, speech, music = self.energy, self.speech, self.music
        if origin and energy is not None:
            energy = functools.partial(shifted_signal, energy, origin)
        if origin and speech is not None:
            speech = functools.partial(shifted_signal, speech, origin)
        if origin and music is not None:
            music = functools.partial(shifted_signal, music, origin)
        cleaned, dropped = clean_transcript(_shift(transcript, -origin), quality, energy=energy, speech=speech,
                                            prompt=self.prompt, music=music)
        return _shift(cleaned, origin), [d.end_ms + origin for d in dropped]


#: What the filter sees of the stream before a commit's context (its voiced stretches read 1.5 s to each side).
VIEW_MARGIN_MS = 4000
#: The view starts on a multiple of this: of the energy (50 ms) and VAD (32 ms) frames, so the shifted signals
#: read the very frames the stream's do.
VIEW_STEP_MS = 800


def shifted_signal(signal: Callable[[int, int], float], origin: int, start_ms: int, end_ms: int) -> float:
    return signal(start_ms + origin, end_ms + origin)


def _shift(transcript: Transcript, ms: int) -> Transcript:
    """``transcript`` with every time moved by ``ms``."""
    if not ms:
        return transcript
    return replace(transcript, duration_ms=transcript.duration_ms + ms, utterances=tuple(
        replace(u, start_ms=u.start_ms + ms, end_ms=u.end_ms + ms,
                words=tuple(replace(w, start_ms=w.start_ms + ms, end_ms=w.end_ms + ms) for w in u.words))
        for u in transcript.utterances))


#: An edge frame of a commit this far below its word's loudest frame is the silence Whisper stamps into it.
EDGE_SILENCE_DB = 20.0
_EDGE_FRAME_MS = 50
#: ... and a frame of an edge word below this voice activity, where the word has voice, is the sound before or after
#: its voice (music Whisper stamps the reply's first word into).
EDGE_VOICE = 0.5
#: In a commit of several words, a first word that holds this much quiet before the voice it runs on into the next
#: word with starts on that voice, though it opens on a loud frame (the tail of the line before). conv-110 at 24.7
#: s: "그건" was stamped from the tail of one reply across 0.8 s of silence onto the phone reply after it ("그건
#: 아니라"); measured with that silence, the commit was dropped as silence under the words. Not the last word: one
#: that runs across a pause into the next line holds that line's text too ("변호인단의 활단하더라도", conv-103 at
#: 89.0 s, the reply "하더라도" after 0.7 s), and its caption must reach it.
EDGE_GAP_MS = 300


def _trim_edges(words: tuple[Word, ...], energy: Callable[[int, int], float],
                speech: Callable[[int, int], float] | None = None) -> tuple[Word, ...]:
    """The first word without the silence before its voice, the last without the silence after it.

    Whisper's first word after a pause starts in the pause (often 300 ms early). A sentence's first
    commit is often that word alone, and the filter judges it by the median level under it: mostly
    silence, so real speech ("만약", "현재") was dropped as invented. Measured against the word's own
    loudest frame, so a word over silence throughout stays as quiet as it is.
    """

    def loud(w: Word) -> list[bool]:
        frames = [(t, min(t + _EDGE_FRAME_MS, w.end_ms)) for t in range(w.start_ms, w.end_ms, _EDGE_FRAME_MS)]
        if len(frames) < 3:
            return []
        levels = [energy(a, b) for a, b in frames]
        flags = [x >= max(levels) - EDGE_SILENCE_DB for x in levels]
        voiced = [speech(a, b) >= EDGE_VOICE for a, b in frames] if speech is not None else []
        if sum(voiced) >= 2:  # music before a reply is loud too, but no voice (conv-102 at 111.2 s)
            flags = [f and (v or u) for f, v, u in zip(flags, voiced, _next_to_voice(voiced), strict=True)]
        return flags if any(flags) else []

    first, last = words[0], words[-1]
    several = len(words) > 1
    flags = loud(first)
    if flags:
        first = replace(first, start_ms=first.start_ms + _voice_start(flags, after_gap=several) * _EDGE_FRAME_MS)
    if not several:
        last = first
    flags = loud(last)
    if flags:
        end = last.start_ms + (len(flags) - flags[::-1].index(True)) * _EDGE_FRAME_MS
        last = replace(last, end_ms=max(last.start_ms + 1, min(last.end_ms, end)))
    return (first, *words[1:-1], last) if several else (last,)


def _voice_start(flags: list[bool], *, after_gap: bool) -> int:
    """The first loud frame of ``flags``; ``after_gap``: the first of the last loud run after ``EDGE_GAP_MS`` of
    quiet frames or more (the voice that goes on into the next word, not the line before it)."""
    start = flags.index(True)
    if not after_gap:
        return start
    quiet = 0
    for i in range(start, len(flags)):
        if not flags[i]:
            quiet += 1
            continue
        if quiet * _EDGE_FRAME_MS >= EDGE_GAP_MS:
            start = i
        quiet = 0
    return start


def _next_to_voice(voiced: list[bool]) -> list[bool]:
    """Frames next to a voiced one (the VAD hears an onset a frame late)."""
    return [bool((i and voiced[i - 1]) or (i + 1 < len(voiced) and voiced[i + 1])) for i in range(len(voiced))]


def _spread(u: Utterance) -> tuple[Word, ...]:
    return (Word(u.start_ms, u.end_ms, u.text),)


@dataclass
class RollingTrack:
    """The final cues of one language, in order and never overlapping, rewritten atomically as they grow."""

    language: str
    paths: list[Path]
    cues: list[Cue] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def append(self, new: Sequence[Cue]) -> None:
        gap = frame_ms(rules_for(self.language).min_gap_frames, DEFAULT_FPS)
        with self._lock:
            for cue in new:
                start, end = cue.start_ms, cue.end_ms
                if self.cues:
                    last = self.cues[-1]
                    start = max(start, last.start_ms + 1 + gap)
                    if last.end_ms > start - gap:  # the previous cue lingers into this one: shorten it
                        self.cues[-1] = Cue(last.start_ms, max(last.start_ms + 1, start - gap), last.lines)
                self.cues.append(Cue(start, max(end, start + 1), cue.lines))

    def write(self) -> list[Path]:
        """Rewrite every file of this track (each atomically); returns the paths written. Arabic and Hebrew
        lines are marked right to left, as ``streamkit subtitle`` writes them."""
        from ..translation.targets import directed

        with self._lock:
            track = directed(SubtitleTrack(self.language, tuple(self.cues)))
        for path in self.paths:
            write_subtitles(track, path)
        return list(self.paths)
