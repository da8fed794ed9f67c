"""Utterances moved onto their voice (``streamkit.quality.align``). More cases in ``test_voice.py``."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.models import Transcript, Utterance, Word
from streamkit.quality import QualityOptions, align_to_voice
from streamkit.quality.align import _determiners_to_their_nouns, _strays_onto_voice


def _line(*words: tuple[int, int, str]) -> Utterance:
    ws = tuple(Word(a, b, t, 0.8) for a, b, t in words)
    return Utterance(ws[0].start_ms, ws[-1].end_ms, " ".join(w.text for w in ws), ws)


def _music_then_voice(a: int, b: int) -> float:
    return -20.0 if a < 31_500 else -24.0 if a < 34_000 else -75.0  # music as loud as the voice after it


def test_a_lone_first_word_over_music_as_loud_as_the_voice_joins_the_next_word() -> None:
    """conv-101 at 28.2 s, sequential: "박근혜" 3 s before "대통령이", over music as loud as the voice; no
    stretch the energy and the VAD call voice lies under it. It was a cue of its own over the music."""
    line = _line((28_240, 29_000, "박근혜"), (31_160, 32_460, "대통령이"), (32_460, 33_020, "정말로"))
    heard = [(30_450, 33_950)]  # the voice stands out from the silence after it only
    moved = align_to_voice(Transcript("ko", (line,), 60_000), _music_then_voice, lambda a, b: 0.5, [],
                           QualityOptions(), heard).utterances[0]
    first, second = moved.words[:2]
    assert moved.start_ms == first.start_ms == 31_160 and first.end_ms == second.start_ms
    # by syllables: 3 of the 7 in the two words
    assert first.end_ms == 31_160 + 1_300 * 3 // 7 and second.end_ms == 32_460 and moved.words[2:] == line.words[2:]
    # Without the stretches standing out from one side, nothing moves (the rule needs to know the voice).
    assert align_to_voice(Transcript("ko", (line,), 60_000), _music_then_voice, lambda a, b: 0.5, [],
                          QualityOptions()).utterances[0] == line


def test_a_first_word_on_a_voice_of_its_own_stays() -> None:
    """A reply ("네"), a pause, the next line in the same segment: the reply has its own voice under it."""
    line = _line((5_000, 5_400, "네"), (8_000, 8_600, "그래"))
    heard = [(4_950, 5_450), (7_950, 8_700)]
    kept = align_to_voice(Transcript("ko", (line,), 20_000), lambda a, b: -22.0, lambda a, b: 0.9, [],
                          QualityOptions(), heard)
    assert kept.utterances[0] == line
    # A short pause is no lead word's pause.
    close = _line((7_000, 7_500, "그"), (8_000, 8_600, "그래"))
    assert align_to_voice(Transcript("ko", (close,), 20_000), lambda a, b: -22.0, lambda a, b: 0.9, [],
                          QualityOptions(), [(7_950, 8_700)]).utterances[0] == close


def _silence_then_voice(a: int, b: int) -> float:
    return -93.0 if a < 21_800 else -31.0  # near-silence, then a quiet line running straight on into music


def test_a_lone_first_word_on_silence_joins_a_next_word_that_no_stretch_holds() -> None:
    """conv-102 1 dB louder at 21.8 s: "현재" squeezed into 50 ms of near-silence 1.1 s before "백화점과"; the line
    runs straight on into a music bed the VAD hears, so no voiced stretch holds it (longer than any turn). The
    word was a cue of its own over the silence, the line's cue 0.3 s late without it."""
    line = _line((20_930, 20_980, "현재"), (22_100, 22_820, "백화점과"), (22_820, 23_220, "영화관"))
    heard = [(18_400, 20_150)]  # the babble before it
    moved = align_to_voice(Transcript("ko", (line,), 60_000), _silence_then_voice, lambda a, b: 0.7, [],
                           QualityOptions(), heard).utterances[0]
    first, second = moved.words[:2]
    assert moved.start_ms == first.start_ms == 22_100 and first.end_ms == second.start_ms == 22_100 + 720 * 2 // 6
    # Not when the next word is no voice the VAD hears, nor when the lone word is as loud as it (a reply).
    assert align_to_voice(Transcript("ko", (line,), 60_000), _silence_then_voice, lambda a, b: 0.1, [],
                          QualityOptions(), heard).utterances[0] == line
    assert align_to_voice(Transcript("ko", (line,), 60_000), lambda a, b: -31.0, lambda a, b: 0.7, [],
                          QualityOptions(), heard).utterances[0] == line


