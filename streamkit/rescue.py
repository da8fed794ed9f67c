"""No voice left behind: voiced stretches that hold no kept word are decoded again.

Whisper's VAD glues short replies between long pauses into long chunks, and a chunk decoded whole
(batched decoding above all) can lose a reply, or the whole chunk to a loop. After the invented-text
filter, :func:`rescue_voice` finds every stretch where the energy and the voice activity detector both
say someone speaks (``quality.voiced_stretches``) and no kept word lies. By default
(``RescueOptions.regions``, a :class:`WhisperTranscriber`) the VAD's speech regions over those
stretches (``turns.speech_regions``, joined with the stretch: the VAD may start late on a phone-band
voice) are decoded together in one batch (``clip_timestamps``, :func:`decode_clips`), and a piece is
kept only where it lies on such a stretch, so the music the VAD hears in the same region gets no text.
In the same batch, clips of their own: each speech region that starts where a voice comes in and
holds no kept word (:func:`turns_without_words`: voice running into music at its own level, or for
longer than a stretch may last); each phone-band turn without a word (:func:`phone_turns`: the VAD
hardly hears a telephone line; a turn comes in by its level or by its spectrum, after louder music; what
is decoded on and next to one is laid over its voice, :func:`_onto_phones`); each part of a stretch
with words that lies 1.5 s from every word (``quality.unheard``: the first pass decoded its region
whole and did not hear it). What it finds
goes through the same filter with everything else, a kept segment it falls inside cut around it
(:func:`interleave`). A short turn still without a word is decoded once more after the kept voice before it,
glued on without the pause between (:mod:`streamkit.glue`: Whisper reads a reply in context that it cannot
read alone); so is a reply said as the music stops (``quality.voice_after_music``: with the music the VAD hears
as voice it makes one run, and no stretch). Then kept utterances are moved onto the voice they fit
(``quality.align_to_voice``), and the voiced stretches still without a word are reported (:class:`VoiceReport`):
the run summary and ``--json`` give their seconds, and ``streamkit check --video`` lists them for the editor.

What counts as a voiced stretch (``QualityOptions.voice_*``) excludes what the VAD hears in
music and crowds: a stretch must differ from the audio beside it by 8 dB on both sides and last
at most 8 s unbroken (decoding loses short replies, not 10 seconds of talk). Measured on
samples/conversation.mp4 and noisy.mp4 (docs/benchmarks.md, Turn-aware decoding): voice standing
out from one side only (speech followed by music as loud) decoded in a batch gets invented text
over the music that the filter does not catch, so such a stretch is decoded as a clip of its own and
what it gives is kept only when Whisper trusts it (:func:`_trusted`: a line straight after louder
music reads at -0.5, the music's "singer" at -0.8 to -2.3). So is the head of a voice that comes in
after a pause and runs on into a crowd or music (``quality.voice_heads``). With ``regions=False`` (or another
transcriber) each stretch standing out from one side at least is decoded on its own, sequentially
(temperature fallback, the text before it as context, :class:`SpanTranscriber`): the way before,
slower, and it kept fewer replies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .clips import clip_batch, decode_clips, rescue_batch, turn_regions
from .glue import glue_turns
from .interleave import interleave
from .models import AudioTrack, Transcript, Utterance
from .quality import (
    Dropped,
    EnergyFn,
    QualityOptions,
    SpeechFn,
    align_to_voice,
    band_profile,
    clean_transcript,
    is_outro_phrase,
    keep_words,
    laid_over,
    phone_turns,
    span_level,
    speech_level,
    stutters,
    turns_without_words,
    uncovered,
    unheard,
    voice_after_music,
    voice_heads,
    voiced_stretches,
    without_words,
)
from .spans import SpanTranscriber, decode_stretches, only_patterns, padded, repeats_known
from .transcribe import TranscribeOptions, WhisperTranscriber

__all__ = [
    "RescueOptions",
    "SpanTranscriber",
    "VoiceReport",
    "decode_clips",
    "interleave",
    "phone_turns",
    "rescue_batch",
    "rescue_voice",
    "turn_regions",
    "turns_without_words",
]

log = logging.getLogger("streamkit")


@dataclass(frozen=True)
class RescueOptions:
    #: Audio decoded around a stretch on each side (Whisper hears a word's onset and tail).
    pad_ms: int = 300
    #: A speech region over a stretch widens its clip by at most this on each side (past the padding). The
    #: VAD calls crowd babble speech: conv-103 (AVX-512) had one region of 24.7 s over a quiet line, 16.5 s of
    #: babble, a reply and a line on a music bed, and the clip of the stretch inside it read only its first line.
    region_reach_ms: int = 3000
    #: Characters of the text before a stretch given to Whisper as context.
    prompt_chars: int = 120
    #: Decode the speech regions over the voice without words together, in one batch (a
    #: :class:`WhisperTranscriber`); False: each voiced stretch on its own, sequentially (the way
    #: before; it also decodes voice standing out from one side only).
    regions: bool = True
    #: With ``regions``: also decode the speech regions that start where a voice comes in and hold no
    #: kept word (:func:`turns_without_words`), not only the voiced stretches standing out on both sides.
    turns: bool = True
    #: A turn decoded alone ends before ``unsure_run`` words in a row under ``unsure_probability``
    #: (:func:`_sure_head`): what Whisper wrote over the music after it.
    unsure_run: int = 2
    unsure_probability: float = 0.5
    #: With ``turns``: also decode the phone-band turns without words (:func:`phone_turns`): stretches
    #: at voice level whose power lies at least ``QualityOptions.phone_share`` in 300-3400 Hz.
    phones: bool = True
    #: With ``regions``: also decode the stretches without a kept word that stand out from one side only
    #: (voice next to music as loud) and the heads of longer runs (``quality.voice_heads``: a voice running
    #: on into a crowd), keeping only what Whisper itself trusts (:func:`_trusted`).
    one_sided: bool = True
    #: A stretch or turn whose text was a known pattern is decoded once more when it lasts at most this
    #: (:func:`_pattern_turns`: a short reply; longer ones on the sets were music or crowd, every time).
    retry_max_ms: int = 5000
    #: ... and if that gives a pattern again, a third time with the ``lead_ms`` of audio before it, its words
    #: kept on the turn only (:func:`streamkit.spans.decode_stretches`); 0: never.
    lead_ms: int = 12_000
    #: Decode each turn still without a word, of at most ``glue_max_ms``, once more after the kept voice before
    #: it, glued on (:mod:`streamkit.glue`): at least ``glue_context_ms`` of it, from the ``glue_reach_ms``
    #: before the turn. A reply too short for Whisper to read alone is what gluing is for: on the 48 recordings
    #: the turns it read were 0.65 s long, and the turns of 2-5 s it decoded (a 30 s encoder window each) kept
    #: no word. Less context reads better: Whisper may stop before the turn when it has more to read first (conv-109
    #: at 271.4 s: 6 s of context, only its first phrase written; 2 s, "하더라도." at 0.91). On the 48 recordings 2 s
    #: of context covered two lines more than 6 s, and invented nothing more.
    glue: bool = True
    glue_max_ms: int = 2000
    glue_context_ms: int = 2000
    glue_reach_ms: int = 60_000
    #: ... keeping only the words Whisper reads there at least this surely: the talk before a turn primes it to
    #: write words over whatever follows (conv-108 20 dB quieter at 188.2 s: "보셨습니다." at 0.60 over music;
    #: the replies it read, "하더라도" at 0.96, conv-110 at 24.1 s).
    glue_word_probability: float = 0.65


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


def _decode_regions(
    regions: Sequence[tuple[int, int]], transcript: Transcript, audio: AudioTrack, transcriber: WhisperTranscriber,
    options: TranscribeOptions, dropped: list[Dropped], batch_size: int | None = None,
) -> list[Utterance]:
    """The regions decoded together in one batch; what they hold that is new (words inside the region)."""
    found: list[Utterance] = []
    for u in decode_clips(transcriber, audio, regions, options, batch_size):
        why = repeats_known(u, transcript, options.initial_prompt)
        if why is None:
            found.append(u)
        else:
            dropped.append(Dropped(u.start_ms, u.end_ms, u.text, f"decoded again: {why}", ("prompt_echo",)))
    return found


def _on(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    return any(a < span[1] and b > span[0] for a, b in spans)


def _clips(
    todo: Sequence[tuple[int, int]], regions: Sequence[tuple[int, int]], pad_ms: int, duration_ms: int,
    reach_ms: int = RescueOptions.region_reach_ms,
) -> list[tuple[int, int]]:
    """Each stretch of ``todo`` (padded) joined with the speech regions over it, at most ``reach_ms`` further
    on each side; overlapping clips merged.

    The VAD's region may begin after the voice's onset (a phone-band reply) and the stretch may stop
    short of a word's tail: the clip holds both."""
    clips: list[tuple[int, int]] = []
    for a, b in todo:
        lo, hi = a - pad_ms, b + pad_ms
        for g in regions:
            if _on(g, [(a, b)]):
                lo, hi = min(lo, max(g[0], a - pad_ms - reach_ms)), max(hi, min(g[1], b + pad_ms + reach_ms))
        clips.append((max(lo, 0), min(hi, duration_ms)))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(clips):
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _rescue_regions(
    todo: Sequence[tuple[int, int]], turns: Sequence[tuple[int, int]], regions: Sequence[tuple[int, int]],
    transcript: Transcript, audio: AudioTrack, transcriber: WhisperTranscriber, options: TranscribeOptions,
    r: RescueOptions, quality: QualityOptions, dropped: list[Dropped], energy: EnergyFn,
    voiced: Sequence[tuple[int, int]] = (), phones: Sequence[tuple[int, int]] = (),
    sided: Sequence[tuple[int, int]] = (),
) -> list[Utterance]:
    """The speech regions over ``todo`` (with the stretches) and the ``turns`` without words decoded in one
    batch; a piece is kept only on a ``todo`` stretch or inside a turn (the rest of a region over a
    stretch is music or noise the VAD heard as voice). A turn on ``voiced`` (voice from end to end: the
    unheard part of a stretch) is not cut where Whisper grows unsure: conv-103 at 181 s kept only
    "안철수" of "안철수 대조와 국민의당은 어떤 선..." (0.35-0.46) over a voice at -15 to -21 dBFS."""
    clips = _clips(todo, regions, r.pad_ms, audio.duration_ms, r.region_reach_ms)
    # A turn is decoded as itself: joined to a stretch's clip it would make one long clip of two turns
    # (and music between), the very thing that loses a reply. One that a stretch's clip holds (all but the
    # turn's padding) is decoded there; touching a clip is not holding (conv-101 at 100.0 s: a phone reply
    # whose padding reached the next word's clip was decoded nowhere, and its line's cue came 0.8 s late).
    alone = [g for g in turns if not _inside(g, clips, r.pad_ms)]
    found = []
    batch = clip_batch(options, sum(b - a for a, b in regions), transcriber)
    for u in _decode_regions(sorted([*clips, *alone, *sided]), transcript, audio, transcriber, options, dropped,
                             batch):
        if _on((u.start_ms, u.end_ms), todo):
            found.append(u)
        elif _inside((u.start_ms, u.end_ms), sided, 0):
            if not _trusted(u, quality):
                dropped.append(Dropped(u.start_ms, u.end_ms, u.text, "decoded again next to a sound as loud: "
                                       f"unsure (log-probability {u.avg_logprob:.2f})", ("one_sided",)))
            elif (sure := _sure_head(u, r, energy, quality.voice_contrast_db)) is not None:
                found.append(sure)
        elif _inside((u.start_ms, u.end_ms), alone, r.pad_ms):
            # Nothing but a closing formula: what Whisper writes when a turn decoded alone holds no
            # words it can read (over a crowd after a pause in stress-2; "고맙습니다" for the quiet reply
            # "입장 뿐 아니라" in conversation.mp4). Weak evidence in the track's own decoding; a turn
            # decoded again has no other text to stand on.
            if is_outro_phrase(u.text, quality):
                dropped.append(Dropped(u.start_ms, u.end_ms, u.text, "decoded again: a closing formula alone",
                                       ("outro",)))
                continue
            on_voice = _inside((u.start_ms, u.end_ms), voiced, r.pad_ms)
            kept = u if on_voice else _sure_head(u, r, energy, quality.voice_contrast_db)
            if kept is not u:
                tail = u.words[len(kept.words):] if kept else u.words
                dropped.append(Dropped(tail[0].start_ms, u.end_ms, " ".join(w.text for w in tail),
                                       "decoded again: words after the turn, unsure or over a louder sound",
                                       ("turn_tail",)))
            if kept is not None:
                found.append(kept)
    return _onto_phones(found, phones, quality.voice_search_ms)


