"""Kept utterances moved onto the voice they fit (:func:`align_to_voice`): a cue starts on the voice
onset, not a second before or after it, and never crosses a neighbour. A turn's first word Whisper put
seconds early moves up to its voice; words squeezed in before a pause move on to the voice after it.

Pure: the audio enters through the ``energy`` and ``speech`` callables, as everywhere here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..models import Transcript, Utterance, Word
from .detectors import normalize_text, syllables
from .options import EnergyFn, QualityOptions, SpeechFn
from .profiles import loudest_frame, span_level
from .voice import fit_voice

__all__ = ["align_to_voice"]

#: A voice's quiet start (an unread syllable, a soft consonant) lasts at most this long; :func:`_bed_before` looks
#: as far before a voiced stretch's onset for a bed that was already there.
_QUIET_START_MS = 300
#: :func:`_turns_off_the_music`: the rest of a turn lies out of music when at most this share of its frames lie in
#: it (a voice over a bed 12 dB under it: 1.7 %, ``QualityOptions.music_bass_db``).
_MUSIC_REST = 0.1


def align_to_voice(
    transcript: Transcript, energy: EnergyFn, speech: SpeechFn, voiced: Sequence[tuple[int, int]], o: QualityOptions,
    heard: Sequence[tuple[int, int]] = (), music: SpeechFn | None = None,
) -> Transcript:
    """Kept utterances moved onto the voice they fit, by at most ``voice_search_ms``.

    An utterance that sits off its voice (less than ``voice_share`` of its word frames on voice
    frames) and fits clearly better elsewhere (by at least ``voice_share`` of its frames) moves
    there whole, words and all, but never over its neighbours nor before 0. ``heard``: the stretches
    standing out from one side at least (``voiced_stretches(strict=False)``), for :func:`_lead_word_onto_voice`
    and :func:`_strays_onto_voice`; ``music``: the share of a span in music frames (``profiles.music_frames``).
    """
    if o.voice_search_ms <= 0 or not (voiced or heard):
        return transcript
    utterances = list(transcript.utterances)
    changed = False
    for i, u in enumerate(utterances):
        spans = [(w.start_ms, w.end_ms) for w in u.words] or [(u.start_ms, u.end_ms)]
        here = fit_voice(spans, energy, speech, voiced, replace(o, voice_search_ms=0))
        if here.share >= o.voice_share:
            continue
        fit = fit_voice(spans, energy, speech, voiced, o)
        if fit.share - here.share < o.voice_share or not fit.shift_ms:
            continue
        low = utterances[i - 1].end_ms if i else 0
        high = utterances[i + 1].start_ms if i + 1 < len(utterances) else transcript.duration_ms or u.end_ms
        shift = max(fit.shift_ms, low - u.start_ms) if fit.shift_ms < 0 else min(fit.shift_ms, high - u.end_ms)
        if shift * fit.shift_ms <= 0:
            continue
        utterances[i] = _shifted(u, shift)
        changed = True
    for i, u in enumerate(utterances):
        pushed = _push_squeezed_words(u, voiced, o)
        pulled = _pull_lead_word(pushed, energy, voiced, o)
        if pulled is pushed:
            pulled = _lead_word_onto_voice(pushed, heard, voiced, energy, speech, o)
        if pulled is not u:
            utterances[i] = u = pulled
            changed = True
        snapped = _words_onto_onsets(_snap_onset(u, energy, speech, voiced, utterances[i - 1].end_ms if i else 0, o),
                                     [*heard, *voiced], speech, o)
        snapped = _late_words_onto_onsets(_turns_off_the_music(snapped, music, o), energy, speech, voiced, o)
        if snapped is not u:
            utterances[i] = snapped
            changed = True
    if transcript.language == "ko" and o.determiners:
        moved = _determiners_to_their_nouns(utterances, o)
        if moved != utterances:
            utterances, changed = moved, True
    if o.stray_reach_ms > 0:
        moved = _strays_onto_voice(utterances, heard, voiced, speech, music, o)
        if moved != utterances:
            utterances, changed = moved, True
    return replace(transcript, utterances=tuple(utterances)) if changed else transcript


def _determiners_to_their_nouns(utterances: Sequence[Utterance], o: QualityOptions) -> list[Utterance]:
    """The utterances with each determiner (``o.determiners``) that stands ``determiner_pause_ms`` or more before
    the word after it (at most ``determiner_reach_ms``, in its utterance or the next one) moved on to that word:
    the two share its span, by syllables (:func:`_sharing`, as in :func:`_lead_word_onto_voice`).

    A determiner never ends a phrase, so one before a pause was put early: Whisper gives a determiner and its
    noun abutting times (0 ms between them in 13 of 19 uses on four recordings; 0.8-9.3 s in the other 6, each
    one early). On the 43 recordings of the twenty-ninth pass 6 of the 33 cues over non-speech were such a word
    alone ("다른" of "다른 지역에서는" over babble, music or silence, five times; "어떤" of "어떤 선택을"), and its
    line's cue lacked it. The audio could not move them: over babble (conv-106 at 38.7 s) the word sat on a voiced
    stretch as loud as the line, and inside a segment no lead-word rule looks.
    """
    words = [(i, w) for i, u in enumerate(utterances) for w in u.words]
    moved: dict[int, Word] = {}  # position in ``words`` -> the word retimed
    determiners = set()
    for k in range(len(words) - 1):
        (_, w), (_, nxt) = words[k], words[k + 1]
        if (k in moved or normalize_text(w.text) not in o.determiners
                or not o.determiner_pause_ms <= nxt.start_ms - w.end_ms <= o.determiner_reach_ms):
            continue
        moved[k], moved[k + 1] = _sharing(w, nxt)
        determiners.add(k)
    return _regrouped(utterances, words, moved, determiners)


def _strays_onto_voice(utterances: Sequence[Utterance], heard: Sequence[tuple[int, int]],
                       voiced: Sequence[tuple[int, int]], speech: SpeechFn, music: SpeechFn | None,
                       o: QualityOptions) -> list[Utterance]:
    """The utterances with each stray word moved onto voice. A stray word stands alone off the voice
    (:func:`_off_voice`), ``lead_word_pause_ms`` or more after a sentence's end (or after any word), and ends no
    sentence itself. One that begins on or at most ``voice_search_ms`` after a stretch of ``voiced`` (standing out
    from both sides: a turn, not the end of a crowd ``heard`` from one side) that begins after the word before it,
    goes back onto that stretch (Whisper put it late, on the music after its voice);
    else one ``lead_word_pause_ms`` or more before its next word, which begins on voice at most ``stray_reach_ms``
    after it (:func:`_begins_voice`), goes on to that word: the two share its span, by syllables (:func:`_sharing`).

    Whisper's word times put the first word after music or silence seconds early, wherever it lies in its
    segment: the end of one (conv-106 at 262.4 s, "아니," after "할까요?" over the music before "교수가"; conv-108
    20 dB quieter at 83.0 s, "물론" 4.4 s before its reply), an utterance's first word on the tail of the music
    before it (conv-113 at 55.8 s, "또한", 2 s before its reply), or touching a crowd's stretch by 10 ms (conv-102
    1 dB louder at 20.1 s, "현재" of "현재 백화점과"). Each was a cue of its own over non-speech, and its line's cue
    lacked it. Late, less often: conv-115 at 15.7 s, "말씀입니다" for the phone reply "것입니다" 1.2 s before it.
    """
    words = [(i, w) for i, u in enumerate(utterances) for w in u.words]
    moved: dict[int, Word] = {}
    strays = set()
    stretches = [*heard, *voiced]
    for k in range(len(words) - 1, -1, -1):  # backwards: a stray before a stray follows it on
        w = words[k][1]
        before = words[k - 1][1] if k else None
        after = before.end_ms if before is not None else 0
        if (_ends_sentence(w.text) or (w.start_ms - after < o.lead_word_pause_ms
                                       and not (before is not None and _ends_sentence(before.text)))
                or not _off_voice(w, stretches, speech, music, o)):
            continue
        behind = [(a, b) for a, b in voiced if after <= a <= w.start_ms <= b + o.voice_search_ms and b < w.end_ms
                  and (music is None or music(a, b) < o.music_share)]
        if behind:
            a, b = max(behind)
            moved[k] = replace(w, start_ms=a, end_ms=b)
            continue
        nxt = moved.get(k + 1, words[k + 1][1]) if k + 1 < len(words) else None
        if (nxt is not None and o.lead_word_pause_ms <= nxt.start_ms - w.end_ms <= o.stray_reach_ms
                and _begins_voice(nxt, stretches, speech, music, o)):
            moved[k], moved[k + 1] = _sharing(w, nxt)
            strays.add(k)
    return _regrouped(utterances, words, moved, strays)


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", "?", "!", "。", "？", "！"))


def _share(profile: SpeechFn, w: Word, o: QualityOptions) -> float:
    """``profile`` over ``w``'s span, a frame at least."""
    return profile(w.start_ms, max(w.end_ms, w.start_ms + o.energy_frame_ms))


