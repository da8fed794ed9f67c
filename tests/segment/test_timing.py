"""Tests for streamkit.segment.segment end to end: cutting, merging, timing, and hypothesis properties."""

from __future__ import annotations

import dataclasses
import math
import time
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit.models import Cue, SubtitleTrack, Transcript, Utterance, Word
from streamkit.segment import (
    DEFAULT_FPS,
    ENGLISH_RULES,
    KOREAN_RULES,
    SegmentRules,
    display_width,
    frame_ms,
    rules_for,
    segment,
)

from .strategies import ENGLISH_WORD, KOREAN_WORD

NTSC = Fraction(30000, 1001)


def words_transcript(words: list[tuple[int, int, str]], language: str = "en", duration_ms: int = 0) -> Transcript:
    """One utterance holding ``words`` given as (start_ms, end_ms, text)."""
    ws = tuple(Word(s, e, t) for s, e, t in words)
    utterance = Utterance(ws[0].start_ms, max(w.end_ms for w in ws), " ".join(t for _, _, t in words), ws)
    return Transcript(language, (utterance,), duration_ms)


def spoken(text: str, start_ms: int = 0, word_ms: int = 300, gap_ms: int = 0) -> list[tuple[int, int, str]]:
    """Words of ``text`` spoken back to back from ``start_ms``."""
    out = []
    t = start_ms
    for w in text.split():
        out.append((t, t + word_ms, w))
        t += word_ms + gap_ms
    return out


def cue_words(track: SubtitleTrack) -> list[str]:
    return [w for cue in track.cues for line in cue.lines for w in line.split()]




def test_in_time_is_speech_onset_and_linger_is_at_most_half_a_second() -> None:
    track = segment(words_transcript([(1234, 1700, "Hello"), (1700, 2300, "everyone.")]))
    (cue,) = track.cues
    assert cue.start_ms == 1234
    assert cue.end_ms == 2300 + 500
    assert cue.lines == ("Hello everyone.",)


def test_chaining_closes_a_300_ms_gap_to_two_frames() -> None:
    # pause_split forces two cues; no linger, so only chaining can close the gap.
    rules = dataclasses.replace(ENGLISH_RULES, pause_split_ms=200, max_linger_ms=0)
    transcript = words_transcript([(0, 1000, "Hello there."), (1300, 2300, "Welcome back.")])
    for fps, gap in ((Fraction(24), 84), (NTSC, 67)):
        a, b = segment(transcript, rules, fps).cues
        assert b.start_ms == 1300
        assert b.start_ms - a.end_ms == gap == frame_ms(2, fps)


def test_gaps_longer_than_twelve_frames_stay_open() -> None:
    rules = dataclasses.replace(ENGLISH_RULES, pause_split_ms=200, max_linger_ms=0)
    a, b = segment(words_transcript([(0, 1000, "Hello there."), (1600, 2600, "Welcome back.")]), rules).cues
    assert (a.end_ms, b.start_ms) == (1000, 1600)
    # With the default linger the out-time runs 500 ms past speech and then leaves the gap alone.
    rules = dataclasses.replace(ENGLISH_RULES, pause_split_ms=200)
    a, b = segment(words_transcript([(0, 1000, "Hello there."), (2100, 2600, "Welcome back.")]), rules).cues
    assert a.end_ms == 1500
    # ... and a 500 ms (12 frames) gap after the linger is chained.
    a, b = segment(words_transcript([(0, 1000, "Hello there."), (2000, 2600, "Welcome back.")]), rules).cues
    assert b.start_ms - a.end_ms == 84


def test_minimum_duration_extends_into_free_time() -> None:
    (cue,) = segment(words_transcript([(1000, 1100, "Hi.")])).cues
    assert (cue.start_ms, cue.end_ms) == (1000, 1833)


def test_minimum_duration_stops_short_of_the_next_cue() -> None:
    rules = dataclasses.replace(ENGLISH_RULES, pause_split_ms=300, merge_pause_ms=300)
    a, b = segment(words_transcript([(0, 100, "Hi."), (600, 1500, "Welcome back.")]), rules).cues
    assert a.end_ms == 600 - 84
    assert b.start_ms == 600


def test_reading_speed_extends_the_out_time() -> None:
    text = "Forty characters of text said very fast."
    assert len(text) == 40
    (cue,) = segment(words_transcript(spoken(text, 0, word_ms=100))).cues
    assert cue.duration_ms == 2000  # 40 characters at 20 per second