def _babble_then_line(a: int, b: int) -> float:
    return -26.0 if a < 39_000 else -93.0 if a < 40_750 else -30.0  # babble as loud as the line, silence, the line


def test_a_determiner_before_a_pause_goes_on_to_its_noun() -> None:
    """conv-106 at 38.7 s: "다른" of "다른 지역에서는" drawn 2.3 s early, on the end of crowd babble (a voiced
    stretch as loud as the line: no lead-word rule may move it), 3.5 s after the turn before it in the same
    segment. A determiner never ends a phrase: it goes on to the noun after it, sharing its span by syllables."""
    line = _line((33_400, 33_900, "선택을"), (34_340, 35_200, "모르겠습니다."), (38_660, 39_510, "다른"),
                 (40_980, 41_620, "지역에서는"), (41_620, 42_220, "그곳이"))
    voiced = [(31_500, 34_150), (35_050, 39_000), (40_900, 43_600)]
    moved = align_to_voice(Transcript("ko", (line,), 60_000), _babble_then_line, lambda a, b: 0.9, voiced,
                           QualityOptions(), voiced).utterances[0]
    assert [w.text for w in moved.words] == [w.text for w in line.words]
    determiner, noun = moved.words[2:4]
    assert determiner.start_ms == 40_980 and determiner.end_ms == noun.start_ms == 40_980 + 640 * 2 // 7
    assert moved.words[:2] == line.words[:2] and noun.end_ms == 41_620


def test_a_determiner_alone_joins_the_next_utterance() -> None:
    """conv-107 20 dB quieter at 26.3 s: "다른" a segment of its own over music, 1.4 s before its line's."""
    alone, line = _line((26_260, 26_500, "다른")), _line((27_720, 28_600, "지역에서는"), (28_600, 29_100, "그곳이"))
    out = align_to_voice(Transcript("ko", (alone, line), 60_000), lambda a, b: -40.0, lambda a, b: 0.2,
                         [(27_700, 30_000)], QualityOptions()).utterances
    assert len(out) == 1 and out[0].text == "다른 지역에서는 그곳이" and out[0].start_ms == 27_720


def test_what_is_no_determiner_or_no_pause_stays() -> None:
    # The VAD hears the words (a reply it hears is a voice: no stray word, ``test_a_stray_word_...`` below).
    loud, vad, voiced = (lambda a, b: -40.0), (lambda a, b: 0.5), [(27_700, 30_000)]
    for first, pause in (("그래", 1500), ("다른", 300), ("다른", 12_000)):  # a reply may end; a short pause; too far
        line = (_line((27_700 - pause - 300, 27_700 - pause, first)), _line((27_720, 28_600, "지역에서는")))
        t = Transcript("ko", line, 60_000)
        assert align_to_voice(t, loud, vad, voiced, QualityOptions()).utterances == line
    english = (_line((24_000, 24_300, "다른")), _line((27_720, 28_600, "지역에서는")))
    assert align_to_voice(Transcript("en", english, 60_000), loud, vad, voiced, QualityOptions()).utterances == english


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("다른", "어떤", "그래", "지역에서는", "네", "모든")), st.integers(50, 800),
                          st.integers(0, 12_000), st.booleans()), min_size=1, max_size=12))
def test_determiners_move_on_to_their_nouns_and_no_word_is_lost(said: list[tuple[str, int, int, bool]]) -> None:
    utterances, current, t = [], [], 1000
    for text, length, pause, new in said:
        if new and current:
            utterances.append(_line(*current))
            current = []
        current.append((t, t + length, text))
        t += length + pause
    utterances.append(_line(*current))
    o = QualityOptions()
    after = _determiners_to_their_nouns(utterances, o)
    old = [w for u in utterances for w in u.words]
    new = [w for u in after for w in u.words]
    assert [w.text for w in new] == [w.text for w in old]  # none lost, none added, order kept
    starts = [w.start_ms for w in new]
    assert starts == sorted(starts) and all(w.start_ms <= w.end_ms for w in new)
    for k, (w, was) in enumerate(zip(new, old, strict=True)):
        if w != was:  # a determiner moved on to its noun, or a noun sharing its span with one
            on_noun = (k + 1 < len(old) and w.text in o.determiners and w.start_ms == old[k + 1].start_ms
                       and w.end_ms == new[k + 1].start_ms
                       and o.determiner_pause_ms <= old[k + 1].start_ms - was.end_ms <= o.determiner_reach_ms)
            shares = (k > 0 and new[k - 1].text in o.determiners and new[k - 1].end_ms == w.start_ms
                      and w.end_ms == was.end_ms)
            assert on_noun or shares
    assert all(u.text == " ".join(w.text for w in u.words) for u in after)
    assert all(u.start_ms <= u.words[0].start_ms and u.end_ms >= u.words[-1].end_ms for u in after)