def _trusted(u: Utterance, quality: QualityOptions) -> bool:
    """Whether Whisper trusts what it decoded on a stretch standing out from one side only: its average
    log-probability at least ``quality.avg_logprob`` (Whisper's own bar for a failed decode) and its words'
    mean probability at least ``quality.low_word_probability``, and neither a closing formula alone nor a
    loop (stress-0 at 27 s: "안경을" eight times over music, at -0.95 and 0.69).

    Such a stretch is a voice next to music as loud, or the music itself (a singer): the contrast that
    tells them apart on a stretch standing out from both sides is missing, so the decoder's confidence
    must. On the conversational sets, noisy.mp4, fanlive and the stress recordings the two lines such
    stretches held read at -0.47 and -0.59 (mean word probability 0.78, 0.66); the 21 pieces of music, crowd
    and noise at -0.80 to -2.58, the one above -1.0 with a mean over 0.45 the loop above."""
    probs = [w.probability for w in u.words]
    return (bool(probs) and u.avg_logprob >= quality.avg_logprob
            and sum(probs) / len(probs) >= quality.low_word_probability and not only_patterns([u], quality))


def _replaced(found: Sequence[Utterance], retry: Sequence[tuple[int, int]], again: Sequence[Utterance],
              pad_ms: int) -> list[Utterance]:
    """``found`` without what the retry decoded again: the pieces inside a retried stretch, and those lying on a
    piece of the retry. Both readings of one phone turn are laid over its voice (:func:`_onto_phones`): kept
    together they said two things at once, 39 characters in 0.65 s that no cue can show at reading speed
    (conv-104 1 dB louder: "하나, 둘, 셋!" and the retry's "대신 하시기ress.. 어, 대신 하시기ress.." over
    "하더라도", a hard error)."""
    taken = [(u.start_ms, u.end_ms) for u in again]
    return [u for u in found if not _inside((u.start_ms, u.end_ms), retry, pad_ms)
            and not _on((u.start_ms, u.end_ms), taken)]