def test_a_cue_too_fast_to_read_merges_with_its_neighbour() -> None:
    first = spoken("Okay everyone, welcome back to the stream!", 0, word_ms=150)  # 42 chars: 2.1 s to read
    # Next sentence 1.8 s after the onset: 1.7 s is too little, and both fit one cue.
    track = segment(words_transcript([*first, *spoken("Today we have a special guest.", 1800, 250)]))
    assert [c.lines for c in track.cues] == [
        ("Okay everyone, welcome back to the stream!", "Today we have a special guest.")
    ]
    # (the 750 ms pause between them forces a cut, but a cue too fast to read joins its neighbour across
    # a pause under merge_pause_ms; with merge_pause_ms at the pause split it may not)
    apart = dataclasses.replace(ENGLISH_RULES, merge_pause_ms=ENGLISH_RULES.pause_split_ms)
    assert len(segment(words_transcript([*first, *spoken("Today we have a special guest.", 1800, 250)]),
                       apart).cues) == 2
    # With 2.5 s of room each sentence keeps its own cue.
    track = segment(words_transcript([*first, *spoken("Today we have a special guest.", 2500, 250)]))
    assert [c.text for c in track.cues] == [
        "Okay everyone, welcome back to the stream!",
        "Today we have a special guest.",
    ]
    assert track.cues[0].end_ms == 2500 - 84


def test_a_sentence_end_with_a_clear_pause_starts_a_new_cue() -> None:
    words = [*spoken("Okay, we are back.", 0, 150), *spoken("Today we have a special guest.", 1600, 250)]
    track = segment(words_transcript(words))
    assert [c.text for c in track.cues] == ["Okay, we are back.", "Today we have a special guest."]
    assert track.cues[1].start_ms == 1600


def test_back_to_back_speech_never_overlaps() -> None:
    text = (
        "This is the first sentence of a long stream that keeps going without any pause at all. "
        "And here is a second one that follows it immediately, still without a breath in between."
    )
    track = segment(words_transcript(spoken(text, 0, word_ms=250)))
    assert len(track.cues) >= 2
    for a, b in zip(track.cues, track.cues[1:], strict=False):
        assert b.start_ms - a.end_ms >= 84
    assert cue_words(track) == text.split()


def test_cue_never_exceeds_seven_seconds() -> None:
    (cue,) = segment(words_transcript([(0, 20_000, "Loooong.")])).cues
    assert cue.duration_ms == 7000


def test_pause_of_pause_split_always_starts_a_new_cue() -> None:
    pause = ENGLISH_RULES.pause_split_ms
    split = segment(words_transcript([(0, 1000, "one more"), (1000 + pause, 2000 + pause, "two more")]))
    assert [c.text for c in split.cues] == ["one more", "two more"]
    joined = segment(words_transcript([(0, 1000, "one more"), (999 + pause, 2000 + pause, "two more")]))
    assert [c.text for c in joined.cues] == ["one more two more"]


def test_a_reply_and_the_next_turn_after_two_thirds_of_a_second_are_two_cues() -> None:
    """conv-102's opening: word times as streamkit decoded them; one cue showed the turn 1.1 s early."""
    words = [(1340, 1520, "물론"), (1520, 1820, "일단"), (2460, 3000, "염려가"), (3000, 3160, "될"),
             (3160, 3320, "수도"), (3320, 3960, "있습니다.")]
    track = segment(words_transcript(words, "ko"), rules=KOREAN_RULES)
    assert [(c.start_ms, c.text) for c in track.cues] == [(1340, "물론 일단"), (2460, "염려가 될 수도 있습니다.")]


def test_a_turn_two_fifths_of_a_second_after_another_starts_its_own_cue() -> None:
    """conv-101 at 76.8 s: word times as streamkit decoded them; one cue showed the second turn 1.3 s early."""
    words = [(76840, 77070, "분의"), (77070, 77590, "영업하고"), (77590, 77700, "있고"), (78100, 78410, "짠건"),
             (78410, 78670, "아니라"), (78670, 79690, "변호인단의"), (79690, 80010, "활용")]
    track = segment(words_transcript(words, "ko"), rules=KOREAN_RULES)
    assert [c.start_ms for c in track.cues] == [76840, 78100]


