"""LocalAgreement-2 (pure): commit only what two consecutive decodes agree on; never take it back."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.live import LocalAgreement, TimedWord, common_prefix
from streamkit.live.policy import after_loop, cut_collapsed, cut_loop, cut_tail_repeat, goes_on, loop_start


def words(*texts: str, start: int = 0, step: int = 300) -> list[TimedWord]:
    return [TimedWord(start + i * step, start + i * step + 250, t) for i, t in enumerate(texts)]


def test_a_word_is_committed_only_when_two_decodes_agree() -> None:
    la = LocalAgreement()
    assert la.insert(words("안녕", "하세")) == []
    committed = la.insert(words("안녕", "하세요", "여러분"))
    assert [w.text for w in committed] == ["안녕"]
    committed = la.insert(words("안녕", "하세요", "여러분", "오늘"))
    assert [w.text for w in committed] == ["하세요", "여러분"]
    assert [w.text for w in la.pending] == ["오늘"]
    assert [w.text for w in la.flush()] == ["오늘"]


def test_words_flushed_before_a_second_decode_heard_them_are_marked_as_not_agreed_on() -> None:
    la = LocalAgreement()
    la.insert(words("안녕", "하세"))
    assert [(w.text, w.agreed) for w in la.insert(words("안녕", "하세요", "여러분"))] == [("안녕", True)]
    assert [(w.text, w.agreed) for w in la.flush_until(700)] == [("하세요", False)]
    assert [(w.text, w.agreed) for w in la.flush()] == [("여러분", False)]
    assert [w.agreed for w in la.committed] == [True, False, False]


def test_a_word_said_again_at_the_end_of_a_hypothesis_is_said_once() -> None:
    """At the end of the audio Whisper begins its loop with a second round of the last word (conversation.mp4 at
    37 s, over the music after a sentence); a word said twice inside a hypothesis is the speaker's."""
    def texts(*t: str) -> list[str]:
        return [w.text for w in cut_tail_repeat(words(*t))]

    assert texts("어떤", "선택을", "미니슨의", "에디슨의", "에디슨의..") == ["어떤", "선택을", "미니슨의", "에디슨의"]
    assert texts("를", "못놔서,", "못놔서,", "못놔서.") == ["를", "못놔서,"]
    assert texts("빨리", "빨리", "와") == ["빨리", "빨리", "와"]
    assert texts("네", "네") == ["네"] and texts("네") == ["네"] and texts() == []



def test_a_word_goes_on_from_the_committed_words_only_without_a_pause_or_a_sentence_end() -> None:
    said = [TimedWord(0, 500, "민간"), TimedWord(500, 1500, "자문단장으로")]
    assert goes_on(said, TimedWord(1500, 2300, "위축되면서"), 256)
    assert not goes_on(said, TimedWord(1800, 2300, "위축되면서"), 256)  # after a pause
    assert not goes_on([*said[:1], TimedWord(500, 1500, "들어갔다.")], TimedWord(1500, 2300, "러버셔라스"), 256)
    assert not goes_on([], TimedWord(0, 300, "러버셔라스"), 256)

def test_a_phrase_said_again_at_the_end_of_a_hypothesis_is_said_once() -> None:
    """Over the music after a short line Whisper reads the line a second time (conv-104: "한 잔 의" over 6.3-7.3 s
    read "반전의 컵", then "반전의 컵" again over the music to 8.2 s); a phrase said twice before more words is the
    speaker's."""
    def texts(*t: str) -> list[str]:
        return [w.text for w in cut_tail_repeat(words(*t))]

    assert texts("반전의", "컵", "반전의", "컵") == ["반전의", "컵"]
    assert texts("한", "잔", "의", "한", "잔", "의", "한", "잔", "의.") == ["한", "잔", "의"]
    assert texts("그래", "그래", "알았어") == ["그래", "그래", "알았어"]
    assert texts("어떤", "선택을", "어떤", "선택을", "할까요?") == ["어떤", "선택을", "어떤", "선택을", "할까요?"]
    assert texts("a", "b", "c", "d", "a", "b", "c", "d") == ["a", "b", "c", "d", "a", "b", "c", "d"]


@given(st.lists(st.sampled_from(["네", "네.", "아", "그래서", "…"]), max_size=8))
def test_cutting_a_repeat_at_the_end_keeps_a_prefix_and_no_repeat_at_its_end(texts: list[str]) -> None:
    kept = cut_tail_repeat(words(*texts))
    assert [w.text for w in kept] == texts[: len(kept)]
    assert len(kept) == len(texts) or (kept and len(kept) < len(texts))
    letters = ["".join(ch for ch in w.text if ch.isalnum()) for w in kept]
    for k in (1, 2, 3):
        end = letters[len(letters) - k:]
        assert len(letters) < 2 * k or not all(end) or end != letters[len(letters) - 2 * k:len(letters) - k]


