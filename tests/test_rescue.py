"""No voice left behind (``streamkit.rescue``): voiced stretches without a kept word are decoded
again on their own, and ``streamkit check --video``'s voice check lists those still without a cue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.checks import voice_check
from streamkit.media import extract_audio, probe
from streamkit.models import AudioTrack, Transcript, Utterance, Word
from streamkit.quality import (
    Dropped,
    EnergyFn,
    QualityOptions,
    SpeechFn,
    energy_profile,
    speech_level,
    uncovered,
    vad_profile,
    voiced_stretches,
)
from streamkit.rescue import RescueOptions, SpanTranscriber, rescue_voice
from streamkit.subtitles import parse_raw
from streamkit.transcribe import TranscribeOptions, WhisperTranscriber

from .conftest import FANLIVE


def test_the_voice_check_lists_voice_with_no_cue_over_it() -> None:
    def on(a: int, b: int, spans: tuple[tuple[int, int], ...] = ((1000, 3000), (6000, 7000))) -> bool:
        return any(s < b and e > a for s, e in spans)

    cues = parse_raw("1\n00:00:01,000 --> 00:00:03,000\n안녕하세요\n\n")
    check = voice_check(lambda a, b: -20.0 if on(a, b) else -70.0, lambda a, b: 0.9 if on(a, b) else 0.0, 10_000)
    problems = list(check(cues, "ko"))
    found = [(p.code, p.severity, p.start_ms, p.end_ms, p.cue) for p in problems]
    assert found == [("voice", "warning", 6000, 7000, 1)]
    assert "1.0 s of voice" in problems[0].message
    # A cue at the end of a long stretch: the part of it 1.5 s from the cue is voice with no cue over it.
    long = ((1000, 3000), (10_000, 16_000))
    cues = parse_raw("1\n00:00:01,000 --> 00:00:03,000\n안녕하세요\n\n2\n00:00:15,500 --> 00:00:16,000\n네\n\n")
    check = voice_check(lambda a, b: -20.0 if on(a, b, long) else -70.0, lambda a, b: 0.9 if on(a, b, long) else 0.0,
                        20_000)
    assert [(p.start_ms, p.end_ms, p.cue) for p in check(cues, "ko")] == [(10_000, 14_000, 1)]


def test_the_whisper_transcriber_decodes_spans() -> None:
    assert isinstance(WhisperTranscriber.__new__(WhisperTranscriber), SpanTranscriber)


@pytest.mark.slow
def test_a_lost_stretch_of_voice_is_decoded_again(transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    audio = extract_audio(probe(FANLIVE), tmp_path / "audio.wav")
    options = TranscribeOptions()
    full = transcriber.transcribe(audio, options)
    energy, speech, quality = energy_profile(audio), vad_profile(audio), QualityOptions()
    stretches = voiced_stretches(energy, speech, audio.duration_ms, speech_level(full, energy, quality), quality)
    a, b = min((s for s in stretches if s[1] - s[0] <= QualityOptions().voice_max_ms), key=lambda s: s[1] - s[0])
    # The words on one voiced stretch lost, as batched decoding loses a short reply.
    lost = replace(full, utterances=tuple(
        u for u in (replace(u, words=tuple(w for w in u.words if not (w.start_ms < b and w.end_ms > a)))
                    for u in full.utterances) if u.words
    ))
    lost = replace(lost, utterances=tuple(replace(u, text=" ".join(w.text for w in u.words)) for u in lost.utterances))
    assert (a, b) in uncovered(stretches, lost)
    rescued, _dropped, report = rescue_voice(lost, audio, transcriber, options, quality, energy=energy, speech=speech)
    assert report.stretches >= 1 and report.decoded >= 1 and report.recovered >= 1
    assert (a, b) not in report.left and (a, b) not in uncovered(stretches, rescued)
    assert isinstance(rescued, Transcript) and len(rescued.text) > len(lost.text)
    assert report.summary()["voiced_seconds_without_cue"] == report.left_seconds


@pytest.mark.slow
def test_the_unheard_part_of_a_stretch_with_a_word_at_its_end_is_decoded_again(
        transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    """conv-103 at 180.7 s: batched decoding gave a 4.5 s stretch only "네," at its end; the sentence
    before it was lost. Here: the words of the longest stretch lost but its last one."""
    from streamkit.quality import unheard

    audio = extract_audio(probe(FANLIVE), tmp_path / "audio.wav")
    options = TranscribeOptions()
    full = transcriber.transcribe(audio, options)
    energy, speech, quality = energy_profile(audio), vad_profile(audio), QualityOptions()
    stretches = voiced_stretches(energy, speech, audio.duration_ms, speech_level(full, energy, quality), quality)
    a, b = max(stretches, key=lambda s: s[1] - s[0])
    on = [w for u in full.utterances for w in u.words if w.start_ms < b and w.end_ms > a]
    assert b - a >= 3 * quality.voice_search_ms and on
    last = on[-1]
    lost = replace(full, utterances=tuple(
        u for u in (replace(u, words=tuple(w for w in u.words if w not in on or w is last)) for u in full.utterances)
        if u.words
    ))
    lost = replace(lost, utterances=tuple(replace(u, text=" ".join(w.text for w in u.words)) for u in lost.utterances))
    gone = unheard(stretches, lost, quality.voice_search_ms, quality.voice_min_ms)
    assert gone and (a, b) not in uncovered(stretches, lost)
    rescued, _dropped, report = rescue_voice(lost, audio, transcriber, options, quality, energy=energy, speech=speech)
    assert not set(gone) & set(unheard(stretches, rescued, quality.voice_search_ms, quality.voice_min_ms))
    assert len(rescued.text) > len(lost.text) + 10 and not set(gone) & set(report.left)


def test_the_prompt_written_back_with_a_word_changed_is_an_echo() -> None:
    from streamkit.spans import _echoes

    prompt = "정말로 손을 내밀면 안철수 대표와 국민의당은 어떤 선택을"
    assert _echoes("김정은, 정말로 손을 내밀면 안철수 대표와 국민의당을 내밀면", prompt)
    assert _echoes("어떤 선택을", prompt)
    assert not _echoes("그래? 알겠어", prompt) and not _echoes("선택", prompt)


def test_a_turn_whose_padding_only_touches_a_stretchs_clip_is_decoded_as_itself(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """conv-101 at 100.0 s: a phone reply (100.0-100.45 s, padded 99.7-100.75 s) right before the next word's
    stretch (100.8-101.6 s, its clip from 100.5 s). Taken as held by that clip, it was decoded nowhere."""
    import streamkit.rescue as rescue

    decoded: list[list[tuple[int, int]]] = []

    def decode_regions(clips: list[tuple[int, int]], *_: object) -> list[Utterance]:
        decoded.append(list(clips))
        return []

    monkeypatch.setattr(rescue, "_decode_regions", decode_regions)
    track = AudioTrack(Path("unused.wav"), Path("unused.mp4"), 120_000)
    transcript = Transcript("ko", (), 120_000)
    args = (transcript, track, None, TranscribeOptions(), RescueOptions(), QualityOptions(), [], lambda a, b: -30.0)
    rescue._rescue_regions([(100_800, 101_600)], [(99_700, 100_750)], [], *args)  # type: ignore[arg-type]
    assert decoded[-1] == [(99_700, 100_750), (100_500, 101_900)]
    # A turn the clip holds but for its padding is decoded in the clip.
    rescue._rescue_regions([(100_800, 101_600)], [(100_500, 101_700)], [], *args)  # type: ignore[arg-type]
    assert decoded[-1] == [(100_500, 101_900)]


def test_voice_next_to_music_as_loud_is_decoded_and_kept_only_if_whisper_trusts_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """conv-101 at 31.5 s: a line straight after music 5 dB louder than it (a stretch standing out from
    the silence after it only) was lost. Decoded, it reads at -0.47; music and crowd on such stretches
    read at -0.80 to -2.26, unsure word by word (conv-102 at 65 s, over the music with a "singer")."""
    import streamkit.rescue as rescue

    def spoken(start: int, logprob: float, *said: tuple[str, float]) -> Utterance:
        words = tuple(Word(text=t, start_ms=start + 500 * i, end_ms=start + 500 * i + 450, probability=p)
                      for i, (t, p) in enumerate(said))
        return Utterance(start_ms=start, end_ms=words[-1].end_ms, text=" ".join(t for t, _ in said), words=words,
                         avg_logprob=logprob)

    line = spoken(30_150, -0.47, ("박근혜", 0.63), ("대통령이", 0.85), ("정말로", 0.93), ("손을", 0.87),
                  ("내밀면", 0.64))
    singer = spoken(64_750, -1.64, ("이제", 0.04), ("스마트에서", 0.42), ("만나서", 0.49), ("부수기엔", 0.11))
    counted = spoken(9_650, -1.28, ("하나", 0.61), ("둘", 0.8), ("하나", 0.8), ("둘", 0.81))  # sure words, a bad decode
    formula = spoken(46_050, -0.6, ("고맙습니다", 0.51))
    loop = spoken(22_250, -0.95, *[("안경을", 0.7)] * 8)  # stress-0 at 27 s: sure enough, a loop
    decoded: list[list[tuple[int, int]]] = []

    def decode_regions(clips: list[tuple[int, int]], *_: object) -> list[Utterance]:
        decoded.append(list(clips))
        return [loop, counted, line, formula, singer]

    monkeypatch.setattr(rescue, "_decode_regions", decode_regions)
    track = AudioTrack(Path("unused.wav"), Path("unused.mp4"), 120_000)
    dropped: list[Dropped] = []
    sided = [(9_350, 11_800), (22_000, 26_500), (30_150, 34_250), (45_750, 47_350), (64_750, 68_450)]
    found = rescue._rescue_regions([], [], [], Transcript("ko", (), 120_000), track, None,  # type: ignore[arg-type]
                                   TranscribeOptions(), RescueOptions(), QualityOptions(), dropped,
                                   lambda a, b: -25.0, sided=sided)
    assert decoded == [sided]
    assert [u.text for u in found] == [line.text]
    assert {d.text for d in dropped} == {singer.text, counted.text, formula.text, loop.text}
    assert all(d.signals == ("one_sided",) for d in dropped)


@pytest.mark.parametrize("one_sided", [True, False])
def test_the_head_of_a_voice_running_on_into_a_crowd_is_decoded_on_its_own(
        monkeypatch: pytest.MonkeyPatch, one_sided: bool) -> None:
    """conv-103 at 160.9 s: a line at -33 dBFS after silence, straight into 16.5 s of babble at -28 dBFS that
    the VAD hears as voice too, then a sentence whose words the speech region over all of it holds. No
    voiced stretch, no turn without words: the line was lost. Its head is decoded like voice next to
    music as loud (a clip of its own, kept where Whisper trusts it: "자신을 정당화하지는 않을거에요", -0.79)."""
    import streamkit.rescue as rescue

    spans = [(10_000, 12_000, -33.0), (12_000, 26_000, -28.0), (27_000, 29_000, -20.0)]

    def energy(a: int, b: int) -> float:
        return next((db for s, e, db in spans if s <= a < e), -93.0)

    def speech(a: int, b: int) -> float:
        return 0.9 if any(s <= a < e for s, e, _ in spans) else 0.02

    said = Utterance(27_100, 28_900, "오늘 방송 정말", tuple(
        Word(27_100 + 600 * i, 27_600 + 600 * i, t, 0.9) for i, t in enumerate(("오늘", "방송", "정말"))))
    seen: list[tuple[int, int]] = []

    def decode(*args: object) -> list[Utterance]:
        seen.extend(args[13])  # type: ignore[call-overload]  # the ``sided`` clips
        return []

    monkeypatch.setattr(rescue, "turn_regions", lambda *_: [(10_000, 29_000)])
    monkeypatch.setattr(rescue, "_rescue_regions", decode)
    track = AudioTrack(Path("unused.wav"), Path("unused.mp4"), 40_000)
    rescue_voice(Transcript("ko", (said,), 40_000), track, WhisperTranscriber.__new__(WhisperTranscriber),
                 TranscribeOptions(), QualityOptions(), energy=energy, speech=speech, band=lambda a, b: 0.0,
                 rescue=RescueOptions(one_sided=one_sided))
    head = QualityOptions().voice_head_ms
    assert seen == ([(10_000 - RescueOptions().pad_ms, 10_000 + head + RescueOptions().pad_ms)] if one_sided else [])


def test_a_clip_holds_the_stretch_and_the_speech_regions_over_it() -> None:
    from streamkit.rescue import _clips

    regions = [(1368, 1864), (7960, 20616), (22552, 23208)]
    # the VAD starts late on a phone-band reply: the clip starts at the stretch (padded)
    assert _clips([(1000, 1700)], regions, 300, 60_000) == [(700, 2000)]
    # a stretch inside a region decodes the region up to 3 s past its padding on each side; overlapping clips
    # are merged
    assert _clips([(8000, 9000), (9500, 10000)], regions, 300, 60_000) == [(7700, 13300)]
    assert _clips([(8000, 9000)], regions, 300, 60_000, reach_ms=20_000) == [(7700, 20616)]
    # no region over it: the padded stretch, within the track
    assert _clips([(100, 600), (59_800, 60_000)], regions, 300, 60_000) == [(0, 900), (59_500, 60_000)]


def test_a_stretch_in_a_region_of_crowd_babble_is_decoded_near_itself() -> None:
    """conv-103 on an AVX-512 machine: the VAD called 24.7 s one speech region (a quiet line, 16.5 s of crowd
    babble, a reply, a line on a music bed). The clip of the voiced stretch at its end (the line on the bed,
    180.65-185.15 s) was the whole region, and Whisper read only the region's first line: the line, its reply and
    the quiet line before were lost (CER 29.5 %). Clipped 3 s past the stretch, the line on the bed and the quiet
    line are read (lines lost 3 -> 1, CER 24.4 %)."""
    from streamkit.rescue import _clips

    assert _clips([(180_650, 185_150)], [(160_728, 185_450)], 300, 282_347) == [(177_350, 185_450)]


def _levels(*spans: tuple[int, int, float], floor: float = -90.0):  # type: ignore[no-untyped-def]
    """An energy function from (start_ms, end_ms, dBFS) spans; elsewhere ``floor``."""

    def energy(a: int, b: int) -> float:
        for s, e, db in spans:
            if s <= a < e:
                return db
        return floor

    return energy


def test_a_turn_after_a_pause_is_decoded_again_and_a_region_inside_music_is_not() -> None:
    from streamkit.rescue import turns_without_words

    o = QualityOptions()
    empty = Transcript(language="ko", utterances=(), duration_ms=30_000)
    # music from 0 to 12 s at -23 dBFS (the VAD opens a region at 6.2 s inside it), then a pause, a
    # reply at -33 dBFS (quiet, phone-band: well below the music), music again from 20 s
    energy = _levels((0, 12_000, -23.0), (14_000, 15_000, -33.0), (15_000, 16_000, -34.0), (20_000, 30_000, -22.0))
    regions = [(6_200, 10_200), (13_800, 16_200), (22_000, 26_000)]
    assert turns_without_words(regions, empty, energy, -24.0, o) == [(13_800, 16_200)]
    # a region already holding a kept word is not decoded again; one quieter than the voice floor neither
    assert turns_without_words([(13_800, 16_200)], _said(14_000, 15_000), energy, -24.0, o) == []
    assert turns_without_words([(13_800, 16_200)], empty, energy, 10.0, o) == []


def _said(a: int, b: int) -> Transcript:
    from streamkit.models import Utterance, Word

    word = Word(text="그래?", start_ms=a, end_ms=b, probability=0.9)
    return Transcript(language="ko", utterances=(Utterance(start_ms=a, end_ms=b, text="그래?", words=(word,)),),
                      duration_ms=30_000)


@settings(max_examples=60, deadline=None)
@given(bed=st.floats(-60, -20), rise=st.floats(0, 40), start=st.integers(0, 20_000))
def test_a_region_is_a_turn_exactly_when_it_rises_above_what_came_before(bed: float, rise: float, start: int) -> None:
    """The property: the onset rule reads only the region's level against the quiet fifth before it."""
    from streamkit.rescue import turns_without_words

    o = QualityOptions()
    empty = Transcript(language="ko", utterances=(), duration_ms=40_000)
    energy = _levels((0, start, bed), (start, start + 2_000, bed + rise), floor=bed)
    found = turns_without_words([(start, start + 2_000)], empty, energy, bed + rise, o)
    assert found == ([(start, start + 2_000)] if rise >= o.voice_contrast_db else [])


