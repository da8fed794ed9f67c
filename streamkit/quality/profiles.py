"""The audio side: the energy (:func:`energy_profile`) and voice-activity (:func:`vad_profile`) profiles
of a track, the frame tables behind them, and the levels the scoring compares (a span's level, the
recording's speech level). The only module that reads audio.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..models import AudioTrack, Transcript, Utterance
from .options import EnergyFn, QualityOptions, SpeechFn

# --------------------------------------------------------------------------- energy


def energy_profile(track: AudioTrack, *, frame_ms: int = 50, window_s: int = 60) -> EnergyFn:
    """The RMS level (dBFS) of any span of ``track``, from a precomputed frame table.

    The track is read through :func:`streamkit.media.read_pcm` ``window_s`` seconds at a time
    (bounded memory for a 3-hour recording) and reduced to the mean square of every ``frame_ms``
    frame (a 3-hour track: 216,000 floats). A span's level is the mean power of the frames it
    touches, so it is exact to a frame; spans past the end read as silence (-120 dBFS).
    """

    if frame_ms < 1:
        raise ValueError("energy_profile: frame_ms must be positive")
    frames = [np.mean(block**2, axis=1) for block in _frame_blocks(track, frame_ms, window_s)]
    power = np.concatenate(frames) if frames else np.zeros(0)
    return _EnergyTable(power, frame_ms)


def _frame_blocks(track: AudioTrack, frame_ms: int, window_s: int) -> Iterator[NDArray[np.float64]]:
    """``track`` read ``window_s`` seconds at a time, each block as rows of ``frame_ms`` frames (the last padded)."""
    from ..media import read_pcm

    per_frame = track.sample_rate * frame_ms // 1000
    window_ms = (window_s * 1000 // frame_ms) * frame_ms
    for start in range(0, max(track.duration_ms, 1), window_ms):
        samples = read_pcm(track, start, start + window_ms).astype(np.float64)
        if samples.size == 0:
            break
        pad = (-samples.size) % per_frame
        if pad:
            samples = np.concatenate([samples, np.zeros(pad)])
        yield samples.reshape(-1, per_frame)


#: A frame whose ``TONE_BINS`` strongest in-band bins (20 Hz each in a 50 ms frame) hold ``TONE_SHARE`` of
#: its band power is a tone. Measured on the phone-band lines of the conversational sets: median 0.6-0.8,
#: 90th percentile 0.82-0.96; a sine at 440 Hz or 1 kHz: 1.00.
TONE_BINS = 5
TONE_SHARE = 0.97


def band_profile(
    track: AudioTrack, *, low_hz: float = 300.0, high_hz: float = 3400.0, frame_ms: int = 50, window_s: int = 60
) -> SpeechFn:
    """The share of a span's power (above 60 Hz) that lies between ``low_hz`` and ``high_hz``.

    A telephone line passes 300-3400 Hz: a voice over one has a share near 1, a full-band voice
    0.6-0.92 (its fundamental and fricatives lie outside), music 0.3-0.76, applause 0.75-0.88
    (measured on the conversational sets, docs/benchmarks.md). Silero VAD hears a phone-band voice
    poorly (0.01-0.22 in a track's context), so this is what finds one. Read like
    :func:`energy_profile`, ``window_s`` at a time, one FFT per Hann-windowed ``frame_ms`` frame. Tonal
    frames (``TONE_SHARE``) are left out of both parts: a beep is all in the band and no voice.
    """
    return _share_profile(track, lambda block: band_power(block, track.sample_rate, low_hz=low_hz, high_hz=high_hz),
                          frame_ms, window_s)


def _share_profile(
    track: AudioTrack,
    powers: Callable[[NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.float64]]],
    frame_ms: int, window_s: int,
) -> _ShareTable:
    """A :class:`_ShareTable` of ``track``, read ``window_s`` at a time: ``powers`` gives each ``frame_ms`` frame's
    part and whole (:func:`band_power`, :func:`bass_power`)."""
    parts: list[NDArray[np.float64]] = []
    wholes: list[NDArray[np.float64]] = []
    for block in _frame_blocks(track, frame_ms, window_s):
        part, whole = powers(block)
        parts.append(part)
        wholes.append(whole)
    return _ShareTable(np.concatenate(parts) if parts else np.zeros(0),
                       np.concatenate(wholes) if wholes else np.zeros(0), frame_ms)


def _spectrum(frames: NDArray[np.float64] | NDArray[np.float32],
              sample_rate: int) -> tuple[NDArray[np.floating[Any]], NDArray[np.float64]]:
    """Each frame's (row's) power spectrum, one FFT per Hann-windowed frame, and the bins' frequencies."""
    n = frames.shape[1]
    freqs = np.fft.rfftfreq(n, 1 / sample_rate)
    power: NDArray[np.float64] = np.abs(np.fft.rfft(frames * np.hanning(n), axis=1)) ** 2
    return freqs, power