def _in_music(w: Word, music: SpeechFn | None, o: QualityOptions) -> bool:
    """Whether half of ``w``'s time or more lies in music frames (a voice over a music bed is in 2 % of them)."""
    return music is not None and 2 * _share(music, w, o) >= 1


def _off_voice(w: Word, stretches: Sequence[tuple[int, int]], speech: SpeechFn, music: SpeechFn | None,
               o: QualityOptions) -> bool:
    """Whether ``w`` lies in music, or on ``stretches`` for less than half its time where the VAD hears no voice
    (``voice_vad``: a quiet reply it hears is a voice, though no stretch stands out for it)."""
    on = sum(max(0, min(b, w.end_ms) - max(a, w.start_ms)) for a, b in stretches)
    return _in_music(w, music, o) or (2 * on < max(w.end_ms - w.start_ms, 1) and _share(speech, w, o) < o.voice_vad)


def _begins_voice(w: Word, stretches: Sequence[tuple[int, int]], speech: SpeechFn, music: SpeechFn | None,
                  o: QualityOptions) -> bool:
    """Whether ``w`` lies on voice: less than ``music_share`` of it in music (a reply's last syllable touches the
    music after it: conv-113 at 58.1 s, 55 %), and on ``stretches`` or heard by the VAD (``voice_vad``: a voice
    running straight on into music is no stretch, conv-102 at 21.8 s)."""
    if music is not None and _share(music, w, o) >= o.music_share:
        return False
    return any(a < w.end_ms and b > w.start_ms for a, b in stretches) or speech(w.start_ms, w.end_ms) >= o.voice_vad