def _onto_phones(found: Sequence[Utterance], phones: Sequence[tuple[int, int]], reach_ms: int) -> list[Utterance]:
    """A phone turn is voice from end to end (its spectrum says so): the text decoded on one, with the pieces
    next to it within ``reach_ms`` (Whisper splits a reply: "그녀는 2번" | "1, 2, 3."), is laid over it as one
    block (:func:`~streamkit.quality.laid_over`). A piece goes with the turn it lies on most, else the nearest:
    the reach of the turn before it pulled conv-106's "자신을", decoded on its own phone turn at 107.5 s, back
    onto the end of the turn before it (0.65 s away), and the line lost its cue."""
    out = sorted(found, key=lambda u: u.start_ms)
    owner = {i: turn for i, u in enumerate(out) if (turn := _nearest((u.start_ms, u.end_ms), phones, reach_ms))}
    for turn in phones:
        block = [i for i in owner if owner[i] == turn]
        if any(_on((out[i].start_ms, out[i].end_ms), [turn]) for i in block):
            source = (out[block[0]].start_ms, max(out[i].end_ms for i in block))
            for i in block:
                out[i] = laid_over(out[i], turn, source)
    return out


def _nearest(span: tuple[int, int], turns: Sequence[tuple[int, int]], reach_ms: int) -> tuple[int, int] | None:
    """The turn ``span`` lies on most, else the nearest one within ``reach_ms`` (None: none)."""
    near = [t for t in turns if _inside(span, [t], reach_ms)]
    return max(near, key=lambda t: (min(span[1], t[1]) - max(span[0], t[0]), t[0]), default=None)