def test_words_already_committed_are_not_committed_again_after_a_trim() -> None:
    la = LocalAgreement()
    la.insert(words("하나", "둘", "셋"))
    la.insert(words("하나", "둘", "셋"))
    # The buffer was trimmed after "둘": the next decode starts at "셋" (a repeat at the seam) and goes on.
    tail = words("셋", "넷", start=600)
    assert la.insert(tail) == []
    assert [w.text for w in la.insert(words("셋", "넷", "다섯", start=600))] == ["넷"]


def test_committed_times_never_go_back() -> None:
    la = LocalAgreement()
    la.insert(words("가", "나"))
    la.insert(words("가", "나"))
    early = [TimedWord(450, 500, "다"), TimedWord(600, 700, "라")]
    la.insert(early)
    out = la.insert(early)
    assert out and out[0].start_ms >= 550


hyp = st.lists(st.sampled_from(["가", "나", "다", "라", "마", "바"]), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(hyp, min_size=1, max_size=12))
def test_the_committed_sequence_only_grows_and_each_word_was_agreed(hypotheses: list[list[str]]) -> None:
    la = LocalAgreement(tolerance_ms=0, max_ngram=0)
    shown: list[TimedWord] = []
    previous: list[TimedWord] = []
    for texts in hypotheses:
        # Every decode covers the same audio from 0: times are fixed per position.
        current = words(*texts)
        before = list(shown)
        new = la.insert(current)
        shown.extend(new)
        assert shown[: len(before)] == before  # never retracted or changed
        for w in new:  # each committed word is in this decode and was in the previous one, same place
            assert any(p.text == w.text and p.start_ms == w.start_ms for p in previous)
            assert any(c.text == w.text and c.start_ms == w.start_ms for c in current)
        assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(shown))
        previous = current


def test_a_word_at_the_very_end_of_the_audio_waits_even_when_both_decodes_agree() -> None:
    la = LocalAgreement()
    la.insert(words("장동", "련"))
    assert [w.text for w in la.insert(words("장동", "련"), until_ms=400)] == ["장동"]
    assert [w.text for w in la.insert(words("장동", "련", "교수"), until_ms=900)] == ["련"]


def test_a_loop_is_cut_where_it_starts_and_speech_is_left_alone() -> None:
    def texts(line: str) -> list[str]:
        return [w.text for w in cut_loop(words(*line.split()))]

    assert texts("한 번 더, 한 번 더, 한 번 더, 한 번 더,") == ["한", "번", "더,", "한", "번", "더,"]
    assert texts("아 아 아 아 아 좋아") == ["아", "아", "아"]
    assert texts("노래 1, 2, 3, 4,") == ["노래"]
    speech = "지난해 3월 2 일 김 전 장관의 동료인 교수가 민간 자문단장으로 위촉되면서"
    assert texts(speech) == speech.split()


def test_a_loop_starts_at_its_first_occurrence() -> None:
    def start(line: str) -> int | None:
        return loop_start(words(*line.split()))

    assert start("노래 한 번 더, 한 번 더, 한 번 더,") == 1
    assert start("아 아 아 아 아 좋아") == 0
    assert start("노래 1, 2, 3, 4,") == 1
    assert start("지난해 3월 2 일 김 전 장관의 동료인") is None
    # The engine asks with keep=1 at the first new word: a second round is enough there.
    assert loop_start(words("화이팅,", "화이팅,", "화이팅"), keep=1) == 0
    assert loop_start(words("1,", "2,"), keep=1) == 0
    assert start("더 선은 러버셀라 스위시시시시시시시") == 3 and start("인은은은은은은은은") == 0
    assert start("하하 좋아요 그렇죠") is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["가", "나", "다", "1", "2,"]), max_size=30))
def test_cutting_a_loop_only_ever_shortens(texts: list[str]) -> None:
    hypothesis = words(*texts)
    cut = cut_loop(hypothesis)
    assert cut == hypothesis[: len(cut)]
    assert cut_loop(cut) == cut
    start = loop_start(hypothesis)
    assert (start is None) == (len(cut) == len(hypothesis)) and (start or 0) <= len(cut)


def test_words_that_take_no_time_are_cut_with_all_after_them() -> None:
    """noisy.mp4 at 71.8 s: past the audio's end Whisper wrote the window's sentence again, every word 0 ms."""
    heard = words("더", "선은", "이름이", "실험해왔", step=400)
    repeat = [TimedWord(1770, 1770, t) for t in ("선은", "이름이", "밝혀지지", "않으니")]
    assert [w.text for w in cut_collapsed([*heard, *repeat])] == ["더", "선은", "이름이", "실험해왔"]
    short = [TimedWord(0, 10, "이"), TimedWord(10, 20, "이"), TimedWord(20, 300, "노인이")]
    assert cut_collapsed(short) == short  # two short words in a row are still speech


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 60)), max_size=20))
def test_cutting_words_that_take_no_time_only_ever_shortens(spans: list[tuple[int, int]]) -> None:
    hypothesis = [TimedWord(a, a + d, "가") for a, d in sorted(spans)]
    cut = cut_collapsed(hypothesis)
    assert cut == hypothesis[: len(cut)] and cut_collapsed(cut) == cut
    assert all(sum(1 for w in cut[i: i + 3] if w.end_ms - w.start_ms <= 20) < 3 for i in range(len(cut)))