def band_power(frames: NDArray[np.float64] | NDArray[np.float32], sample_rate: int, *, low_hz: float = 300.0,
               high_hz: float = 3400.0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per frame (a row of ``frames``): its power between ``low_hz`` and ``high_hz``, and its power above 60 Hz;
    both 0 for a tonal frame. One FFT per Hann-windowed frame (:func:`band_profile`'s, and live captions' on
    each 32 ms frame of the stream)."""
    n = frames.shape[1]
    freqs, power = _spectrum(frames, sample_rate)
    inside = (freqs >= low_hz) & (freqs <= high_hz)
    audible = freqs >= 60.0
    in_band = power[:, inside]
    part = in_band.sum(axis=1)
    # A tone (a test tone, a bleep) is no voice: frames with nearly all their band power in a few
    # bins count for nothing (neither part nor whole). A voice's strongest bins hold 0.6-0.8 of it.
    # The few bins span TONE_BINS * 20 Hz whatever the frame's length (5 bins of a 50 ms frame).
    peaks = max(1, min(round(TONE_BINS * 20 * n / sample_rate), int(inside.sum())))
    tonal = np.partition(in_band, -peaks, axis=1)[:, -peaks:].sum(axis=1) >= TONE_SHARE * part
    return np.where(tonal, 0.0, part), np.where(tonal, 0.0, power[:, audible].sum(axis=1))


def phone_frames(frames: NDArray[np.float32], sample_rate: int, share: float, *,
                 floor_dbfs: float = -60.0) -> NDArray[np.bool_]:
    """Which frames (rows of ``frames``) are a voice on a telephone line: louder than ``floor_dbfs`` with at least
    ``share`` of their power in 300-3400 Hz (:func:`phone_voice`'s test, on frames at hand: live captions')."""
    part, audible = band_power(frames, sample_rate)
    shares = np.divide(part, audible, out=np.zeros_like(part), where=audible > 0)
    loud: NDArray[np.bool_] = np.mean(frames.astype(np.float64) ** 2, axis=1) > 10 ** (floor_dbfs / 10)
    return (shares >= share) & loud


@dataclass(frozen=True)
class _ShareTable:
    part: NDArray[np.float64]
    whole: NDArray[np.float64]
    frame_ms: int

    def __call__(self, start_ms: int, end_ms: int) -> float:
        frames = _frame_slice(start_ms, end_ms, self.frame_ms)
        whole = float(np.sum(self.whole[frames]))
        return float(np.sum(self.part[frames])) / whole if whole > 0 else 0.0


def vad_profile(track: AudioTrack, *, window_s: int = 600) -> SpeechFn:
    """The mean speech probability of any span of ``track``, from Silero VAD (faster-whisper's).

    The track is read ``window_s`` seconds at a time through :func:`streamkit.media.read_pcm` and
    scored in 32 ms frames (512 samples at 16 kHz): a 3-hour track is 337,500 floats and about
    half a minute of CPU. Spans past the end read as 0.
    """
    from faster_whisper.vad import get_vad_model

    from ..media import read_pcm
    from ..silero import install

    install()
    frame = 512
    frame_ms = frame * 1000 // track.sample_rate  # 32
    model = get_vad_model()
    window_ms = max(window_s * 1000 // frame_ms, 1) * frame_ms
    probs: list[NDArray[np.float64]] = []
    for start in range(0, max(track.duration_ms, 1), window_ms):
        # Read to the track's last whole ms and padded as faster-whisper's VAD pads: a one-window track is
        # scored with the very samples transcription's VAD pass scored, and that score is reused (silero.py).
        samples = read_pcm(track, start, min(start + window_ms, track.duration_ms))
        if samples.size == 0:
            break
        padded = np.pad(samples, (0, frame - samples.size % frame))
        probs.append(np.asarray(model(padded), dtype=np.float64).reshape(-1)[: -(-samples.size // frame)])
    return _MeanTable(np.concatenate(probs) if probs else np.zeros(0), frame_ms)


def phone_voice(speech: SpeechFn, band: SpeechFn, energy: EnergyFn, share: float, *,
                floor_dbfs: float = -60.0) -> SpeechFn:
    """``speech`` (the VAD) with a phone-band voice counted as speech: a frame holding at least ``share``
    of its power in 300-3400 Hz (``band``, :func:`band_profile`) and louder than ``floor_dbfs`` reads 1.

    Silero VAD scores a voice over a telephone line at 0.01-0.22 in a track's context, so the clean
    stage judged a quiet phone reply (the VAD's "no speech", Whisper's low confidence on a short
    reply) invented. With this it is over voice, where only the known invented patterns drop text.
    No music, applause, crowd or laughter on the conversational sets reaches 0.98 (docs/benchmarks.md).
    """
    if not (isinstance(speech, _MeanTable) and isinstance(band, _ShareTable) and isinstance(energy, _EnergyTable)):
        return lambda a, b: max(speech(a, b), 1.0 if band(a, b) >= share and energy(a, b) > floor_dbfs else 0.0)
    n = min(band.whole.size, energy.power.size)
    if n == 0 or band.frame_ms != energy.frame_ms:
        return speech
    whole = band.whole[:n]
    shares = np.divide(band.part[:n], whole, out=np.zeros(n), where=whole > 0)
    phone = (shares >= share) & (energy.power[:n] > 10 ** (floor_dbfs / 10))
    # Each VAD frame reads the band frames under its first and last millisecond: both must be phone.
    starts = np.arange(speech.values.size) * speech.frame_ms
    first = np.minimum(starts // band.frame_ms, n - 1)
    last = np.minimum((starts + speech.frame_ms - 1) // band.frame_ms, n - 1)
    values = np.where(phone[first] & phone[last], 1.0, speech.values)
    return _MeanTable(values, speech.frame_ms)


def bass_profile(track: AudioTrack, *, frame_ms: int = 50, window_s: int = 60) -> SpeechFn:
    """The ratio of a span's power at 20-60 Hz (a bass line, a kick drum: no voice goes down there) to its power at
    150-4000 Hz (a voice's range). Read like :func:`band_profile`, one FFT per Hann-windowed ``frame_ms`` frame
    (33 ms for 214 s of audio)."""
    return _share_profile(track, lambda block: bass_power(block, track.sample_rate), frame_ms, window_s)


def bass_power(frames: NDArray[np.float64] | NDArray[np.float32],
               sample_rate: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per frame (a row of ``frames``): its power at 20-60 Hz and at 150-4000 Hz, one FFT per Hann-windowed frame
    (:func:`bass_profile`'s, and live captions' on each 50 ms frame of the stream)."""
    freqs, power = _spectrum(frames, sample_rate)
    return (power[:, (freqs >= 20.0) & (freqs <= 60.0)].sum(axis=1),
            power[:, (freqs >= 150.0) & (freqs < 4000.0)].sum(axis=1))


def music_frames(bass: SpeechFn, music_db: float, *, reach_ms: int = 200) -> SpeechFn:
    """The share of a span's frames that lie in music: frames whose ``reach_ms`` on each side hold at least
    ``music_db`` (dB) of bass against the voice's range (``bass``, :func:`bass_profile`). A single frame's bass
    comes and goes with the drums; a voice over a bed 12 dB under it stays below -14 dB."""
    if not isinstance(bass, _ShareTable):
        raise TypeError("music_frames: bass must come from bass_profile")
    in_music = music_mask(bass.part, bass.whole, music_db, reach_ms // bass.frame_ms)
    return _MeanTable(in_music.astype(np.float64), bass.frame_ms)


def music_mask(bass: NDArray[np.float64], voice: NDArray[np.float64], music_db: float,
               reach: int) -> NDArray[np.bool_]:
    """Which frames lie in music, given each frame's power at 20-60 Hz (``bass``) and at 150-4000 Hz (``voice``,
    :func:`bass_power`): the ``reach`` frames on each side and the frame itself hold some bass, at least
    ``music_db`` (dB) against the voice's range. The rule of :func:`music_frames` and of live captions."""
    kernel = np.ones(2 * max(reach, 0) + 1)
    low = np.convolve(bass, kernel, "same")
    band = np.convolve(voice, kernel, "same")
    mask: NDArray[np.bool_] = (low > 0) & (low >= band * 10 ** (music_db / 10))
    return mask


def speech_seconds(speech: SpeechFn, duration_ms: int, *, threshold: float = 0.5, step_ms: int = 1000) -> float:
    """Seconds of ``duration_ms`` whose mean speech probability reaches ``threshold`` (counted per ``step_ms``)."""
    steps = sum(1 for start in range(0, max(duration_ms, 0), step_ms) if speech(start, start + step_ms) >= threshold)
    return steps * step_ms / 1000


#: Seconds of voice (Silero VAD) under which a transcript without a single word is unremarkable.
VOICE_WITHOUT_WORDS_S = 2.0


def voice_without_words(transcript: Transcript, speech: SpeechFn) -> tuple[str, ...]:
    """A warning when the recording has voice but not one word came out (a damaged model, the wrong language).

    A warning, not an error: singing and crowd noise also register as voice, so a music-only clip may
    rightly end with no words; the files are valid, and the run's summary says what to check.
    """
    if transcript.utterances:
        return ()
    heard = speech_seconds(speech, transcript.duration_ms)
    if heard < VOICE_WITHOUT_WORDS_S:
        return ()
    return (f"{heard:.0f} s of voice but no words: the subtitles are empty; check the model with "
            "`streamkit model --verify` (`--repair` rebuilds a damaged one) and the recording's language",)


@dataclass(frozen=True)
class _MeanTable:
    values: NDArray[np.float64]
    frame_ms: int

    def __call__(self, start_ms: int, end_ms: int) -> float:
        chunk = self.values[_frame_slice(start_ms, end_ms, self.frame_ms)]
        return float(chunk.sum()) / chunk.size if chunk.size else 0.0  # np.mean's sum, without its overhead


@dataclass(frozen=True)
class _EnergyTable:
    power: NDArray[np.float64]
    frame_ms: int

    def __call__(self, start_ms: int, end_ms: int) -> float:
        chunk = self.power[_frame_slice(start_ms, end_ms, self.frame_ms)]
        if chunk.size == 0:
            return -120.0
        return _db(float(chunk.sum()) / chunk.size)  # np.mean's sum, without its 3 us of overhead per call


def _frame_slice(start_ms: int, end_ms: int, frame_ms: int) -> slice:
    """The ``frame_ms`` frames a span touches (at least one; negative times read as 0)."""
    a = max(0, start_ms) // frame_ms
    return slice(a, max(a + 1, -(-max(end_ms, 0) // frame_ms)))


def _db(power: float) -> float:
    return 10 * math.log10(power) if power > 1e-12 else -120.0


def _span_level(energy: EnergyFn, spans: Sequence[tuple[int, int]], frame_ms: int) -> float:
    """The median level of the ``frame_ms`` frames covering the spans, in dB.

    The median, not the mean power: a word stretched from the end of a sentence over a second of
    silence is mostly silence, even though its first frames are loud.
    """
    levels: list[float] = []
    for a, b in spans:
        t = a
        while True:
            levels.append(energy(t, min(t + frame_ms, max(b, t + 1))))
            t += frame_ms
            if t >= b:
                break
    levels.sort()
    return levels[len(levels) // 2] if levels else -120.0


def _speech_level(utterances: Sequence[Utterance], energy: EnergyFn, options: QualityOptions) -> float:
    """The recording's speech level: the median level of its confident words (else all words)."""
    words = [w for u in utterances for w in u.words]
    confident = [w for w in words if w.probability >= options.level_word_probability] or words
    if confident:
        levels = sorted(span_level(energy, w.start_ms, w.end_ms) for w in confident)
    else:
        levels = sorted(span_level(energy, u.start_ms, u.end_ms) for u in utterances)
    return levels[len(levels) // 2] if levels else -120.0


def span_level(energy: EnergyFn, start_ms: int, end_ms: int) -> float:
    """The level of a span, a zero-length one (a word Whisper gave no time) read as its first millisecond."""
    return energy(start_ms, max(end_ms, start_ms + 1))


def loudest_frame(energy: EnergyFn, start_ms: int, end_ms: int, frame_ms: int) -> float:
    """The level of the loudest ``frame_ms`` frame laid from ``start_ms`` within the span (at least one)."""
    return max(energy(t, t + frame_ms) for t in range(start_ms, max(end_ms - frame_ms, start_ms) + 1, frame_ms))