def _music_until(end_ms: int) -> Callable[[int, int], float]:
    return lambda a, b: 1.0 if b <= end_ms else 0.0


def test_a_stray_word_over_music_after_a_question_goes_on_to_the_next_line() -> None:
    """conv-106 at 262.4 s: "아니," 1 s after "할까요?" and 1 s before "교수가", in the middle of a segment, over the
    music between the two lines: a cue of its own over the music. It goes on to the next word, sharing its span."""
    line = _line((260_540, 261_040, "선택을"), (261_040, 261_360, "할까요?"), (262_400, 262_600, "아니,"),
                 (263_680, 264_200, "교수가"), (264_200, 264_760, "민간"))
    stretches = [(258_650, 261_550), (263_800, 266_650)]
    moved = align_to_voice(Transcript("ko", (line,), 300_000), lambda a, b: -30.0, lambda a, b: 0.6, stretches,
                           QualityOptions(), stretches, _music_until(263_100)).utterances[0]
    stray, nxt = moved.words[2:4]
    assert stray.start_ms == 263_680 and stray.end_ms == nxt.start_ms == 263_680 + 520 * 2 // 5
    assert moved.words[:2] == line.words[:2] and moved.words[4:] == line.words[4:] and nxt.end_ms == 264_200
    # Without the music profile the word lies on no stretch, but the VAD hears it: a reply, it stays.
    assert align_to_voice(Transcript("ko", (line,), 300_000), lambda a, b: -30.0, lambda a, b: 0.6, stretches,
                          QualityOptions(), stretches).utterances[0] == line


def test_a_stray_word_joins_the_next_utterance_seconds_later() -> None:
    """conv-108 20 dB quieter at 83.0 s: "물론" of the reply "물론 십 대" 4.4 s early, over the music after the
    question before it ("할까요?"), at the end of that segment; the reply's own segment read "시?"."""
    question = _line((81_550, 82_050, "선택을"), (82_050, 82_390, "할까요?"), (82_950, 83_170, "물론"))
    reply = _line((87_490, 87_710, "시?"),)
    out = align_to_voice(Transcript("ko", (question, reply), 300_000), lambda a, b: -40.0, lambda a, b: 0.6,
                         [(87_350, 87_750)], QualityOptions(), (), _music_until(84_000)).utterances
    assert [u.text for u in out] == ["선택을 할까요?", "물론 시?"]
    assert out[0].end_ms == 82_390 and out[1].start_ms == 87_350  # on the reply's voice onset


def test_a_word_on_voice_a_sentence_or_a_line_over_music_is_no_stray() -> None:
    o, loud = QualityOptions(), (lambda a, b: -30.0)
    music = _music_until(263_100)
    base = [(261_040, 261_360, "할까요?"), (262_400, 262_600, "아니,"), (263_680, 264_200, "교수가")]

    def kept(words: list[tuple[int, int, str]], vad: float = 0.6, music_fn: Callable[[int, int], float] = music,
             stretches: tuple[tuple[int, int], ...] = ((263_600, 266_000),)) -> bool:
        line = _line(*words)
        return align_to_voice(Transcript("ko", (line,), 300_000), loud, lambda a, b: vad, list(stretches), o,
                              stretches, music_fn).utterances[0] == line

    assert not kept(base)
    assert kept([base[0], (262_400, 262_600, "아니요."), base[2]])  # a sentence of its own
    assert kept([(261_040, 261_360, "할까"), (261_500, 261_700, "아니,"), base[2]])  # goes on from a word before
    assert kept([base[0], base[1], (267_680, 268_200, "교수가")], stretches=((267_600, 269_000),))  # too far
    assert kept(base, music_fn=_music_until(270_000))  # the next word is music too
    assert kept(base, vad=0.1, stretches=())  # the next word is no voice
    assert kept(base, music_fn=lambda a, b: 0.0)  # no music, and the VAD hears it: a quiet reply
    assert not kept(base, vad=0.1, music_fn=lambda a, b: 0.0)  # ... but none it does not hear