def test_simultaneous_cues_are_delayed_to_stay_readable() -> None:
    text = " ".join(["word"] * 60)
    track = segment(words_transcript([(5000, 5000, w) for w in text.split()]))
    assert len(track.cues) >= 3
    assert track.cues[0].start_ms == 5000
    for a, b in zip(track.cues, track.cues[1:], strict=False):
        assert b.start_ms == a.start_ms + ENGLISH_RULES.min_visible_ms + 84
    assert cue_words(track) == text.split()


def test_zero_length_and_overlapping_words_make_valid_cues() -> None:
    words = [(1000, 1000, "a"), (900, 950, "b"), (900, 2000, "c"), (1500, 1200, "d")]
    track = segment(
        Transcript(
            "en",
            (Utterance(900, 2000, "a b c d", tuple(Word(s, max(s, e), t) for s, e, t in words)),),
            0,
        )
    )
    assert cue_words(track) == ["a", "b", "c", "d"]
    assert track.cues[0].start_ms == 1000  # onsets are made monotonic


def test_korean_word_leading_space_is_stripped() -> None:
    track = segment(words_transcript([(0, 400, " 안녕하세요"), (450, 900, " 여러분")], "ko"))
    assert track.cues[0].lines == ("안녕하세요 여러분",)


def test_translation_without_words_is_spread_by_characters() -> None:
    transcript = Transcript(
        "en",
        (
            Utterance(0, 2000, "Hello  everyone,\nwelcome back."),
            Utterance(5000, 6000, "Today we sing."),
        ),
        10_000,
    )
    track = segment(transcript)
    assert [c.text for c in track.cues] == ["Hello everyone, welcome back.", "Today we sing."]
    assert track.cues[0].start_ms == 0
    assert track.cues[1].start_ms == 5000
    assert track.cues[1].end_ms == 6500


def test_a_word_wider_than_a_line_is_hard_split() -> None:
    url = "https://example.com/" + "a" * 60
    track = segment(words_transcript([(0, 3000, url)]))
    pieces = cue_words(track)
    assert "".join(pieces) == url and len(pieces) >= 2
    for cue in track.cues:
        assert all(display_width(line, ENGLISH_RULES) <= 42 for line in cue.lines)


def test_empty_transcript_gives_empty_track() -> None:
    track = segment(Transcript("ko", (), 0))
    assert track.cues == () and track.language == "ko"


def test_defaults_follow_the_transcript_language() -> None:
    transcript = words_transcript(spoken("오늘 방송 정말 재밌었고 다음에 또 만나요 감사합니다", 0), "ko")
    assert segment(transcript) == segment(transcript, KOREAN_RULES, DEFAULT_FPS)
    assert segment(transcript) != segment(transcript, ENGLISH_RULES)


def test_fps_must_be_positive() -> None:
    with pytest.raises(ValueError):
        segment(words_transcript([(0, 100, "hi")]), fps=Fraction(0))


def test_three_hour_transcript_is_fast() -> None:
    vocab = [
        "오늘",
        "방송",
        "정말",
        "재밌었고",
        "다음에",
        "또",
        "만나요",
        "감사합니다.",
        "여러분",
        "사랑해요",
    ]
    utterances = []
    t = 0
    for u in range(2000):
        ws = []
        for i in range(20):
            ws.append(Word(t, t + 250 + (i * 37 + u) % 300, vocab[(i * 7 + u) % len(vocab)]))
            t = ws[-1].end_ms + (1500 if (i * 13 + u) % 31 == 0 else 80)
        utterances.append(Utterance(ws[0].start_ms, ws[-1].end_ms, "x", tuple(ws)))
    transcript = Transcript("ko", tuple(utterances), t)
    began = time.perf_counter()
    track = segment(transcript)
    assert time.perf_counter() - began < 5.0
    assert len(cue_words(track)) == 40_000


# --------------------------------------------------------------------------- hypothesis properties

# Gap before each word (negative: overlaps the previous word) and its length (0: zero-length).
GAP = st.one_of(st.integers(-400, 0), st.integers(0, 400), st.integers(800, 3000))
LENGTH = st.one_of(st.just(0), st.integers(1, 1500))