def test_a_region_opening_the_track_is_a_turn_only_if_it_stands_out_from_what_follows() -> None:
    from streamkit.rescue import turns_without_words

    o = QualityOptions()
    empty = Transcript(language="ko", utterances=(), duration_ms=60_000)
    music = _levels((0, 30_000, -22.0))  # stress-0: music opens the recording, the VAD's region at 0 s
    assert turns_without_words([(0, 1_240)], empty, music, -22.0, o) == []
    talk = _levels((0, 2_000, -22.0))  # a recording that opens on a line, then a pause
    assert turns_without_words([(0, 2_000)], empty, talk, -22.0, o) == [(0, 2_000)]


def test_a_turn_decoded_alone_ends_where_whisper_grows_unsure_or_stutters() -> None:
    from streamkit.models import Utterance, Word
    from streamkit.rescue import RescueOptions, _sure_head

    def piece(*said: tuple[str, float]) -> Utterance:
        words = tuple(Word(text=t, start_ms=500 * i, end_ms=500 * i + 400, probability=p)
                      for i, (t, p) in enumerate(said))
        return Utterance(start_ms=0, end_ms=words[-1].end_ms, text=" ".join(t for t, _ in said), words=words)

    r = RescueOptions()
    # conv-102: the turn, then Whisper over the music after it
    found = piece(("현재", 0.72), ("백화점과", 0.85), ("영화관", 0.8), ("등은", 0.82), ("오프스탄,", 0.6),
                  ("그리고", 0.16), ("애는", 0.37), ("악보리나", 0.45))
    kept = _sure_head(found, r)
    assert kept is not None and kept.text == "현재 백화점과 영화관 등은 오프스탄," and kept.end_ms == 2400
    assert _sure_head(piece(("현재", 0.7), ("아스비" + "시" * 30, 0.84)), r).text == "현재"  # type: ignore[union-attr]
    assert _sure_head(piece(("아스비시시시시", 0.9)), r) is None
    # a short unsure reply is the filter's to judge; one unsure word in a sure sentence stays
    reply = piece(("짬뽕", 0.3), ("아니라?", 0.4))
    assert _sure_head(reply, r) is reply
    sentence = piece(("물론", 0.9), ("일단", 0.14), ("염려가", 0.83))
    assert _sure_head(sentence, r) is sentence
    assert _sure_head(piece(("하하하", 0.9), ("네", 0.9)), r) is not None