def test_a_stray_word_just_after_a_voice_without_words_goes_back_onto_it() -> None:
    """conv-115 at 15.7 s: "말씀입니다" (for the phone reply "것입니다" at 14.5-15.0 s) put 1.2 s late, over the music
    after it. Moved on to the next line 3.6 s later, the reply was lost; it goes back onto its voice."""
    reply = _line((15_710, 16_690, "말씀입니다"))
    line = _line((19_320, 20_000, "안철수"), (20_000, 20_400, "대표와"))
    stretches = [(11_800, 13_400), (14_500, 15_000), (19_300, 22_100)]
    out = align_to_voice(Transcript("ko", (_line((12_000, 13_300, "것입니다.")), reply, line), 60_000),
                         lambda a, b: -30.0, lambda a, b: 0.6, stretches, QualityOptions(), stretches,
                         lambda a, b: max(0, min(b, 19_000) - max(a, 15_000)) / max(b - a, 1)).utterances
    assert [(u.text, u.start_ms, u.end_ms) for u in out[1:]] == [("말씀입니다", 14_500, 15_000),
                                                                 ("안철수 대표와", 19_320, 20_400)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("아니,", "물론", "네.", "할까요?", "지역에서는")), st.integers(50, 800),
                          st.integers(0, 7_000), st.booleans(), st.booleans()), min_size=1, max_size=12))
def test_stray_words_move_on_to_the_next_word_and_no_word_is_lost(
        said: list[tuple[str, int, int, bool, bool]]) -> None:
    utterances, current, t, music = [], [], 1000, []
    for text, length, pause, new, sung in said:
        if new and current:
            utterances.append(_line(*current))
            current = []
        current.append((t, t + length, text))
        if sung:
            music.append((t, t + length))
        t += length + pause
    utterances.append(_line(*current))

    def in_music(a: int, b: int) -> float:
        return 1.0 if any(x <= a and b <= y for x, y in music) else 0.0

    o = QualityOptions()
    after = _strays_onto_voice(utterances, [], [], lambda a, b: 0.6, in_music, o)
    old = [w for u in utterances for w in u.words]
    new = [w for u in after for w in u.words]
    assert [w.text for w in new] == [w.text for w in old]  # none lost, none added, order kept
    starts = [w.start_ms for w in new]
    assert starts == sorted(starts) and all(w.start_ms <= w.end_ms for w in new)
    assert all(w.start_ms >= was.start_ms for w, was in zip(new, old, strict=True))  # only ever later
    assert all(u.text == " ".join(w.text for w in u.words) for u in after)
    assert all(u.start_ms <= u.words[0].start_ms and u.end_ms >= u.words[-1].end_ms for u in after)


def test_a_word_begun_over_the_music_before_its_voice_starts_with_it() -> None:
    """conv-106 at 30.6 s: the reply "또한 밤" (29.7-30.2 s) and, in the same segment, "안철수대표와" drawn from 30.56 s
    over the music (VAD 0.06) to its voice at 31.5 s: one cue for both, 1.9 s early for the line. The word starts with
    its voice, and the pause before it splits the two."""
    line = _line((29_620, 29_970, "또한"), (29_970, 30_210, "밤"), (30_560, 32_360, "안철수대표와"),
                 (32_360, 33_100, "국민의당은"), (33_100, 33_400, "어떤"))
    stretches = [(29_750, 30_450), (31_500, 34_150)]

    def vad(a: int, b: int) -> float:
        return 0.9 if any(x < b and a < y for x, y in stretches) else 0.06

    moved = align_to_voice(Transcript("ko", (line,), 60_000), lambda a, b: -30.0, vad, stretches, QualityOptions(),
                           stretches).utterances[0]
    assert moved.words[2].start_ms == 31_500 - QualityOptions().voice_onset_lag_ms
    assert [w for k, w in enumerate(moved.words) if k != 2] == [w for k, w in enumerate(line.words) if k != 2]
    # Not where the VAD hears a voice before the stretch, nor for a last word (the line goes on from it).
    assert align_to_voice(Transcript("ko", (line,), 60_000), lambda a, b: -30.0, lambda a, b: 0.9, stretches,
                          QualityOptions(), stretches).utterances[0].words[2] == line.words[2]
    last = _line(*[(w.start_ms, w.end_ms, w.text) for w in line.words[:3]])
    assert align_to_voice(Transcript("ko", (last,), 60_000), lambda a, b: -30.0, vad, stretches, QualityOptions(),
                          stretches).utterances[0].words[2] == last.words[2]
