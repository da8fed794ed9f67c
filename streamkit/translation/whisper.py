"""The offline engine ``whisper``: Whisper's own translate task (speech -> English) on the run's loaded model.

Sentence by sentence: the Korean transcript (already cleaned, its names fixed) is joined into sentences
(``sentences.join_sentences``) and each sentence's audio, a little to each side, is translated as one clip
of one batch (``clips.decode_clips``). Translating the whole track in one sequential pass, as before, looped
over the pauses of a conversation ("I'm sorry, I'm sorry, ..." for a minute) and the filter rightly dropped
those loops with the lines under them: on the conversational sets the English covered 1-7 of 27-42 lines
that the Korean held (docs/benchmarks.md). Now every Korean sentence gets its English, on its span. A clip
whose English still loops (a batch has no temperature fallback) is decoded once more on its own, with it.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from ..errors import TranslationError
from ..models import AudioTrack, ProgressCallback, Transcript, Utterance
from ..transcribe import TranscribeOptions, Transcriber, WhisperTranscriber
from .protocol import EngineContext, TextProgress, Translator, refuse_server_url
from .sentences import JoinRules, Sentence, join_sentences

__all__ = ["WhisperTranslator", "sentence_clips", "speech_only", "whisper_factory"]

#: Audio decoded to each side of a sentence (never into the next one): Korean word times are rough.
SENTENCE_PAD_MS = 300
#: A pause this long ends a sentence (the text engines' sentences: 1.5 s), as it starts a Korean cue
#: (``SegmentRules.pause_split_ms``). Each sentence is its own clip, so its English lies on its own turn: at
#: 1.5 s a reply 0.4-1.5 s after a phrase shared the phrase's English and cue, shown seconds before its voice
#: (English cues within 0.5 s of the voice on the conversational sets: 23/29/35/9 at 1.5 s, 24/29/38/9 at
#: 1 s, 26/31/38/10 at 0.4 s; the Korean track: 26/31/40/11).
SENTENCE_PAUSE_MS = 400
#: Progress is reported after this many batches of clips.
PROGRESS_BATCHES = 4
#: Longest clip: Whisper hears 30 s at once.
CLIP_MAX_MS = 29_000
#: English above this gzip compression ratio is a loop: Whisper's own bar for decoding again at a higher
#: temperature (faster-whisper's ``compression_ratio_threshold``), which batched decoding never does.
LOOP_COMPRESSION = 2.4
#: A run of up to this many characters said four times in a row is a loop within a token
#: ("Geun-eul-deok-deok-deok-…" for a sentence of noisy.mp4: "-deok" is five).
LOOP_TOKEN_CHARS = 6
#: A phrase of up to this many words said this many times in a row is a loop ("I'm sorry. I'm sorry. I'm sorry.").
LOOP_PHRASE_WORDS = 4
LOOP_PHRASE_TIMES = 3


@dataclass
class WhisperTranslator:
    """Offline: Whisper's own translate task (speech -> English) on the same loaded model.

    Quality follows the model: rough with ``base``, usable with ``large-v3``. Whisper can only
    translate into English, and only speech: it has no text to translate sentences from.
    """

    transcriber: Transcriber
    options: TranscribeOptions
    name: str = "whisper"
    #: Part of the translate stage's cache key: English from an earlier way of translating is not reused.
    revision: ClassVar[str] = "sentence-clips+loop-fallback+phrases"

    def translate(
        self, transcript: Transcript, audio: AudioTrack | None, progress: ProgressCallback | None = None
    ) -> Transcript:
        if audio is None:
            raise TranslationError(self.name, "needs the recording's audio (it translates speech, not text)",
                                   hint="use a text engine to translate an existing SRT")
        if not isinstance(self.transcriber, WhisperTranscriber):  # another transcriber: the whole track
            return self.transcriber.transcribe(audio, self.options, progress)
        from ..clips import decode_clips, rescue_batch

        sentences = join_sentences(transcript, JoinRules(pause_ms=SENTENCE_PAUSE_MS))
        clips = sentence_clips(sentences, audio.duration_ms)
        total = audio.duration_ms / 1000
        decoded: list[Utterance] = []
        batch = rescue_batch(self.options, sum(b - a for a, b, _ in clips))
        step = batch * PROGRESS_BATCHES
        for i in range(0, len(clips), step):  # whole batches between progress reports
            portion = clips[i : i + step]
            decoded += decode_clips(self.transcriber, audio, [(a, b) for a, b, _ in portion], self.options, batch)
            if progress is not None:
                progress(min(portion[-1][1] / 1000, total), total)
        decoded = _without_loops(decoded, clips, self.transcriber, audio, self.options)
        if progress is not None:
            progress(total, total)
        return Transcript("en", tuple(_on_sentences(decoded, clips)), audio.duration_ms,
                          model=self.transcriber.choice.name, task="translate")

    def translate_texts(
        self, texts: Sequence[str], source: str = "ko", progress: TextProgress | None = None
    ) -> list[str]:
        raise speech_only(self.name)


def sentence_clips(sentences: Sequence[Sentence], duration_ms: int) -> list[tuple[int, int, Sentence]]:
    """Each sentence's clip: its span with ``SENTENCE_PAD_MS`` to each side, never into its neighbours' speech
    or past the track, at most ``CLIP_MAX_MS`` long (a longer one, which the sentence rules do not make, is cut).
    In time order, never overlapping."""
    clips: list[tuple[int, int, Sentence]] = []
    for i, s in enumerate(sentences):
        lo = max(s.start_ms - SENTENCE_PAD_MS, clips[-1][1] if clips else 0)  # that clip holds the sentence before
        after = sentences[i + 1].start_ms if i + 1 < len(sentences) else duration_ms
        hi = max(min(s.end_ms + SENTENCE_PAD_MS, after, duration_ms), s.end_ms)
        while hi - lo > CLIP_MAX_MS:
            clips.append((lo, lo + CLIP_MAX_MS, s))
            lo += CLIP_MAX_MS
        if hi > lo:
            clips.append((lo, hi, s))
    return clips


def loops(u: Utterance) -> bool:
    """Whether Whisper's English ``u`` is a loop: above :data:`LOOP_COMPRESSION`, a word looping within itself, or
    a phrase of up to :data:`LOOP_PHRASE_WORDS` words said :data:`LOOP_PHRASE_TIMES` times in a row ("I'm sorry. I'm
    sorry. I'm sorry." for a line of conv-101: the filter drops it, and the line was left without English)."""
    from ..quality import find_loops, loops_within

    return (u.compression_ratio > LOOP_COMPRESSION or loops_within(u.text, LOOP_TOKEN_CHARS)
            or bool(find_loops(u.text.split(), min_repeats=LOOP_PHRASE_TIMES, max_unit=LOOP_PHRASE_WORDS)))


def _without_loops(decoded: Sequence[Utterance], clips: Sequence[tuple[int, int, Sentence]],
                   transcriber: WhisperTranscriber, audio: AudioTrack, options: TranscribeOptions) -> list[Utterance]:
    """``decoded`` with each clip whose English loops (:func:`loops`) decoded again on its own, sequentially with
    Whisper's temperature fallback, when that gives English without a loop. A batch has no fallback: noisy.mp4's
    sentence at 34.9 s came out as "If Park Geun-eul-deok-deok-deok-…" over two cues. Only such clips: the
    fallback for every doubtful clip cost 2-3x the engine's time and kept fewer lines (docs/benchmarks.md)."""
    out = list(decoded)
    fallback = replace(options, temperature=TranscribeOptions().temperature)  # the engine's own options have none
    for lo, hi, _ in clips:
        inside = [u for u in out if lo <= (u.start_ms + u.end_ms) // 2 < hi]
        if not any(loops(u) for u in inside):
            continue
        again = transcriber.transcribe_span(audio, lo, hi, fallback)
        said_twice = any(a.text.strip() == b.text.strip() for a, b in itertools.pairwise(again))  # a segment loop
        if again and not said_twice and not any(loops(u) for u in again):
            out = sorted([*(u for u in out if not any(u is v for v in inside)), *again], key=lambda u: u.start_ms)
    return out


def _on_sentences(decoded: Sequence[Utterance], clips: Sequence[tuple[int, int, Sentence]]) -> list[Utterance]:
    """The decoded English, each piece laid on the span of the Korean sentence whose clip holds its middle."""
    starts = [a for a, _, _ in clips]  # in order, never overlapping
    out: list[Utterance] = []
    for u in sorted(decoded, key=lambda u: u.start_ms):
        middle = (u.start_ms + u.end_ms) // 2
        near = clips[max(bisect.bisect_right(starts, middle) - 1, 0) :][:2]  # the clip at or before it, the next
        lo, hi, sentence = min(near, key=lambda c: max(c[0] - middle, middle - c[1] + 1, 0))
        start = max(min(max(u.start_ms, sentence.start_ms, lo), sentence.end_ms - 1), out[-1].start_ms if out else 0)
        end = max(min(u.end_ms, sentence.end_ms, hi), start + 1)
        out.append(replace(u, start_ms=start, end_ms=end, words=()))
    return out


def speech_only(name: str) -> TranslationError:
    """The error for asking an engine that translates speech (offline, or live) to translate text."""
    return TranslationError(name, "translates speech, not text",
                            hint="choose a text engine: google, deepl, papago, mymemory, libre or llm")


def whisper_factory(context: EngineContext) -> Translator:
    """The ``whisper`` engine on the context's transcriber, with the run's decoding options as its base."""
    refuse_server_url("whisper", context.settings, accepts_url=False)
    if context.target != "en":
        raise TranslationError("whisper", f"can only translate into English, not {context.target!r}")
    if context.transcriber is None:
        raise TranslationError("whisper", "needs a loaded Whisper model")
    base = context.transcribe_options or TranscribeOptions()
    # English words are not aligned to Korean speech: segment spreads the text over each span.
    # Batched clips have no temperature fallback; a prompt would be every clip's.
    options = replace(base, task="translate", word_timestamps=False, temperature=(0.0,),
                      initial_prompt=None, hotwords=None)
    return WhisperTranslator(context.transcriber, options)