def test_the_words_after_a_loop_that_junk_began_are_where_the_speech_resumes() -> None:
    def at(line: str) -> int | None:
        return after_loop(words(*line.split()))

    # A word or two of junk, a loop (a stutter counts), then the sentence after the music.
    assert at("여러분, 쌤아 쓰시시시시시시 더 선은 이름이") == 3
    assert at("로봇에 러스 러스 러스 러스 러스 러스 러스 러스 1, 2, 3, 더 선은") == 12
    assert at("러스 러스 러스 더 선은") == 3
    # Nothing after the loop, speech before it, or no loop at all: nothing to resume at.
    assert at("로봇에 러스 러스 러스 러스") is None
    assert at("안철 대표와 선택을 3, 4, 3, 4, 3, 4,") is None
    assert at("지난해 3월 김 전 장관의 동료인 교수가") is None


def test_a_cut_commits_only_the_pending_words_whose_audio_goes() -> None:
    """Under lag the window is cut; pending words whose audio stays wait for agreement (committed at once,
    junk that Whisper heard in music before a sentence was shown: noisy.mp4, 63 s)."""
    la = LocalAgreement()
    la.insert(words("가", "나", "다", "라"))
    assert [w.text for w in la.flush_until(600)] == ["가", "나"]  # ends 250 and 550; "다" ends 850
    assert [w.text for w in la.pending] == ["다", "라"]
    assert la.flush_until(0) == [] and [w.text for w in la.flush()] == ["다", "라"]


def test_two_decodes_that_space_or_punctuate_a_sentence_differently_still_agree() -> None:
    """fanlive at 47.9 s: "한잔의 커피가" and "한 잔의 커피가" in turn; word by word, five decodes (3 s) agreed
    on nothing."""
    la = LocalAgreement()
    la.insert(words("한잔의", "커피가", "소"))
    assert [w.text for w in la.insert(words("한", "잔의", "커피가", "소리", "잘게"))] == ["한", "잔의", "커피가"]
    la.insert(words("없어.", "많이", start=2000))
    assert [w.text for w in la.insert(words("없어,", "많이", "쓴다고", start=2000))] == ["없어,", "많이"]
    # A word never agrees with the start of a longer one: "잔" may be "잔의" cut off.
    assert common_prefix(words("한", "잔의"), words("한", "잔")) == 1
    assert common_prefix(words("한", "잔"), words("한", "잔의")) == 1
    assert common_prefix(words("한", "잔", "의"), words("한", "잔의")) == 2


def _letters(ws: list[TimedWord]) -> str:
    return "".join(ch for w in ws for ch in w.text if ch.isalnum())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["가", "나", "가나", "다,", "나다", "가."]), max_size=8),
       st.lists(st.sampled_from(["가", "나", "가나", "다,", "나다", "가."]), max_size=8))
def test_the_words_agreed_on_spell_the_start_of_both_hypotheses(a: list[str], b: list[str]) -> None:
    first, second = words(*a), words(*b)
    n = common_prefix(first, second)
    agreed = _letters(second[:n])
    assert _letters(first).startswith(agreed) and _letters(second).startswith(agreed)
    assert n == 0 or _letters(first)[len(agreed):len(agreed) + 1] == _letters(second)[len(agreed):len(agreed) + 1] \
        or len(agreed) in {len(_letters(first[:i])) for i in range(len(first) + 1)}


def test_a_word_joined_to_a_committed_one_in_a_later_decode_keeps_its_new_letters() -> None:
    """fanlive at 16 s: "겹쳐" committed, then every decode wrote "겹쳐스러지면" as one word from the same start.
    As a word starting before the committed end it counted as said, and "쓰러지며" was never shown."""
    la = LocalAgreement()
    la.insert([TimedWord(0, 400, "몸도"), TimedWord(400, 800, "겹쳐")])
    la.insert([TimedWord(0, 400, "몸도"), TimedWord(400, 800, "겹쳐"), TimedWord(800, 1500, "쓰러지며")])
    assert [w.text for w in la.committed] == ["몸도", "겹쳐"]
    joined = [TimedWord(0, 400, "몸도"), TimedWord(400, 1500, "겹쳐스러지면,"), TimedWord(1500, 1900, "한창")]
    assert [w.text for w in la.beyond_committed(joined)] == ["스러지면,", "한창"]
    la.insert(joined)
    out = la.insert([*joined, TimedWord(1900, 2300, "피어난")])
    assert [(w.text, w.start_ms) for w in out] == [("스러지면,", 800), ("한창", 1500)]
    # A word that reads the committed letters otherwise, or only them, stands for nothing new.
    assert [w.text for w in la.beyond_committed([TimedWord(1500, 2600, "한창피어난")])] == ["피어난"]
    assert la.beyond_committed([TimedWord(1500, 2600, "한참피어난")]) == []