def _regrouped(utterances: Sequence[Utterance], words: Sequence[tuple[int, Word]], moved: dict[int, Word],
               onto_next: set[int]) -> list[Utterance]:
    """``utterances`` with the words of ``moved`` retimed, and each word of ``onto_next`` (positions in ``words``)
    in its next word's utterance; an utterance left without words goes."""
    if not moved:
        return list(utterances)
    owner = [i for i, _ in words]
    for k in sorted(onto_next, reverse=True):  # a chain of them goes where its last one goes
        owner[k] = owner[k + 1]
    groups: list[list[Word]] = [[] for _ in utterances]
    for k, (_, w) in enumerate(words):
        groups[owner[k]].append(moved.get(k, w))
    out = []
    for u, ws in zip(utterances, groups, strict=True):
        if u.words and not ws:
            continue  # its one word went on to the next
        if not u.words or tuple(ws) == u.words:
            out.append(u)
            continue
        ws.sort(key=lambda w: w.start_ms)
        out.append(replace(u, words=tuple(ws), text=" ".join(w.text for w in ws),
                           start_ms=u.start_ms if ws[0] is u.words[0] else ws[0].start_ms,
                           end_ms=u.end_ms if ws[-1] is u.words[-1] else max(w.end_ms for w in ws)))
    return out


def _snap_onset(u: Utterance, energy: EnergyFn, speech: SpeechFn, voiced: Sequence[tuple[int, int]],
                not_before: int, o: QualityOptions) -> Utterance:
    """``u`` starting on the onset of the voiced stretch its first word begins in or just before.

    Whisper starts a word on the silence before it, or a few hundred ms into it; a cue should come
    up when the voice does. The onset must be within ``voice_search_ms``, after the previous
    utterance, and before the first word's end; a later one counts from ``voice_onset_lag_ms`` before it
    (the VAD hears a voice that late).
    """
    if not u.words:
        return u
    first = u.words[0]
    onsets = [a for a, b in voiced if a < first.end_ms and b > first.start_ms - o.voice_search_ms
              and abs(a - first.start_ms) <= o.voice_search_ms and a >= not_before]
    if not onsets:
        return u
    onset = min(onsets, key=lambda a: abs(a - first.start_ms))
    if onset >= first.end_ms:
        return u
    if onset > first.start_ms:  # the word began before the stretch: on silence, or on the voice's quiet start
        onset -= o.voice_onset_lag_ms
        if onset - first.start_ms < o.energy_frame_ms:
            return u
    elif first.start_ms - onset < 2 * o.energy_frame_ms or _bed_before(first, onset, energy, speech, o):
        return u
    words = (replace(first, start_ms=onset), *u.words[1:])
    return replace(u, words=words, start_ms=onset)