@st.composite
def transcripts(draw: st.DrawFn, language: str) -> Transcript:
    word = KOREAN_WORD if language == "ko" else ENGLISH_WORD
    cursor = draw(st.integers(0, 2000))
    utterances: list[Utterance] = []
    previous_start = 0
    for _ in range(draw(st.integers(0, 6))):
        timed: list[Word] = []
        for _ in range(draw(st.integers(1, 25))):
            start = max(0, cursor + draw(GAP))
            end = start + draw(LENGTH)
            leading = " " if language == "ko" and draw(st.booleans()) else ""
            timed.append(Word(start, end, leading + draw(word)))
            cursor = end
        start = max(previous_start, min(w.start_ms for w in timed))
        end = max(start, max(w.end_ms for w in timed))
        text = " ".join(w.text.strip() for w in timed)
        keep_words = draw(st.booleans()) or language == "ko"
        utterances.append(Utterance(start, end, text, tuple(timed) if keep_words else ()))
        previous_start = start
    duration = draw(st.one_of(st.just(0), st.integers(cursor, cursor + 5000)))
    return Transcript(language, tuple(utterances), duration)


def expected_words(transcript: Transcript, rules: SegmentRules) -> list[tuple[str, int, int]]:
    """The input's words with monotonic onsets, as segment documents them: (text, onset, end). A text
    without word times is shared out over its span by characters (a space with the word after it), or as
    far past it as its reading time needs, up to the rules' linger and the next utterance's start (the
    track's end when known)."""
    raw: list[tuple[str, int, int]] = []
    for i, u in enumerate(transcript.utterances):
        if u.words:
            raw.extend((w.text.strip(), w.start_ms, w.end_ms) for w in u.words)
        else:
            parts = u.text.split()
            sizes = [len(p) + (i > 0) for i, p in enumerate(parts)]  # a space counts with the word after it
            total, done = sum(sizes), 0
            end = u.end_ms
            reading = min(u.start_ms + math.ceil(len(u.text) * 1000 / rules.max_cps), end + rules.max_linger_ms)
            if reading > end:
                limit = (transcript.utterances[i + 1].start_ms if i + 1 < len(transcript.utterances)
                         else transcript.duration_ms or reading)
                end = max(end, min(reading, limit))
            for p, size in zip(parts, sizes, strict=True):
                a = u.start_ms + (end - u.start_ms) * done // total
                done += size
                raw.append((p, a, u.start_ms + (end - u.start_ms) * done // total))
    out = []
    onset = 0
    for text, start, end in raw:
        onset = max(onset, start)
        out.append((text, onset, max(end, onset)))
    return out


VARIANTS: tuple[dict[str, object], ...] = (
    {},
    {"max_lines": 1},
    {"max_lines": 3, "max_duration_ms": 3000, "min_duration_ms": 500},
    {"min_gap_frames": 0, "chain_gap_frames": 0, "max_linger_ms": 0},
    {"pause_split_ms": 300, "min_visible_ms": 200, "max_cps": 5.0},
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Transcript, SegmentRules, Fraction]:
    language = draw(st.sampled_from(["ko", "en"]))
    transcript = draw(transcripts(language))
    variant = draw(st.sampled_from(VARIANTS))
    rules = dataclasses.replace(rules_for(language), **variant)  # type: ignore[arg-type]
    fps = draw(st.sampled_from([Fraction(24), Fraction(25), NTSC, Fraction(60)]))
    return transcript, rules, fps


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_segment_properties(case: tuple[Transcript, SegmentRules, Fraction]) -> None:
    """The invariants segment guarantees, for any word timing.

    1. Words: the cues' words, in order, are exactly the input's words (no word here is wider
       than a line, so none is hard-split).
    2. Layout: 1..max_lines non-empty lines, each within max_line_columns, single-spaced.
    3. Time: 0 <= start < end, end - start <= max_duration_ms, and next.start - end >= the
       2-frame gap (rounded up to ms).
    4. In-time: start == floor = max(onset of its first word, previous start + min_visible_ms + gap),
       where a word's onset is the latest start of it and every earlier word; except a cue that cannot
       stay up for its reading time before the next cue's onset (which it does not delay): it starts
       earlier by what it lacks, at most max_lead_ms (max_reading_lead_ms when that is not enough), never
       before the previous cue's start plus its reading time (and min_visible_ms), its speech end, and the
       gap; and a cue whose speech runs on from
       the previous cue's (a pause of at most the gap) while that one lacks its reading time (and min_visible_ms)
       starts later by what it lacks, at most max_lag_ms after its onset, keeping its own reading time before the next
       cue's onset.
    5. No cue holds a pause >= merge_pause_ms (the cutter splits at pause_split_ms; a cue too short or
       too fast to read may join its neighbour across a shorter pause); a cue's speech span fits
       max_duration_ms.
    6. Out-time: end >= min(max(speech end + linger, start + needed), limit) where needed is
       the minimum duration or reading time; when not chained, end equals exactly that.
    7. Chaining: a gap is the minimum gap, or longer than 12 frames, or the cue is at max duration.
    8. Deterministic.
    """
    transcript, rules, fps = case
    track = segment(transcript, rules, fps)
    assert track == segment(transcript, rules, fps)
    assert track.language == transcript.language
    words = expected_words(transcript, rules)
    assert cue_words(track) == [w for w, _, _ in words]

    gap = frame_ms(rules.min_gap_frames, fps)
    chain = math.floor(rules.chain_gap_frames * 1000 / fps)
    index = 0
    latest_end = [0] * len(words)
    running = 0
    for k, (_, _, end) in enumerate(words):
        running = max(running, end)
        latest_end[k] = running
    previous: Cue | None = None
    previous_needed = previous_speech_end = 0
    for c, cue in enumerate(track.cues):
        assert 1 <= len(cue.lines) <= rules.max_lines
        for line in cue.lines:
            assert line and line == " ".join(line.split())
            assert display_width(line, rules) <= rules.max_line_columns
        lo = index
        index += sum(len(line.split()) for line in cue.lines)
        hi = index - 1
        onset = words[lo][1]
        speech_end = max(end for _, _, end in words[lo : hi + 1])
        for k in range(lo, hi):
            assert words[k + 1][1] - latest_end[k] < max(rules.merge_pause_ms, rules.pause_split_ms)
        if hi > lo:
            assert speech_end - onset <= rules.max_duration_ms

        assert 0 <= cue.start_ms < cue.end_ms
        assert cue.duration_ms <= rules.max_duration_ms
        floor = onset if previous is None else max(onset, previous.start_ms + rules.min_visible_ms + gap)
        chars = sum(len(line) for line in cue.lines)
        needed = min(rules.max_duration_ms, max(rules.min_duration_ms, math.ceil(chars * 1000 / rules.max_cps)))
        nxt = track.cues[c + 1] if c + 1 < len(track.cues) else None
        expected = floor
        following = words[index][1] if nxt is not None else None  # the next cue's first word's onset
        lack = 0 if previous is None else (
            previous.start_ms + max(previous_needed, rules.min_visible_ms) + gap - floor)
        room = lack if following is None else following - gap - needed - floor
        lag = min(lack, onset + rules.max_lag_ms - floor, room)
        if previous is not None and lag > 0 and onset - previous_speech_end <= gap:
            expected = floor + lag
        elif following is not None:
            short = floor + needed + gap - following - _next_lag(track.cues, c, words, index, speech_end, rules, gap)
            if short > 0 and following >= floor + rules.min_visible_ms + gap and rules.max_lead_ms > 0:
                bound = 0 if previous is None else max(
                    previous.start_ms + max(previous_needed, rules.min_visible_ms), previous_speech_end) + gap
                expected = min(floor, max(floor - min(short, max(rules.max_lead_ms, rules.max_reading_lead_ms)), bound))
        assert cue.start_ms == expected
        if nxt is not None:
            limit = nxt.start_ms - gap
        elif transcript.duration_ms > 0:
            limit = max(transcript.duration_ms, speech_end, cue.start_ms + rules.min_visible_ms)
        else:
            limit = cue.start_ms + rules.max_duration_ms
        hard = min(limit, cue.start_ms + rules.max_duration_ms)
        natural = min(max(speech_end + rules.max_linger_ms, cue.start_ms + needed), hard)
        assert natural <= cue.end_ms <= hard
        if nxt is not None:
            assert nxt.start_ms - cue.end_ms >= gap
            gap_after = nxt.start_ms - cue.end_ms
            assert gap_after == gap or gap_after > chain or cue.duration_ms == rules.max_duration_ms
            if gap_after > chain:
                assert cue.end_ms == natural
        else:
            assert cue.end_ms == natural
        previous, previous_needed, previous_speech_end = cue, needed, speech_end
    assert index == len(words)


def _needed(cue: Cue, rules: SegmentRules) -> int:
    chars = sum(len(line) for line in cue.lines)
    return min(rules.max_duration_ms, max(rules.min_duration_ms, math.ceil(chars * 1000 / rules.max_cps)))


def _next_lag(cues: tuple[Cue, ...], c: int, words: list[tuple[str, int, int]], index: int, speech_end: int,
              rules: SegmentRules, gap: int) -> int:
    """The model of ``timing._next_lag``: how much later cue ``c + 1`` (its first word ``words[index]``) may come."""
    if rules.max_lag_ms <= 0 or c + 1 >= len(cues) or words[index][1] - speech_end > gap:
        return 0
    if c + 2 >= len(cues):
        return rules.max_lag_ms
    after = index + sum(len(line.split()) for line in cues[c + 1].lines)
    return max(0, min(rules.max_lag_ms, words[after][1] - gap - _needed(cues[c + 1], rules) - words[index][1]))


def test_a_reply_after_a_pause_of_most_of_a_second_gets_its_own_cue_on_its_voice() -> None:
    """Issue 12: a reply 0.8 s after a phrase shared the phrase's cue and showed a second before its voice."""
    transcript = words_transcript([(1000, 1500, "현재"), (1500, 2300, "백화점과"), (3100, 3500, "그래?")], "ko")
    cues = segment(transcript, KOREAN_RULES).cues
    assert [c.text for c in cues] == ["현재 백화점과", "그래?"] and cues[1].start_ms == 3100


def test_a_cue_too_long_to_read_before_the_next_starts_a_little_early() -> None:
    """stress-2, sequential: 34 characters from 122.54 s, the next cue (which it cannot merge with: two full
    cues) at 125.44 s, 10 s of silence before: shown from the first word it was 12.1 characters/s, a hard
    error. It now comes up 18 ms early, just enough."""
    first = ["도서는", "이름이", "밝혀지는", "이후", "이", "노인이", "입whistle", "2년", "전"]
    second = ["피부함을", "짓는", "받은", "게", "자신의", "양심과", "실험해왔다고", "전했다."]
    words = [(110_000, 112_440, "배꼬집으로")]
    words += [(122_540 + 300 * i, 122_790 + 300 * i, w) for i, w in enumerate(first)]
    words += [(125_440 + 450 * i, 125_840 + 450 * i, w) for i, w in enumerate(second)]
    cues = segment(words_transcript(words, "ko"), rules=KOREAN_RULES).cues
    assert [c.start_ms for c in cues] == [110_000, 122_540 - 18, 125_440]
    assert all(sum(len(line) for line in c.lines) * 1000 <= KOREAN_RULES.max_cps * c.duration_ms for c in cues)
    # With no lead allowed, the cue keeps its onset and is too fast, as before.
    strict = segment(words_transcript(words, "ko"), rules=dataclasses.replace(KOREAN_RULES, max_lead_ms=0)).cues
    assert strict[1].start_ms == 122_540 and strict[1].end_ms == 125_440 - 84


def _spread(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """``text``'s words laid evenly by characters over ``start``-``end``, as a translation is on its speech."""
    words, out, t = text.split(), [], float(start)
    total = sum(len(w) + 1 for w in words)
    for w in words:
        d = (end - start) * (len(w) + 1) / total
        out.append((round(t), round(t + d), w))
        t += d
    return out


def test_a_cue_still_too_fast_half_a_second_early_comes_up_as_early_as_it_needs_into_the_silence() -> None:
    """conv-106, Whisper's English (``-t whisper``): 96 characters for a Korean line of 2.46 s, the next line 1.9 s
    after it, 2.9 s of silence before. Its first cue, "Due to the lack of sleep,", came up ``max_lead_ms`` early and
    was still 28 ms short of its reading time, a hard error. It now comes up as early as it needs, within
    ``max_reading_lead_ms``; the cues after it are timed as before."""
    words = [*_spread("What's wrong?", 159_470, 160_110),
             *_spread("Due to the lack of sleep, the professor was admitted to the office of the Ministry of "
                      "Education.", 163_060, 165_520),
             *_spread("The main power is the key to use it.", 167_400, 170_110)]
    cues = segment(words_transcript(words), rules=ENGLISH_RULES, fps=Fraction(24)).cues
    assert all(_readable(c, ENGLISH_RULES) for c in cues)
    lead = 163_060 - cues[1].start_ms
    assert ENGLISH_RULES.max_lead_ms < lead <= ENGLISH_RULES.max_reading_lead_ms
    capped = dataclasses.replace(ENGLISH_RULES, max_reading_lead_ms=0)
    before = segment(words_transcript(words), rules=capped, fps=Fraction(24)).cues
    assert 163_060 - before[1].start_ms == ENGLISH_RULES.max_lead_ms and not _readable(before[1], ENGLISH_RULES)
    assert [(c.start_ms, c.end_ms) for c in cues[2:]] == [(c.start_ms, c.end_ms) for c in before[2:]]


def test_a_dense_translated_sentence_lets_a_mid_sentence_cue_come_a_little_late() -> None:
    """fanlive, Whisper's English: one sentence of 200 characters laid over 10 s of Korean speech, three
    chained cues, 3 s of silence after. The middle cue had 46 characters for 2.13 s (21.6/s), a hard error:
    the first could not start earlier (it needs its own time), nor the middle one. The last one now comes
    up to ``max_lag_ms`` late, mid-sentence, with time to spare."""
    text = ("In the middle of March, Jang Dong-ryong, the director of Kim Jeon Jang-gwan, the professor of Jang "
            "Dong-ryong's Hong Il-tae, was admitted to the Ministry of Public Security and Development in the U.S.")
    words = _spread(text, 1500, 11000) + _spread("When the wind blows into my body,", 14710, 17000)
    cues = segment(words_transcript(words), rules=ENGLISH_RULES).cues
    assert len(cues) == 4 and all(_readable(c, ENGLISH_RULES) for c in cues)
    firsts = [0]
    for c in cues[:-1]:
        firsts.append(firsts[-1] + sum(len(line.split()) for line in c.lines))
    lags = [c.start_ms - words[i][0] for c, i in zip(cues, firsts, strict=True)]
    assert max(lags) > 0 and all(lag <= ENGLISH_RULES.max_lag_ms for lag in lags)
    strict = segment(words_transcript(words), rules=dataclasses.replace(ENGLISH_RULES, max_lag_ms=0)).cues
    assert not all(_readable(c, ENGLISH_RULES) for c in strict)


def _readable(cue: Cue, rules: SegmentRules) -> bool:
    chars = sum(len(line) for line in cue.lines)
    return chars * 1000 <= rules.max_cps * cue.duration_ms and cue.duration_ms >= rules.min_duration_ms


def test_a_translated_sentence_is_cut_where_every_cue_can_be_read() -> None:
    """conv-103, Whisper's English: 92 characters over 2.85 s of Korean speech, 30 s of pause after it. Cut
    where the layout liked best, its first cue held 65 characters for 2.80 s (23.2 a second, a hard error) and
    the last one, which may stay up into the pause, 26; the cutter now weighs what each cue lacks of its
    reading time, and the long line goes last."""
    before = "It's not a joke, it's a change of words."
    text = "In the case of the Ministry of Defense of the Ministry of Defense, the Ministry of Defense of"
    later = "I'm not going to answer your question."
    utterances = (Utterance(148_900, 150_750, before), Utterance(153_300, 156_150, text),
                  Utterance(186_520, 188_930, later))
    track = segment(Transcript("en", utterances, 282_347), ENGLISH_RULES, Fraction(25))
    assert cue_words(track) == f"{before} {text} {later}".split()
    assert all(_readable(c, ENGLISH_RULES) for c in track.cues), [(c.text, c.duration_ms) for c in track.cues]


@settings(max_examples=200, deadline=None)
@given(st.lists(ENGLISH_WORD, min_size=1, max_size=60), st.integers(0, 60_000), st.floats(8.0, 17.0))
def test_a_translation_read_at_most_17_characters_a_second_gives_readable_cues(
    words: list[str], start: int, cps: float
) -> None:
    """A sentence without word times whose span gives it at most 17 characters a second (spaces counted) is
    cut into cues that each get their reading time and minimum duration, before a pause or the track's end."""
    text = " ".join(words)
    span = max(math.ceil(len(text) * 1000 / cps), ENGLISH_RULES.min_duration_ms)
    transcript = Transcript("en", (Utterance(start, start + span, text),), start + span + 3000)
    track = segment(transcript, ENGLISH_RULES, NTSC)
    assert all(_readable(c, ENGLISH_RULES) for c in track.cues), [(c.text, c.duration_ms) for c in track.cues]


def _two_phrases(before: str | None = None, ends: tuple[int, int] = (46_283, 47_530)) -> Transcript:
    """conversation.mp4, Whisper's English: two phrases read 1.5 s apart, the first needing 1.65 s for 1.42 s
    before the second's voice, the second 3 s before the next line."""
    utterances = [Utterance(44_860, ends[0], "I'm going to put it on the floor."),
                  Utterance(46_350, ends[1], "It's really good."),
                  Utterance(49_510, 51_740, "Now, I'm going to take a picture with Baekha.")]
    if before is not None:
        utterances.insert(0, Utterance(42_000, 44_860, before))
    return Transcript("en", tuple(utterances), 60_000)


def test_a_sentence_is_not_shown_a_second_before_it_is_said() -> None:
    """The two phrases (0.85 s of pause between them) shared one cue from 44.86 s: "It's really good." was on
    screen 1.5 s before its voice. Each now has a cue of its own, the first coming up early into the free time
    before it, each within half a second of its voice, both readable."""
    track = segment(_two_phrases(ends=(45_500, 47_030)), ENGLISH_RULES, Fraction(30000, 1001))
    assert [c.text for c in track.cues[:2]] == ["I'm going to put it on the floor.", "It's really good."]
    assert abs(track.cues[0].start_ms - 44_860) <= 500 and abs(track.cues[1].start_ms - 46_350) <= 500
    assert all(_readable(c, ENGLISH_RULES) for c in track.cues)


def test_a_sentence_short_of_time_hands_its_lack_to_the_next_as_lag() -> None:
    """When the second phrase's voice runs on from the first's and speech comes right before them (no free time
    to start early in), the first gets its reading time by the second coming up to ``max_lag_ms`` late, not by
    the two sharing a cue; without the lag they share one."""
    track = segment(_two_phrases("We were talking about it yesterday."), ENGLISH_RULES, Fraction(30000, 1001))
    cues = track.cues
    assert [c.text for c in cues[1:3]] == ["I'm going to put it on the floor.", "It's really good."]
    assert cues[1].start_ms == 44_860 and 46_350 < cues[2].start_ms <= 46_350 + ENGLISH_RULES.max_lag_ms
    assert all(_readable(c, ENGLISH_RULES) for c in cues)
    strict = segment(_two_phrases("We were talking about it yesterday."),
                     dataclasses.replace(ENGLISH_RULES, max_lag_ms=0), Fraction(30000, 1001))
    assert "It's really good." not in [c.text for c in strict.cues]


def test_a_word_before_a_pause_that_cannot_be_read_alone_stays_with_its_sentence() -> None:
    """stress-1: "그", a pause, then its sentence. It could come up early into the silence before it, but a
    cue of "그" alone is no subtitle: only a finished sentence keeps a cue of its own that way."""
    words = [(74_930, 75_100, "그"), *spoken("바람에 나의 몸도 겹쳐스러지면", 75_780, 450)]
    cues = segment(words_transcript(words, "ko", 90_000), KOREAN_RULES).cues
    assert [c.text for c in cues] == ["그 바람에 나의 몸도 겹쳐스러지면"]


def test_a_cue_short_of_time_mid_sentence_lets_the_next_come_late_rather_than_start_early() -> None:
    """conv-101, Whisper's English: a sentence of 85 characters laid over 3.28 s, cut after "If you put your hands".
    That cue needs 1.05 s and had 0.85 s before the next word: it came up 0.31 s before its voice, into the
    silence before it, where the onset is seen. The next cue, whose words run on from it, now comes 0.2 s late
    instead, where no onset is seen; with no lag allowed, the first starts early as before."""
    words = _spread("If you put your hands in the right position, you will be able to see the difference.",
                    31_050, 34_330) + _spread("I will go.", 40_000, 41_000)
    cues = segment(words_transcript(words), rules=ENGLISH_RULES).cues
    assert cues[0].text == "If you put your hands" and cues[0].start_ms == 31_050
    assert 31_899 < cues[1].start_ms <= 31_899 + ENGLISH_RULES.max_lag_ms
    assert all(_readable(c, ENGLISH_RULES) for c in cues)
    strict = segment(words_transcript(words), rules=dataclasses.replace(ENGLISH_RULES, max_lag_ms=0)).cues
    assert strict[0].start_ms < 31_050