def _louder_tail(u: Utterance, energy: EnergyFn, contrast_db: float) -> int:
    """Where a louder sound takes over a turn decoded alone (else ``len(u.words)``): the first word from
    which every word is ``contrast_db`` louder than the median of those before, and less sure on average.
    conv-102 at 23.7 s: a turn at -32 dBFS, then music 10 dB louder where Whisper went on ("오프스탄을
    내놓은 악보리나 가슴을", 0.38-0.62). A quiet first word before a surer, louder line is no such tail."""
    levels = [span_level(energy, w.start_ms, w.end_ms) for w in u.words]
    sure = [w.probability for w in u.words]
    for i in range(1, len(levels)):
        head = sorted(levels[:i])[(i - 1) // 2]
        if min(levels[i:]) >= head + contrast_db and sum(sure[i:]) / (len(sure) - i) < sum(sure[:i]) / i:
            return i
    return len(levels)


def _sure_head(u: Utterance, r: RescueOptions, energy: EnergyFn | None = None,
               contrast_db: float = QualityOptions.voice_contrast_db) -> Utterance | None:
    """``u`` (from a turn decoded alone) up to its first stuttering word, its first ``unsure_run`` words
    in a row under ``unsure_probability`` or a louder tail (:func:`_louder_tail`), when a word before
    them stays; None when nothing stays. A turn decoded alone runs on into what follows it (music the
    VAD hears as voice) and Whisper writes unsure words there (conv-102: "현재 백화점과 영화관 등은",
    then eight words at 0.16-0.45 and a syllable looped 60 times). A short reply all unsure is the filter's."""
    words = u.words
    end = _louder_tail(u, energy, contrast_db) if energy is not None else len(words)
    for i, w in enumerate(words[:end]):
        if stutters(w.text):
            return keep_words(u, range(i))
        run = words[i:i + r.unsure_run]
        if i and len(run) == r.unsure_run and all(x.probability < r.unsure_probability for x in run):
            return keep_words(u, range(i))
    return u if end == len(words) else keep_words(u, range(end))


def _clean_found(
    transcript: Transcript, found: Sequence[Utterance], quality: QualityOptions, energy: EnergyFn, speech: SpeechFn,
    prompt: str | None, band: SpeechFn | None, music: SpeechFn | None = None,
) -> tuple[Transcript, tuple[Dropped, ...]]:
    merged = interleave(transcript.utterances, found)
    return clean_transcript(replace(transcript, utterances=tuple(merged)), quality, energy=energy, speech=speech,
                            prompt=prompt, band=band, music=music)


def _pattern_turns(
    todo: Sequence[tuple[int, int]], result: Transcript, dropped: Sequence[Dropped], quality: QualityOptions,
    max_ms: int = RescueOptions.retry_max_ms,
) -> list[tuple[int, int]]:
    """The stretches and turns decoded again that still hold no word, where what was decoded was dropped
    for a known invented pattern (counting, a closing formula, the wrong script, a loop).

    Batched decoding has no temperature fallback: over a music bed a short reply comes out as one of
    Whisper's patterns ("1, 2, 1." for "또한 박" in conversation.mp4), which the filter rightly drops.
    Decoded once more on its own, sequentially with the fallback and without the text before it as a
    prompt (with it, Whisper wrote nothing there), it reads "또 한 번". Only a stretch of at most ``max_ms``:
    on the sets every longer one (7 s of music in conv-101, 12 s of crowd in the stress recordings) gave a loop
    or nothing again, and cost 4.6-14.5 s each (fallback through every temperature).
    """
    patterns = set(quality.pattern_signals)
    hit = [(d.start_ms, d.end_ms) for d in dropped if patterns & set(d.signals)]
    return [g for g in uncovered(todo, result) if _on(g, hit) and g[1] - g[0] <= max_ms]


def _inside(span: tuple[int, int], regions: Sequence[tuple[int, int]], slack_ms: int) -> bool:
    return any(a - slack_ms <= span[0] and span[1] <= b + slack_ms for a, b in regions)


def _targets(
    transcript: Transcript, audio: AudioTrack, options: TranscribeOptions, quality: QualityOptions, r: RescueOptions,
    energy: EnergyFn, band: SpeechFn | None, level: float, stretches: Sequence[tuple[int, int]],
    missing: Sequence[tuple[int, int]], heard: Sequence[tuple[int, int]],
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]],
           list[tuple[int, int]]]:
    """What the batch decodes besides the ``missing`` stretches: the speech ``regions``; the ``turns``
    (speech regions starting on a voice, phone-band turns, and the ``parts`` of stretches 1.5 s from every
    word); the ``phones``; and the ``sided`` stretches (of ``heard``, without a kept word, standing out from
    one side only: voice next to music as loud), padded, overlapping ones merged (a clip costs a whole
    encoder window)."""
    duration = transcript.duration_ms or audio.duration_ms
    regions = turn_regions(audio, options)
    turns = turns_without_words(regions, transcript, energy, level, quality) if r.turns else []
    phones: list[tuple[int, int]] = []
    if r.turns and r.phones and band is not None:  # the caller makes the band profile whenever phones are on
        phones = phone_turns(energy, band, duration, transcript, level, quality, quality.phone_share)
        turns = sorted([*turns, *(padded(g, r.pad_ms, duration) for g in phones if not _on(g, turns))])
    parts = [padded(g, r.pad_ms, duration)  # a turn each
             for g in unheard(stretches, transcript, quality.voice_search_ms, quality.voice_min_ms, widen=True)]
    turns = sorted([*turns, *(g for g in parts if not _on(g, turns))])
    taken = [*_clips(missing, regions, r.pad_ms, duration, r.region_reach_ms), *turns]
    sided = _clips([g for g in heard if not _on(g, taken)], [], r.pad_ms, duration) if r.one_sided else []
    return regions, turns, parts, phones, sided