def _late_words_onto_onsets(u: Utterance, energy: EnergyFn, speech: SpeechFn, voiced: Sequence[tuple[int, int]],
                            o: QualityOptions) -> Utterance:
    """``u`` with each word after the first that Whisper began late in a voiced stretch, the stretch coming in
    after the word before it (a pause), starting on that stretch's onset, as :func:`_snap_onset` does for the
    first word (within ``voice_search_ms``, unless what lies before the word is a bed: :func:`_bed_before`).

    conv-106 at 176.7 s: "때 자신을 정당화하지는 않을까" after a pause, read "자신을" from 177.06 s, 0.36 s into its
    voice; its cue came late, and the cue before, chained up to it, covered the line's onset."""
    words = list(u.words)
    for k in range(1, len(words)):
        w, before = words[k], words[k - 1]
        onset = max((a for a, b in voiced if before.end_ms < a < w.start_ms < b), default=None)
        if (onset is None or w.start_ms - onset < 2 * o.energy_frame_ms or w.start_ms - onset > o.voice_search_ms
                or _bed_before(w, onset, energy, speech, o)):
            continue
        words[k] = replace(w, start_ms=onset)
    return u if words == list(u.words) else replace(u, words=tuple(words))


def _turns_off_the_music(u: Utterance, music: SpeechFn | None, o: QualityOptions) -> Utterance:
    """``u`` with the words Whisper began in music at the head of a turn (its first word, or the first after a
    ``lead_word_pause_ms`` pause), when the words after them lie out of it, starting where the music ends: squeezed
    by syllables into what is left of the last of them, or sharing the next word's span when none is left. No word is
    dropped: only where the cue comes up moves.

    A line's first word drawn back over the music before its voice, or what Whisper read in that music, came up as
    the line's cue 0.5-1 s before its voice: conv-104 at 22.6 s ("이때" from 21.89 s, 0.73 s early), conv-108 at
    124.3 s ("마세어리 피싱과" from 123.25 s), conv-109 at 86.7 s ("분의" after a pause, in the music, 0.6 s early).
    """
    if music is None:
        return u
    words, f = list(u.words), o.energy_frame_ms
    heads = [i for i in range(len(words)) if not i or words[i].start_ms - words[i - 1].end_ms >= o.lead_word_pause_ms]
    for i in heads:
        k = i
        while k < len(words) and music(words[k].start_ms, words[k].start_ms + f) >= 0.5:
            k += 1
        turn_end = next((j for j in heads if j > i), len(words))
        rest = (words[k].start_ms, max(words[turn_end - 1].end_ms, words[k].start_ms + 1)) if k < turn_end else None
        if k == i or rest is None or music(*rest) > _MUSIC_REST:
            continue
        t = words[k - 1].start_ms
        while t < words[k].start_ms and music(t, t + f) >= 0.5:
            t += f
        t = min(t, words[k].start_ms)
        if t - words[i].start_ms < 2 * f:
            continue
        if t < words[k - 1].end_ms:
            words[i:k] = _squeezed(words[i:k], t, words[k - 1].end_ms)
        else:  # they share the next word's span with it
            words[i : k + 1] = _squeezed(words[i : k + 1], words[k].start_ms, words[k].end_ms)
    if words == list(u.words):
        return u
    return replace(u, words=tuple(words), start_ms=words[0].start_ms if words[0] != u.words[0] else u.start_ms)


def _squeezed(words: Sequence[Word], start: int, end: int) -> list[Word]:
    """``words`` laid over ``start``-``end`` one after another, each a share of it by syllables."""
    counts = [max(syllables(w.text), 1) for w in words]
    out, at = [], start
    for n, w in enumerate(words):
        to = end if n == len(words) - 1 else start + (end - start) * sum(counts[: n + 1]) // sum(counts)
        out.append(replace(w, start_ms=at, end_ms=to))
        at = to
    return out