def test_a_turn_decoded_alone_ends_where_a_louder_sound_takes_over() -> None:
    """conv-102 at 23.7 s: the turn at -32 dBFS, then music 10 dB louder where Whisper went on at
    0.38-0.62 (no two words in a row under 0.5): they were a cue over the music."""
    from streamkit.models import Utterance, Word
    from streamkit.rescue import RescueOptions, _sure_head

    def piece(*said: tuple[str, float, float]) -> tuple[Utterance, Callable[[int, int], float]]:
        words = tuple(Word(text=t, start_ms=500 * i, end_ms=500 * i + 400, probability=p)
                      for i, (t, p, _) in enumerate(said))
        u = Utterance(start_ms=0, end_ms=words[-1].end_ms, text=" ".join(t for t, _, _ in said), words=words)
        return u, lambda a, b: next(db for i, (_, _, db) in enumerate(said) if a < 500 * i + 500)

    r = RescueOptions()
    found, energy = piece(("현재", 0.61, -33.0), ("백화점과", 0.87, -31.0), ("영화관", 0.79, -29.0),
                          ("등은", 0.83, -34.0), ("오프스탄을", 0.5, -22.0), ("내놓은", 0.38, -20.0),
                          ("악보리나", 0.51, -19.0), ("가슴을", 0.62, -21.0))
    assert _sure_head(found, r) is found  # by confidence alone, all of it stayed
    kept = _sure_head(found, r, energy)
    assert kept is not None and kept.text == "현재 백화점과 영화관 등은"
    # a quiet first word before a louder, surer line; a louder second speaker as sure as the first
    soft, energy = piece(("음", 0.4, -40.0), ("그래", 0.9, -24.0), ("알겠어", 0.8, -25.0))
    assert _sure_head(soft, r, energy) is soft
    two, energy = piece(("네", 0.8, -34.0), ("진짜", 0.9, -33.0), ("빨리", 0.85, -22.0), ("가야", 0.9, -21.0))
    assert _sure_head(two, r, energy) is two


