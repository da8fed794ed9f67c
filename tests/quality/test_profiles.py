"""The audio profiles (``streamkit.quality.profiles``): a telephone voice counts as speech (``phone_voice``), music is
found by its bass (``music_frames``)."""

from __future__ import annotations

import wave
from dataclasses import replace
from pathlib import Path

import numpy as np

from streamkit.media import extract_audio, probe, read_pcm
from streamkit.models import AudioTrack, Transcript, Utterance, Word
from streamkit.quality import (
    QualityOptions,
    band_profile,
    bass_profile,
    clean_transcript,
    energy_profile,
    music_frames,
    phone_voice,
    vad_profile,
)

from ..conftest import FANLIVE, SAMPLES


def _three_parts(tmp_path: Path) -> AudioTrack:
    """5 s of fanlive's voice, the same voice through a telephone line (300-3400 Hz), 5 s of music."""
    voice = read_pcm(extract_audio(probe(FANLIVE), tmp_path / "fan.wav"), 0, 5000).astype(np.float64)
    music = read_pcm(extract_audio(probe(SAMPLES / "noisy.mp4"), tmp_path / "noisy.wav"), 0, 5000).astype(np.float64)
    spectrum, f = np.fft.rfft(voice), np.fft.rfftfreq(voice.size, 1 / 16000)
    phone = np.fft.irfft(spectrum * ((f >= 300) & (f <= 3400)), voice.size)
    path = tmp_path / "three.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(np.concatenate([voice, phone, music]), -1, 1) * 32767).astype("<i2").tobytes())
    return AudioTrack(path=path, source=path, duration_ms=15_000)


def test_a_telephone_voice_reads_as_speech_and_nothing_else_changes(tmp_path: Path) -> None:
    track = _three_parts(tmp_path)
    vad, band, energy = vad_profile(track), band_profile(track), energy_profile(track)
    speech = phone_voice(vad, band, energy, 0.98)
    frames = range(0, 15_000, 32)
    # on the line: speech wherever the voice is louder than the floor (its pauses are not)
    loud = [t for t in range(5000, 10_000, 32) if energy(t, t + 32) > -60.0]
    assert sum(speech(t, t + 32) == 1.0 for t in loud) >= 0.8 * len(loud)
    # full-band voice and music read as the VAD reads them; nothing reads less
    assert all(speech(t, t + 32) == vad(t, t + 32) for t in [*range(0, 4960, 32), *range(10_016, 15_000, 32)])
    assert all(speech(t, t + 32) >= vad(t, t + 32) for t in frames)
    assert speech(20_000, 21_000) == 0.0  # past the end: nothing


def test_any_profile_functions_give_the_same_reading() -> None:
    """Without the frame tables (profiles of other origin) the same rule holds, span by span."""

    def vad(a: int, b: int) -> float:
        return 0.1

    def band(a: int, b: int) -> float:
        return 0.999 if a < 1000 else 0.9

    def level(a: int, b: int) -> float:
        return -70.0 if a < 500 else -30.0

    speech = phone_voice(vad, band, level, 0.98)
    assert [speech(a, a + 50) for a in (0, 600, 1200)] == [0.1, 1.0, 0.1]


def test_a_quiet_reply_on_a_telephone_line_is_over_voice_though_the_vad_hardly_hears_it() -> None:
    """conversation.mp4 at 22.7 s: "또한 박" on a line at -34 dBFS, the VAD at 0.25, Whisper unsure; it was
    dropped as invented (low confidence, quiet, "no speech"). Over voice only known patterns drop text."""

    def level(a: int, b: int) -> float:
        return -22.0 if a < 4000 else (-45.0 if 20_000 <= a < 21_000 else -75.0)

    def vad(a: int, b: int) -> float:
        return 0.9 if a < 4000 else 0.1

    def band(a: int, b: int) -> float:
        return 0.999 if 20_000 <= a < 21_000 else 0.6

    said = Utterance(1000, 3600, "현재 백화점과 영화관 등은", tuple(
        Word(1000 + 900 * i, 1800 + 900 * i, w, 0.9) for i, w in enumerate(("현재", "백화점과", "영화관 등은"))))
    reply = Utterance(20_050, 20_900, "또한 팥", (Word(20_050, 20_400, "또한", 0.25), Word(20_450, 20_900, "팥", 0.25)),
                      avg_logprob=-1.52, no_speech_prob=0.3)
    t = Transcript("ko", (said, reply), 60_000)
    o = QualityOptions()
    assert [u.text for u in clean_transcript(t, o, energy=level, speech=vad)[0].utterances] == [said.text]
    kept, dropped = clean_transcript(t, o, energy=level, speech=phone_voice(vad, band, level, 0.98))
    assert [u.text for u in kept.utterances] == [said.text, "또한 팥"] and dropped == ()