def _cleaned(
    transcript: Transcript, found: list[Utterance], todo: Sequence[tuple[int, int]], heard: Sequence[tuple[int, int]],
    stretches: Sequence[tuple[int, int]], phones: Sequence[tuple[int, int]], audio: AudioTrack,
    transcriber: SpanTranscriber, options: TranscribeOptions, r: RescueOptions, dropped: list[Dropped],
    clean: Callable[[Sequence[Utterance]], tuple[Transcript, tuple[Dropped, ...]]], quality: QualityOptions,
    music: SpeechFn | None,
) -> tuple[Transcript, tuple[Dropped, ...], list[tuple[int, int]], int]:
    """What was found cleaned with the transcript; the turns whose text was a known pattern decoded once more
    (:func:`_pattern_turns`), the short turns still without a word decoded after the voice before them
    (:func:`streamkit.glue.glue_turns`); the result, what the filter dropped, the glued turns that kept a word, and
    how many were glued."""
    result, more = clean(found) if found else (transcript, ())
    first: tuple[Dropped, ...] = ()
    if found:
        retry = _pattern_turns(todo, result, [*dropped, *more], quality, r.retry_max_ms) if r.regions else []
        again = _onto_phones(decode_stretches(retry, transcript, audio, transcriber, options, r, dropped,
                                               context=False, quality=quality), phones, quality.voice_search_ms)
        if again:  # in place of the first decode there, and of any reading it lies on (a phone turn's)
            first = tuple(d for d in more if _inside((d.start_ms, d.end_ms), retry, r.pad_ms))
            found = [*_replaced(found, retry, again, r.pad_ms), *again]
            result, more = clean(found)
            more = (*first, *more)
    glued, turns = glue_turns(sorted({*heard, *stretches, *phones}), result, audio, transcriber, options, r, dropped,
                              quality, music)
    if glued:
        result, more = clean([*found, *glued])
        more = (*first, *more)
    return result, more, [g for g in turns if not uncovered([g], result)], len(turns)


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
    band: SpeechFn | None = None,
    music: SpeechFn | None = None,
) -> tuple[Transcript, tuple[Dropped, ...], VoiceReport]:
    """``transcript`` (already cleaned) with the voice it missed decoded again and cleaned (``music``: the filter's
    music frames, ``quality.music_frames``); see the module doc."""
    r = rescue or RescueOptions()
    level = speech_level(transcript, energy, quality)
    duration = transcript.duration_ms or audio.duration_ms
    # Voice standing out from both sides (music after a pause is not a voice): reported, aligned to, decoded
    # in one batch; from one side at least (speech next to music as loud): decoded one by one (``regions=False``).
    heard = voiced_stretches(energy, speech, duration, level, quality, strict=False)
    stretches = voiced_stretches(energy, speech, duration, level, quality)
    todo = uncovered(heard, transcript)
    missing = uncovered(stretches, transcript)
    dropped: list[Dropped] = []
    result = transcript
    phones: list[tuple[int, int]] = []
    sided: list[tuple[int, int]] = []
    if r.regions and isinstance(transcriber, WhisperTranscriber):
        # Next to music, what batched decoding alone hears is invented (docs/benchmarks.md): both sides only.
        band = band or (band_profile(audio) if r.turns and r.phones else None)
        # The head of a voice that runs on into a crowd or music, like voice next to music as loud: on its own.
        heads = uncovered(voice_heads(energy, speech, duration, level, quality), transcript) if r.one_sided else []
        regions, turns, parts, phones, sided = _targets(transcript, audio, options, quality, r, energy, band, level,
                                                        stretches, missing, sorted([*todo, *heads]))
        todo = [*missing, *(g for g in turns if not _on(g, missing))]
        found = (_rescue_regions(missing, turns, regions, transcript, audio, transcriber, options, r, quality,
                                 dropped, energy, parts, phones, sided)
                 if todo or sided else [])
    else:
        found = decode_stretches(todo, transcript, audio, transcriber, options, r, dropped) if todo else []
    def clean(pieces: Sequence[Utterance]) -> tuple[Transcript, tuple[Dropped, ...]]:
        return _clean_found(transcript, pieces, quality, energy, speech, prompt, band, music)

    # A reply said as the music stops makes one run of voice with the music: no stretch, but a turn to glue.
    after = voice_after_music(energy, speech, music, duration, level, quality) if music is not None and r.glue else []
    result, more, glued, n_glued = _cleaned(transcript, found, todo, [*heard, *after], stretches, phones, audio,
                                            transcriber, options, r, dropped, clean, quality, music)
    # A turn that read as words after the voice before it is voice: what lies on it stays there.
    phones = [*phones, *glued]
    dropped.extend(more)
    # A phone turn is voice (its spectrum says so): what was laid over one stays there.
    result = align_to_voice(result, energy, speech, sorted({*stretches, *phones}), quality, heard, music)
    left = tuple(without_words(stretches, result, quality))
    report = VoiceReport(len(missing), len(todo) + len(sided) + n_glued, max(len(missing) - len(left), 0), left)
    log.info("voice: %d stretches without words, %d decoded again, %d recovered, %.1f s left",
             report.stretches, report.decoded, report.recovered, report.left_seconds)
    return result, tuple(sorted(dropped, key=lambda d: (d.start_ms, d.end_ms))), report