def test_a_turn_decoded_again_into_a_closing_formula_alone_is_not_kept() -> None:
    from streamkit.quality import is_outro_phrase

    o = QualityOptions()
    assert is_outro_phrase("수고하셨습니다.", o)  # stress-2, over a crowd
    assert is_outro_phrase("고맙습니다", o)
    assert not is_outro_phrase("네 고맙습니다 언니", o)
    assert not is_outro_phrase("그래?", o)


def _spoken(start_ms: int, *said: tuple[str, float, int]) -> Utterance:
    """An utterance of words (text, probability, start) 300 ms long each."""
    words = tuple(Word(text=t, start_ms=s, end_ms=s + 300, probability=p) for t, p, s in said)
    return Utterance(start_ms=start_ms, end_ms=words[-1].end_ms, text=" ".join(t for t, _, _ in said), words=words)


def test_a_turn_found_inside_a_kept_segment_cuts_it_and_the_cues_follow_the_voice() -> None:
    from streamkit.checks import check_track
    from streamkit.rescue import interleave
    from streamkit.segment import rules_for, segment
    from streamkit.subtitles import format_srt

    # conv-101: one batched segment from 115.6 s to 140.8 s (music and three turns between its
    # words), and the three turns found again. Sorted by start alone, the turns' words came after
    # the segment's last word and made a cue of 25 characters in 0.5 s.
    long = _spoken(115_580, ("그", 0.5, 115_580), ("바람에", 0.7, 118_430), ("나의", 0.97, 118_910),
                 ("만약", 0.54, 132_000), ("박근혜", 0.88, 133_230), ("대통령이", 0.97, 133_790),
                 ("영업하고", 0.62, 139_680), ("있고", 0.9, 140_180))
    found = [_spoken(121_150, ("공격적인", 0.26, 121_150), ("하셨습니다", 0.26, 123_110)),
             _spoken(125_900, ("또는", 0.35, 125_900), ("선택을", 0.98, 126_070)),
             _spoken(127_650, ("자신을", 0.55, 127_650), ("정당화하지는", 0.67, 127_970), ("않니", 0.27, 128_810))]
    merged = interleave([long], found)
    assert [u.text for u in merged] == ["그 바람에 나의", "공격적인 하셨습니다", "또는 선택을",
                                        "자신을 정당화하지는 않니", "만약 박근혜 대통령이 영업하고 있고"]
    starts = [w.start_ms for u in merged for w in u.words]
    assert starts == sorted(starts)
    track = segment(Transcript(language="ko", utterances=tuple(merged), duration_ms=150_000), rules_for("ko"))
    cues = parse_raw(format_srt(track))
    assert not [p for p in check_track(cues, rules_for("ko"), Fraction(24), "ko") if p.severity == "error"]
    # a piece outside every kept utterance, or a kept utterance of one word, is left alone
    assert interleave([long], []) == [long]
    one = _spoken(0, ("네", 0.9, 0))
    assert interleave([one], [_spoken(150, ("응", 0.9, 150))])[0] is one


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(200, 3000), min_size=2, max_size=12), st.data())
def test_interleaved_words_are_in_time_order_and_none_is_lost(gaps: list[int], data: st.DataObject) -> None:
    from streamkit.rescue import interleave

    # kept: one utterance whose words are separated by ``gaps``; found: pieces in some of the gaps
    t, said = 0, []
    for i, gap in enumerate(gaps):
        said.append((f"w{i}", 0.9, t))
        t += 300 + gap
    long = _spoken(0, *said)
    holes = data.draw(st.lists(st.sampled_from(range(len(gaps) - 1)), unique=True, max_size=len(gaps) - 1))
    found = []
    for h in sorted(holes):
        a, b = long.words[h].end_ms, long.words[h + 1].start_ms
        length = data.draw(st.integers(1, max(b - a, 1)))
        start = data.draw(st.integers(a, max(b - length, a)))
        found.append(Utterance(start_ms=start, end_ms=start + length, text=f"f{h}",
                               words=(Word(text=f"f{h}", start_ms=start, end_ms=start + length),)))
    merged = interleave([long], found)
    words = [w for u in merged for w in u.words]
    assert sorted(w.text for w in words) == sorted([*(w.text for w in long.words), *(u.text for u in found)])
    assert [w.start_ms for w in words] == sorted(w.start_ms for w in words)
    assert all(u.start_ms == u.words[0].start_ms for u in merged if u not in found)