def _words_onto_onsets(u: Utterance, stretches: Sequence[tuple[int, int]], speech: SpeechFn,
                       o: QualityOptions) -> Utterance:
    """``u`` with each word after the first that begins off the voice (on no stretch, where the VAD hears no
    voice), over the pause before a stretch that starts inside it and holds the start of the word after it,
    starting with that stretch (``voice_onset_lag_ms`` before its onset, never before the word before). A last word
    stays: an unsure one over the music after a line, moved onto the crowd after that, was a cue of its own there.

    Whisper draws a line's first word back over the music before it, onto the end of a reply in the same segment:
    conv-106 at 30.6 s, "안철수대표와" 0.9 s before its voice at 31.5 s (VAD 0.06 there, music), right after the reply
    "또한 밤" (29.7-30.3 s).
    The reply and the line made one cue, 1.9 s early for the line; with the pause between them they make two.
    """
    words = list(u.words)
    for k in range(1, len(words) - 1):
        w, before, after = words[k], words[k - 1], words[k + 1]
        onset = min((a for a, b in stretches if w.start_ms < a < w.end_ms and a >= before.end_ms
                     and a <= after.start_ms < b), default=None)
        if (onset is None or any(a < onset and b > w.start_ms for a, b in stretches)
                or speech(w.start_ms, onset) >= o.voice_vad):
            continue
        start = max(before.end_ms, onset - o.voice_onset_lag_ms)
        if start - w.start_ms >= 2 * o.energy_frame_ms:
            words[k] = replace(w, start_ms=start)
    return u if words == list(u.words) else replace(u, words=tuple(words))


def _bed_before(first: Word, onset: int, energy: EnergyFn, speech: SpeechFn, o: QualityOptions) -> bool:
    """Whether what lies from ``onset`` to ``first`` is a bed under the voice rather than the voice:
    ``onset_below_db`` under the word's level, or under its loudest frame (as ``retime._quiet_lead``
    trims it) where the voice-activity detector hears no clear voice (``bed_vad``). A one-syllable word
    with a quiet tail (conv-102 at 222.9 s, "짠" 14 dB over music the VAD half hears, 0.39) went back
    onto the bed by its level alone; a phone voice's quiet start (conv-101 at 147.5 s, 0.87) is voice.

    Never a bed: a quiet start (``_QUIET_START_MS`` at most) that the VAD hears as voice (``bed_vad``), rising
    ``onset_below_db`` out of what lies before it. conv-106 at 107.5 s, "자신을": a phone voice's quiet "자"
    (0.25 s at -38 dBFS, VAD 0.89, out of silence at -56), 11 dB under the word's level; its cue came 0.3 s late
    and the cue before, chained up to it, covered the line's onset. A music bed that comes in with the stretch
    lasts longer (conv-101 at 132.0 s: 0.93 s at -30, VAD 0.72, before "만약")."""
    before = energy(onset, first.start_ms)
    if (first.start_ms - onset <= _QUIET_START_MS and speech(onset, first.start_ms) >= o.bed_vad
            and energy(max(onset - _QUIET_START_MS, 0), onset) < before - o.onset_below_db):
        return False
    if before < energy(first.start_ms, first.end_ms) - o.onset_below_db:
        return True
    loudest = loudest_frame(energy, first.start_ms, first.end_ms, o.energy_frame_ms)
    return before < loudest - o.onset_below_db and speech(onset, first.start_ms) < o.bed_vad


def _pull_lead_word(u: Utterance, energy: EnergyFn, voiced: Sequence[tuple[int, int]], o: QualityOptions) -> Utterance:
    """``u`` with a first word that stands alone before a long pause, and much quieter than the voice
    its next word begins in, moved up to just before that word, at the voice's onset.

    Whisper's word times can put a segment's first word seconds early, over the music or silence
    before the voice (conv-101 at 115.3 s: "그" of "그 바람에" 3 s early, over the end of a music bed
    13 dB under the voice): a cue of its own over the music, and the line's cue late.
    """
    if len(u.words) < 2:
        return u
    first, second = u.words[0], u.words[1]
    if second.start_ms - first.end_ms < o.lead_word_pause_ms:
        return u
    if any(first.start_ms - o.voice_search_ms <= a < first.end_ms and first.start_ms < b <= second.start_ms
           for a, b in voiced):
        return u  # its own voice, begun about when it was and over before the pause: a reply on a phone
        # line (conversation.mp4 at 22.7 s, "또한"), not the tail of a bed that began seconds before
    onset = next((a for a, b in voiced if first.end_ms <= a <= second.start_ms + o.energy_frame_ms
                  and b > second.start_ms), None)
    if onset is None:
        return u
    voice_db = energy(onset, max(second.end_ms, onset + o.energy_frame_ms))
    if voice_db - span_level(energy, first.start_ms, first.end_ms) < o.lead_word_below_db:
        return u
    start = max(first.end_ms, min(onset, second.start_ms - o.energy_frame_ms))
    words = (replace(first, start_ms=start, end_ms=max(start, second.start_ms)), *u.words[1:])
    return replace(u, words=words, start_ms=start)