def _voice_and_music(tmp_path: Path) -> AudioTrack:
    """5 s of fanlive's voice, the same voice over noisy.mp4's music 12 dB under it (a bed), 5 s of that music
    (a band with a "singer" the VAD hears)."""
    voice = read_pcm(extract_audio(probe(FANLIVE), tmp_path / "fan.wav"), 0, 5000).astype(np.float64)
    music = read_pcm(extract_audio(probe(SAMPLES / "noisy.mp4"), tmp_path / "noisy.wav"), 0, 5000).astype(np.float64)
    bed = music * np.sqrt(np.mean(voice**2) / np.mean(music**2)) * 10 ** (-12 / 20)
    path = tmp_path / "voice-music.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(np.concatenate([voice, voice + bed, music]), -1, 1) * 32767).astype("<i2").tobytes())
    return AudioTrack(path=path, source=path, duration_ms=15_000)


def test_music_frames_find_the_band_and_not_a_voice_over_a_bed(tmp_path: Path) -> None:
    track = _voice_and_music(tmp_path)
    o = QualityOptions()
    music = music_frames(bass_profile(track), o.music_bass_db, reach_ms=o.music_reach_ms)
    assert music(0, 5000) == 0.0  # a voice has no bass under it
    # nor over a bed 12 dB under it where the voice speaks (between its words the bed is music, and reads so)
    energy = energy_profile(track)
    loud = [t for t in range(0, 5000, 50) if energy(t, t + 50) >= energy(0, 5000) - 6]
    assert len(loud) >= 40 and sum(music(5000 + t, 5050 + t) for t in loud) <= 0.1 * len(loud)
    assert music(10_300, 15_000) >= 0.9  # the band does


def test_a_singer_between_two_silences_is_no_voice_given_the_music() -> None:
    """conv-105 at 90.2 s: 3.8 s of music (a band and a "singer") between a pause and a silence stood out from both
    sides and the VAD heard the singer (0.64), so Whisper's "대단국 국가대기를 이기상할 수 싶어서 ..." lay over a voice,
    where only known patterns drop text, and became a cue. Given the music frames, that stretch is no voice and the
    unsure words over music go; without them nothing changes."""

    def level(a: int, b: int) -> float:
        return -22.0 if 30_000 <= a < 33_800 else -75.0

    def vad(a: int, b: int) -> float:
        return 0.64 if 30_000 <= a < 33_800 else 0.02

    def music(a: int, b: int) -> float:
        return 1.0 if 30_000 <= a < 33_800 else 0.0

    words = ("대단국", "국가대기를", "이기상할", "수", "싶어서")
    sung = Utterance(30_100, 33_600, " ".join(words),
                     tuple(Word(30_100 + 700 * i, 30_700 + 700 * i, w, 0.35) for i, w in enumerate(words)),
                     avg_logprob=-0.8)
    t = Transcript("ko", (sung,), 120_000)
    kept, _ = clean_transcript(t, energy=level, speech=vad)
    assert [u.text for u in kept.utterances] == [sung.text]
    cleaned, dropped = clean_transcript(t, energy=level, speech=vad, music=music)
    assert cleaned.utterances == () and "music" in dropped[0].signals
    # A sure reading of a run of words in music goes too since the thirty-sixth pass (w_music_run): conv-105's bed read
    # "대단국 학교를 막아줬을 놓고 나서..." at 0.71-0.99, a cue over the music. One sure word there is left alone: the
    # music alone is evidence, not a verdict.
    sure = Utterance(sung.start_ms, sung.end_ms, sung.text, tuple(replace(w, probability=0.9) for w in sung.words),
                     avg_logprob=-0.3)
    cleaned, dropped = clean_transcript(Transcript("ko", (sure,), 120_000), energy=level, speech=vad, music=music)
    assert cleaned.utterances == () and {"music", "detached"} <= set(dropped[0].signals)
    one = Utterance(30_100, 30_700, "대단국", (replace(sure.words[0], end_ms=30_700),), avg_logprob=-0.3)
    assert clean_transcript(Transcript("ko", (one,), 120_000), energy=level, speech=vad, music=music)[0].utterances