def test_the_band_profile_tells_a_telephone_line_from_full_band_voice_and_music(tmp_path: Path) -> None:
    import wave

    import numpy as np

    from streamkit.media import read_pcm
    from streamkit.quality import band_profile

    from .conftest import SAMPLES

    voice = read_pcm(extract_audio(probe(FANLIVE), tmp_path / "fan.wav"), 0, 5000).astype(np.float64)
    music = read_pcm(extract_audio(probe(SAMPLES / "noisy.mp4"), tmp_path / "noisy.wav"), 0, 5000).astype(np.float64)
    spectrum, f = np.fft.rfft(voice), np.fft.rfftfreq(voice.size, 1 / 16000)
    phone = np.fft.irfft(spectrum * ((f >= 300) & (f <= 3400)), voice.size)  # a telephone line
    mix = np.concatenate([voice, phone, music])
    path = tmp_path / "three.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(mix, -1, 1) * 32767).astype("<i2").tobytes())
    band = band_profile(AudioTrack(path=path, source=path, duration_ms=15_000))
    assert band(5000, 10_000) >= 0.99
    assert band(0, 5000) < 0.95 and band(10_000, 15_000) < 0.9
    assert band(20_000, 21_000) == 0.0  # past the end: nothing


def test_a_phone_band_turn_without_words_is_found_by_its_spectrum() -> None:
    from streamkit.rescue import phone_turns

    o = QualityOptions()

    def track(parts: list[tuple[int, int, float, float]]) -> tuple[EnergyFn, SpeechFn]:
        """(start, end, dBFS, in-band share) stretches; silence (-70 dBFS, share 0.4) elsewhere."""
        def find(a: int) -> tuple[float, float]:
            return next(((db, share) for s, e, db, share in parts if s <= a < e), (-70.0, 0.4))
        return (lambda a, b: find(a)[0]), (lambda a, b: find(a)[1])

    energy, band = track([(2000, 3000, -25.0, 0.999), (6000, 7000, -25.0, 0.85), (10_000, 14_000, -20.0, 0.93),
                          (14_000, 15_000, -21.0, 0.99), (20_000, 21_000, -25.0, 0.999),
                          (23_000, 26_000, -5.0, 0.5), (26_000, 27_000, -25.0, 0.995)])
    said = Transcript(language="ko", duration_ms=30_000, utterances=(
        Utterance(start_ms=20_100, end_ms=20_600, text="네", words=(Word(20_100, 20_600, "네"),)),))
    # after a pause, on a telephone line: found; straight after music 20 dB louder (the line comes in by its
    # spectrum, not its level: conversation.mp4 at 55.2 s): found; full band (the VAD's), inside a sound of
    # nearly its spectrum at its level, or holding a kept word already: not
    assert phone_turns(energy, band, 30_000, said, -22.0, o, 0.98) == [(2000, 3000), (26_000, 27_000)]
    assert phone_turns(energy, band, 30_000, said, -22.0, o, 0.0) == [(2000, 3000), (6000, 7000), (10_000, 15_000),
                                                                      (23_000, 27_000)]