def _lead_word_onto_voice(u: Utterance, heard: Sequence[tuple[int, int]], voiced: Sequence[tuple[int, int]],
                          energy: EnergyFn, speech: SpeechFn, o: QualityOptions) -> Utterance:
    """``u`` with a first word that stands alone before a long pause over no voice at all (on no stretch of
    ``heard`` nor ``voiced``, not even one standing out from one side only), when its next word begins on
    voice (on such a stretch, or itself ``lead_word_below_db`` louder than the first word and heard by the
    VAD): the two share the next word's span, by syllables.

    Sequential decoding starts a segment seconds early over the music before the voice (conv-101 at 28.2 s:
    "박근혜" over music as loud as the voice, 3 s before "대통령이" at 31.2 s). Nothing is quieter there, so
    :func:`_pull_lead_word` does not see it, and the word was a cue of its own over the music. A voice running
    straight on into music is no stretch at all (conv-102 1 dB louder at 21.8 s: "현재" squeezed into 50 ms of
    near-silence 1.1 s before "백화점과", a cue of its own over the silence).
    """
    if len(u.words) < 2:
        return u
    first, second = u.words[0], u.words[1]
    if (second.start_ms - first.end_ms < o.lead_word_pause_ms
            or any(a < first.end_ms and b > first.start_ms for a, b in (*heard, *voiced))):
        return u
    if not any(a <= second.start_ms + o.energy_frame_ms and b > second.start_ms for a, b in heard) and (
            span_level(energy, second.start_ms, second.end_ms)
            - span_level(energy, first.start_ms, first.end_ms) < o.lead_word_below_db
            or speech(second.start_ms, second.end_ms) < o.voice_vad):
        return u
    return replace(u, words=(*_sharing(first, second), *u.words[2:]), start_ms=second.start_ms)


def _sharing(first: Word, second: Word) -> tuple[Word, Word]:
    """``first`` moved on to ``second``: the two share ``second``'s span, by syllables (:func:`_squeezed`)."""
    head, rest = _squeezed((first, second), second.start_ms, second.end_ms)
    return head, rest


def _push_squeezed_words(u: Utterance, voiced: Sequence[tuple[int, int]], o: QualityOptions) -> Utterance:
    """``u`` with each word that Whisper squeezed in before a long pause (``squeezed_ms_per_char``)
    moved on to the onset of the voice its next word begins in, when that onset lies in the pause.

    Batched word times put the first word of the next turn at the end of the one before, in a few ms:
    conv-103 at 127.9 s, "정정기의" (for "가정용 전기에") in 170 ms, 11 s before its voice at 138.3 s; at
    6.1 s "조" (for "안철수") in 50 ms, 1.1 s before its voice. That turn's cue came up late, with the
    word missing from it, and the turn before kept a word of another.
    """
    words = list(u.words)
    for i in range(len(words) - 1):
        w, nxt = words[i], words[i + 1]
        if (nxt.start_ms - w.end_ms < o.lead_word_pause_ms
                or w.end_ms - w.start_ms >= o.squeezed_ms_per_char * max(syllables(w.text), 1)):
            continue
        onset = next((a for a, b in voiced if w.end_ms < a < nxt.start_ms and b > nxt.start_ms), None)
        if onset is not None:
            words[i] = replace(w, start_ms=onset, end_ms=nxt.start_ms)
    if words == list(u.words):
        return u
    start = words[0].start_ms if words[0] is not u.words[0] else u.start_ms
    return replace(u, words=tuple(words), start_ms=start)


def _shifted(u: Utterance, shift: int) -> Utterance:
    words = tuple(replace(w, start_ms=w.start_ms + shift, end_ms=w.end_ms + shift) for w in u.words)
    return replace(u, words=words, start_ms=u.start_ms + shift, end_ms=u.end_ms + shift)
