"""The retranslate core: the plan (what changed, what an editor did; translation/plan.py) and applying it
(translation/apply.py). The draft record: tests/translation/test_drafts.py."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.models import Cue, SubtitleTrack, Transcript, Utterance
from streamkit.segment import rules_for, segment
from streamkit.translation.apply import apply_plan
from streamkit.translation.drafts import DraftRecord
from streamkit.translation.plan import plan_retranslation
from streamkit.translation.sentences import join_sentences, transcript_from_track

SENTENCES = ["안녕하세요 여러분.", "오늘은 신곡 무대를 보여 드릴게요.", "정말 보고 싶었어요.", "콘서트 재밌었어요.",
             "내일 또 만나요.", "감사합니다.", "응원봉 흔들어 주세요.", "다음 곡은 발라드예요."]


def korean(texts: list[str], spacing_ms: int = 4000) -> SubtitleTrack:
    """One cue per sentence, 2 s each, ``spacing_ms`` apart."""
    return SubtitleTrack("ko", tuple(Cue(i * spacing_ms + 1000, i * spacing_ms + 3000, (t,))
                                     for i, t in enumerate(texts)))


def fake_engine(texts: list[str]) -> list[str]:
    return [f"EN[{t}]" for t in texts]


def machine_draft(track: SubtitleTrack) -> DraftRecord:
    """What streamkit translate writes: sentences translated, laid over the Korean, cut by the English rules."""
    sentences = join_sentences(transcript_from_track(track, language="ko"))
    english = fake_engine([s.text for s in sentences])
    utterances = tuple(Utterance(s.start_ms, s.end_ms, e) for s, e in zip(sentences, english, strict=True))
    cues = segment(Transcript("en", utterances, track.cues[-1].end_ms), rules_for("en"))
    return DraftRecord.of_machine(track, cues, engine="fake")


class Calls:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, texts: list[str]) -> list[str]:
        self.texts += texts
        return fake_engine(texts)


def with_text(track: SubtitleTrack, index: int, text: str) -> SubtitleTrack:
    cues = list(track.cues)
    cues[index] = Cue(cues[index].start_ms, cues[index].end_ms, (text,))
    return SubtitleTrack(track.language, tuple(cues))


def test_unchanged_korean_gives_the_draft_back_without_a_request() -> None:
    record = machine_draft(korean(SENTENCES))
    draft = with_text(record.english, 2, "An editor's line.")
    calls = Calls()
    result = apply_plan(plan_retranslation(record, record.korean, draft), draft, calls)
    assert result.track.cues == draft.cues and calls.texts == [] and result.changes == ()
    assert result.machine[2] is None and result.machine[0] == record.machine[0]


def test_one_corrected_sentence_is_retranslated_alone() -> None:
    record = machine_draft(korean(SENTENCES))
    edited = with_text(record.korean, 3, "콘서트 정말 재밌었어요.")
    calls = Calls()
    result = apply_plan(plan_retranslation(record, edited, record.english), record.english, calls)
    assert calls.texts == ["콘서트 정말 재밌었어요."]
    assert [c.action for c in result.changes] == ["retranslated"]
    assert result.track.cues[3].text == "EN[콘서트 정말 재밌었어요.]"
    assert [c for i, c in enumerate(result.track.cues) if i != 3] == \
        [c for i, c in enumerate(record.english.cues) if i != 3]


def test_deleted_and_added_sentences_remove_and_add_cues() -> None:
    record = machine_draft(korean(SENTENCES))
    cues = list(record.korean.cues)
    del cues[5]  # 감사합니다.
    cues.insert(2, Cue(8400, 8900, ("와!",)))  # a shout the editor heard between two sentences
    edited = SubtitleTrack("ko", tuple(cues))
    calls = Calls()
    result = apply_plan(plan_retranslation(record, edited, record.english), record.english, calls)
    assert calls.texts == ["와!"]
    assert sorted(c.action for c in result.changes) == ["added", "removed"]
    texts = [c.text for c in result.track.cues]
    assert "EN[감사합니다.]" not in texts and "EN[와!]" in texts and len(texts) == len(SENTENCES)


def test_a_machine_cue_across_two_sentences_retranslates_both() -> None:
    # Sentences 0.3 s apart: the English rules put the two short translations in one cue.
    record = machine_draft(korean(["안녕하세요.", "반가워요."], spacing_ms=2300))
    assert len(record.english.cues) == 1
    edited = with_text(record.korean, 1, "정말 반가워요.")
    calls = Calls()
    result = apply_plan(plan_retranslation(record, edited, record.english), record.english, calls)
    assert calls.texts == ["안녕하세요.", "정말 반가워요."]  # the first from the cache in real use
    assert " ".join(c.text for c in result.track.cues).split("\n") == ["EN[안녕하세요.] EN[정말 반가워요.]"]


def test_an_editor_deleting_an_english_cue_is_an_edit() -> None:
    record = machine_draft(korean(SENTENCES))
    draft = SubtitleTrack("en", tuple(c for i, c in enumerate(record.english.cues) if i != 4))
    edited = with_text(record.korean, 4, "내일 콘서트에서 만나요.")
    result = apply_plan(plan_retranslation(record, edited, draft), draft, Calls())
    assert [c.action for c in result.changes] == ["kept-edit"]
    assert result.track.cues == draft.cues


def test_retiming_one_cue_is_an_edit_but_a_uniform_shift_is_not() -> None:
    record = machine_draft(korean(SENTENCES))
    moved = list(record.english.cues)
    moved[1] = Cue(moved[1].start_ms + 300, moved[1].end_ms, moved[1].lines)
    plan = plan_retranslation(record, record.korean, SubtitleTrack("en", tuple(moved)))
    assert plan.human == tuple(i == 1 for i in range(len(moved)))
    shifted = SubtitleTrack("en", tuple(Cue(c.start_ms + 2000, c.end_ms + 2000, c.lines) for c in record.english.cues))
    plan = plan_retranslation(record, record.korean, shifted)
    assert plan.shift_ms == 2000 and not any(plan.human)


@st.composite
def editing_sessions(draw: st.DrawFn) -> tuple[DraftRecord, SubtitleTrack, SubtitleTrack, set[int], set[int]]:
    count = draw(st.integers(2, len(SENTENCES)))
    spacing = draw(st.sampled_from([2300, 2600, 4000]))
    record = machine_draft(korean(SENTENCES[:count], spacing_ms=spacing))
    changed = draw(st.sets(st.integers(0, count - 1)))
    edited = record.korean
    for i in changed:
        edited = with_text(edited, i, "아주 " + SENTENCES[i])
    hand = draw(st.sets(st.integers(0, len(record.english.cues) - 1)))
    draft = record.english
    for j in hand:
        draft = with_text(draft, j, f"Editor's line {j}.")
    return record, edited, draft, changed, hand


@settings(max_examples=120, deadline=None)
@given(editing_sessions())
def test_properties_hand_edits_survive_and_only_changed_korean_is_sent(
    session: tuple[DraftRecord, SubtitleTrack, SubtitleTrack, set[int], set[int]],
) -> None:
    record, edited, draft, changed, hand = session
    calls = Calls()
    plan = plan_retranslation(record, edited, draft)
    result = apply_plan(plan, draft, calls)
    out = result.track.cues
    for j in hand:  # every cue an editor changed is in the output exactly
        assert draft.cues[j] in out
    assert set(j for j, h in enumerate(plan.human) if h) == hand
    edited_texts = {c.text for c in edited.cues}
    assert set(calls.texts) <= edited_texts  # only edited-Korean sentences are ever sent
    for i in changed:  # a changed sentence is re-translated unless an editor's cue renders it
        korean_text = edited.cues[i].text
        conflicted = any(r.conflict and r.e_lo <= i < r.e_hi for r in plan.regions)
        assert (korean_text in calls.texts) != conflicted
    if not changed:
        assert out == draft.cues and calls.texts == []
    # Never overlapping, numbered in time order (SubtitleTrack checks it), and re-runnable: the
    # output with its record is a fixed point.
    again = DraftRecord(edited, result.track, result.machine)
    assert apply_plan(plan_retranslation(again, edited, result.track), result.track, Calls()).track == result.track