def test_words_decoded_around_a_phone_turn_are_laid_over_its_voice() -> None:
    """Whisper timed a reply's words over the music before the clip ("그 다음은 한테 그라이" from 54.55 s for
    a voice at 55.15-55.80 s); measured there they were dropped on confidence, laid over the voice they stay."""
    from streamkit.quality import laid_over

    u = Utterance(54_550, 55_890, "그 다음은 한테", words=(Word(54_550, 54_900, "그"), Word(54_950, 55_400, "다음은"),
                                                      Word(55_450, 55_890, "한테")))
    over = laid_over(u, (55_150, 55_800))
    assert (over.start_ms, over.end_ms) == (55_150, 55_800) and over.text == u.text
    starts = [w.start_ms for w in over.words]
    assert starts == sorted(starts) and all(55_150 <= w.start_ms <= w.end_ms <= 55_800 for w in over.words)
    assert over.words[0].start_ms == 55_150 and over.words[-1].end_ms == 55_800
    inside = Utterance(55_200, 55_700, "네", words=(Word(55_200, 55_700, "네"),))
    assert laid_over(inside, (55_150, 55_800)) is inside


def test_a_turn_whose_text_was_a_known_pattern_is_decoded_once_more() -> None:
    """Batched decoding (no temperature fallback) read the reply over a music bed at 60.9 s of
    conversation.mp4 as "1, 2, 1."; counting is a known pattern and goes. The turn, still without a
    word, is decoded again on its own (sequential, with the fallback): "또 한 번"."""
    from streamkit.quality import Dropped
    from streamkit.rescue import _pattern_turns

    todo = [(20_000, 21_000), (60_600, 61_600), (70_000, 71_000), (80_000, 81_000), (90_000, 102_400)]
    kept = Transcript("ko", (Utterance(80_100, 80_500, "네", (Word(80_100, 80_500, "네"),)),), 110_000)
    dropped = [
        Dropped(60_700, 61_160, "1, 2, 1.", "nothing but numbers counted", ("logprob", "counting")),
        Dropped(70_100, 70_600, "그", "word probability 0.2", ("confidence", "energy")),  # no pattern: judged
        Dropped(80_100, 80_400, "구독", "outro phrase", ("outro",)),  # the turn has a kept word already
        Dropped(90_000, 92_000, "1,2,3,4,4,4,4", "a loop", ("loop",)),  # 12 s of crowd in stress-2: too long
    ]
    assert _pattern_turns(todo, kept, dropped, QualityOptions()) == [(60_600, 61_600)]
    assert _pattern_turns(todo, kept, dropped, QualityOptions(), 20_000) == [(60_600, 61_600), (90_000, 102_400)]
    assert _pattern_turns(todo, kept, [], QualityOptions()) == []


class _Scripted:
    """A :class:`SpanTranscriber` that hears what it is told: with the text before as a prompt, then without.

    A fake: the real model's answer on a music bed with a reversed singer is what the script replays
    (conv-101 at 11.9 s on a 2026-12 VM)."""

    def __init__(self, prompted: list[Utterance], alone: list[Utterance]) -> None:
        self.prompted, self.alone, self.calls = prompted, alone, 0

    def transcribe_span(self, audio: AudioTrack, start_ms: int, end_ms: int, options: TranscribeOptions,
                        prompt: str | None = None) -> list[Utterance]:
        self.calls += 1
        return [u for u in (self.prompted if prompt else self.alone) if u.start_ms < end_ms and u.end_ms > start_ms]


def _heard(start: int, end: int, text: str, p: float) -> Utterance:
    return Utterance(start, end, text, (Word(start, end, text, p),), -1.2, 0.2, 1.0)


def test_a_short_turn_read_twice_as_a_closing_formula_is_read_with_the_talk_before_it() -> None:
    """conv-101 at 121.1 s, a phone line over a music bed: decoded alone (batched, then sequential without
    the text before it), "수고하셨습니다." both times. With the 12 s before it in the window, Whisper reads the
    talk before and the line; only the line's words are kept. A long stretch (music) is not tried again."""
    from streamkit.spans import decode_stretches

    class Windowed:
        """A fake: what ``base`` gave on those windows of conv-101 (2026-12-05)."""

        def __init__(self) -> None:
            self.spans: list[tuple[int, int]] = []

        def transcribe_span(self, audio: AudioTrack, start_ms: int, end_ms: int, options: TranscribeOptions,
                            prompt: str | None = None) -> list[Utterance]:
            self.spans.append((start_ms, end_ms))
            if end_ms - start_ms < 10_000:
                text = "그래?" if start_ms < 100_000 else "수고하셨습니다."
                return [_heard(start_ms + 300, start_ms + 760, text, 0.44)]
            before = Utterance(117_600, 119_760, "그 바람에 나의 몸도겹", tuple(
                Word(117_600 + 540 * i, 118_100 + 540 * i, t, 0.8)
                for i, t in enumerate(("그", "바람에", "나의", "몸도겹"))))
            line = Utterance(120_760, 123_860, "목격적인 공부와 개발 작업에 들어갔다", tuple(
                Word(120_760 + 620 * i, 121_300 + 620 * i, t, 0.7)
                for i, t in enumerate(("목격적인", "공부와", "개발", "작업에", "들어갔다"))), -0.62)
            return [before, line]

    audio = AudioTrack(Path("/nonexistent.wav"), Path("/nonexistent.mp4"), 150_000)
    said = Transcript("ko", (_heard(117_600, 119_760, "그 바람의 나의 몸도 겹.", 0.8),), 150_000)
    fake, dropped = Windowed(), []
    found = decode_stretches([(30_000, 30_700), (121_150, 123_650)], said, audio, fake, TranscribeOptions(),
                              RescueOptions(), dropped, context=False, quality=QualityOptions())
    # A reply read the second time is not decoded a third time
    assert fake.spans == [(29_700, 31_000), (120_850, 123_950), (109_150, 123_950)]
    assert [u.text for u in found] == ["그래?", "목격적인 공부와 개발 작업에 들어갔다"]
    assert found[1].words[0].start_ms == 120_760


@pytest.mark.parametrize("end_ms", [15_900, 19_300])
def test_a_second_decode_replaces_the_first_so_its_loop_reads_as_one(end_ms: int) -> None:
    """First decode: "고맙습니다." (a closing formula: dropped). Decoded again alone: "아프다." four times.
    Merged with the first decode's text between them, the four were no run; in its place they are a loop.
    A stretch longer than ``retry_max_ms`` (conv-101's 7.4 s of a music bed here) is not decoded again."""
    before = _heard(3000, 5000, "오늘 방송 정말 재밌었어요", 0.9)
    voice = [(3000, 5000), (11_900, end_ms)]

    def energy(a: int, b: int) -> float:
        return -22.0 if any(s < b and e > a for s, e in voice) else -75.0

    def speech(a: int, b: int) -> float:
        return 0.8 if any(s < b and e > a for s, e in voice) else 0.02  # the VAD hears the bed's singer

    transcriber = _Scripted([_heard(11_900, 13_280, "고맙습니다.", 0.45)],
                            [_heard(a, b, "아프다.", p) for a, b, p in
                             [(11_900, 12_540, 0.19), (12_700, 12_960, 0.64), (12_960, 13_620, 0.7),
                              (13_620, 14_140, 0.7)]])
    audio = AudioTrack(Path("/nonexistent.wav"), Path("/nonexistent.mp4"), 25_000)
    result, dropped, _report = rescue_voice(Transcript("ko", (before,), 25_000), audio, transcriber,
                                            TranscribeOptions(), QualityOptions(), energy=energy, speech=speech,
                                            rescue=RescueOptions(turns=False, lead_ms=0))
    assert [u.text for u in result.utterances] == [before.text]
    if end_ms - 11_900 > RescueOptions().retry_max_ms:
        assert transcriber.calls == 1 and [d.text for d in dropped] == ["고맙습니다."]
        return
    assert transcriber.calls == 2, "decoded once with the text before as the prompt, once alone"
    assert [d.text for d in dropped] == ["아프다.", "고맙습니다.", "아프다.", "아프다.", "아프다."]


def test_a_retrys_reading_of_a_phone_turn_replaces_the_first_reading_it_lies_on() -> None:
    """Both readings of one phone turn are laid over its voice: kept together they say two things at once (conv-104
    1 dB louder: "하나, 둘, 셋!" and the retry's "대신 하시기ress.. 어, 대신 하시기ress.." over 14.85-15.50 s, 39
    characters that no cue could show at reading speed). The retry's reading takes the place of every piece it
    lies on, as of every piece inside the stretch it decoded again; pieces elsewhere stay."""
    from streamkit.rescue import _replaced

    elsewhere = _heard(10_250, 12_490, "뿐 아니라", 0.6)
    first = _heard(14_850, 15_500, "하나, 둘, 셋!", 0.5)  # laid over the turn, outside the retried stretch
    inside = _heard(15_600, 16_000, "어", 0.3)
    again = [_heard(14_850, 15_374, "대신 하시기ress..", 0.8), _heard(15_374, 15_500, "어, 대신 하시기ress..", 0.6)]
    kept = _replaced([elsewhere, first, inside], [(15_352, 16_792)], again, 300)
    assert kept == [elsewhere]
    assert _replaced([elsewhere, first], [(15_352, 16_792)], [], 300) == [elsewhere, first]


def test_pieces_next_to_two_phone_turns_are_each_laid_over_their_own() -> None:
    """A piece goes with the phone turn it lies on, not with the first turn within reach: conv-106's "자신을",
    decoded on its own turn at 107.5 s, was laid over the end of the turn before (0.65 s away), off its voice,
    and its line lost its cue. A piece on no turn goes with the nearest one within reach."""
    from streamkit.rescue import _onto_phones

    turns = [(104_400, 106_850), (107_500, 108_950)]
    line = _heard(104_090, 106_690, "박근혜 대통령이 정말로 손을 내밀면", 0.8)
    own = _heard(107_200, 107_840, "자신을", 0.4)
    laid = _onto_phones([line, own], turns, 1500)
    assert [(u.start_ms, u.end_ms, u.text) for u in laid] == [(104_400, 106_850, line.text),
                                                             (107_500, 108_950, "자신을")]
    near = _heard(109_300, 109_700, "네", 0.6)  # on no turn: with the nearest within reach, if a piece is on it
    assert all(107_500 <= u.start_ms <= u.end_ms <= 108_950 for u in _onto_phones([own, near], turns, 1500))
    assert _onto_phones([near], turns, 1500) == [near]


def test_what_is_laid_over_a_phone_turn_stays_on_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """conv-101 at 100.0 s: one phone line in two turns (a pause of 0.35 s inside it), each decoded and laid over
    its own. The first turn, a phone voice the VAD hardly hears, is no voiced stretch; aligning the transcript to
    the voice moved its piece onto the stretch of the second turn, and the line's cue came 0.6 s late. A phone
    turn is voice: what is laid over one stays."""
    import streamkit.rescue as rescue

    turns = [(100_000, 100_450), (100_800, 101_600)]

    def energy(a: int, b: int) -> float:
        return -30.0 if any(s <= a < e for s, e in turns) else -93.0

    def speech(a: int, b: int) -> float:  # Silero hardly hears the first turn's phone band
        return 0.9 if turns[1][0] <= a < turns[1][1] else 0.05

    def band(a: int, b: int) -> float:
        return 0.99 if any(s <= a < e for s, e in turns) else 0.0

    pieces = [replace(_heard(*turns[0], "안이구나?", 0.7), avg_logprob=-0.4),
              replace(_heard(*turns[1], "현호인 다녀와", 0.7), avg_logprob=-0.4)]
    monkeypatch.setattr(rescue, "turn_regions", lambda *_: [(99_800, 101_800)])
    monkeypatch.setattr(rescue, "phone_turns", lambda *_: list(turns))
    monkeypatch.setattr(rescue, "_rescue_regions", lambda *_: list(pieces))
    monkeypatch.setattr(rescue, "_pattern_turns", lambda *_: [])
    track = AudioTrack(Path("unused.wav"), Path("unused.mp4"), 110_000)
    result, _dropped, _report = rescue_voice(
        Transcript("ko", (), 110_000), track, WhisperTranscriber.__new__(WhisperTranscriber),
        TranscribeOptions(), QualityOptions(), energy=energy, speech=speech, band=band)
    assert [(u.start_ms, u.text) for u in result.utterances] == [(100_000, "안이구나?"), (100_800, "현호인 다녀와")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20_000), st.integers(1, 4), st.sampled_from([0, 100, 400])), max_size=6),
       st.lists(st.tuples(st.integers(0, 20_000), st.integers(100, 3000)), max_size=4),
       st.sampled_from([0, 300, 1500]))
def test_pieces_laid_over_phone_turns_keep_their_text_and_order_and_stay_in_a_turn(
        spec: list[tuple[int, int, int]], turn_spec: list[tuple[int, int]], reach: int) -> None:
    from streamkit.rescue import _onto_phones

    pieces = [Utterance(a, a + n * d, " ".join(["가"] * n), tuple(Word(a + k * d, a + (k + 1) * d, "가", 0.5)
                                                                   for k in range(n)), -0.5, 0.1, 1.0)
              for a, n, d in spec]
    turns = sorted({(a, a + d) for a, d in turn_spec})
    out = _onto_phones(pieces, turns, reach)
    assert sorted(u.text for u in out) == sorted(u.text for u in pieces)
    for u in out:
        starts = [w.start_ms for w in u.words]
        assert starts == sorted(starts) and all(w.start_ms <= w.end_ms for w in u.words)
        moved = u not in pieces
        assert not moved or any(a <= u.start_ms <= u.end_ms <= b for a, b in turns)  # moved: onto a turn, whole
