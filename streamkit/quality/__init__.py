"""Invented text out of a transcript: Whisper's hallucinations, loops and stretched timings.

Whisper invents text over music, silence and crowd noise (YouTube outros such as "시청해주셔서
감사합니다", news sign-offs, "Thanks for watching"), repeats a phrase in a loop, echoes its prompt,
and stretches a word's timing over the pause before or after it. :func:`clean_transcript` removes
those, and only those, from a :class:`~streamkit.models.Transcript`:

1. **Loops** (:func:`find_loops`): a unit of 1-8 words repeated at least 4 times back to back
   inside an utterance is collapsed to its first occurrence; 3 or more identical consecutive
   utterances are collapsed to the first. The kept occurrence carries ``loop`` evidence.
2. **Runs**: an utterance is cut at every pause of at least ``split_pause_ms`` (2 s) between its
   words, a word stretched longer than plausible counting only for its plausible length at its end
   (Whisper's alignment stretches a word back over the music or silence before it). Each run is
   judged below as an utterance of its own, and the kept runs are put back together. Batched
   decoding (the default) returns a whole VAD chunk, up to 30 s of speech chunks with music
   between them, as one segment whose decoder scores (log-probability, no-speech probability,
   compression ratio) are those of the whole chunk: judged whole, a few invented words in it
   drown in its speech. A run is what a sequential decode would have made a segment of, so the
   evidence below, calibrated on those, holds for both. An utterance dropped run by run is
   reported as one piece.
3. **Lead-ins and tails**: a run of at least two low-probability words at the start (or end) of an
   utterance, separated by a pause from a confident rest, is scored on its own (Whisper decodes
   the music before the speech into words, then the speech).
4. **Scoring**: every utterance (or split-off run) collects evidence from independent signals;
   it is dropped when the evidence reaches ``drop_score`` (1.0). No single weak signal can drop
   real speech, and only the strong ones (Whisper's own no-speech rule, audio that is silent
   compared with the recording's speech, words the model itself did not believe, a short unsure
   piece with nothing that may be a voice within 1.5 s) reach 1.0 alone.
   The audio evidence is measured where the words fit the voice (within 1.5 s of their claimed
   time; ``voice.py``), and a piece lying mostly on voice (energy and VAD agree) is dropped only
   for a known invented pattern (outro, loop, prompt echo, wrong script), never for its
   confidence: short replies have low word probability by nature.
5. **Timing** (kept runs): the first and last words lose the silent frames at their outer
   edges (with an energy profile), and a word longer than plausible (300 ms + 250 ms per character)
   shrinks toward the speech: it keeps its end, except a run's last word, which keeps its
   start. So cues start on the speech onset and do not linger over silence. Words only shrink
   inside their own span; an edge touching the neighbouring utterance stays.

The passes repeat until nothing changes (dropping one utterance can expose a loop), so cleaning a
cleaned transcript changes nothing.

The signals, their weights and why each is evidence of invented text are tabled in the docstring of
``options.py``, next to :class:`QualityOptions`, whose fields they are (all thresholds are data).

The function is pure: the audio enters only through ``energy`` (a callable giving the RMS level
of a span in dBFS, see :func:`energy_profile`) and ``speech`` (the voice-activity probability of a
span, see :func:`vad_profile`), so tests can pass any function.

Where things live (import from ``streamkit.quality``; the modules are one concern each, imported
one way: options -> detectors and profiles -> scoring -> passes):

* ``options.py``: :class:`QualityOptions` (every threshold and weight, with the table of signals),
  :class:`Dropped`, the outro phrase data (:data:`OUTRO_PHRASES`, :data:`WEAK_OUTRO_PHRASES`,
  :data:`OUTRO_PATTERNS`) and the types of the audio callables (``EnergyFn``, ``SpeechFn``).
* ``detectors.py``: the text detectors: :func:`normalize_text`, :func:`match_outro`,
  :func:`find_loops` (:class:`Loop`), the transcript language's script (``SCRIPTS``), prompt echoes.
* ``profiles.py``: :func:`energy_profile`, :func:`vad_profile` and :func:`band_profile` (the only
  module that reads audio), :func:`phone_voice` (a phone-band voice read as speech), their frame
  tables, and the levels the scoring compares.
* ``scoring.py``: the evidence that one utterance, or a run of its words, is invented, and whole
  utterances judged together (the attached and cluster rules).
* ``voice.py``: where the voice really is: :func:`fit_voice` (a piece's words fitted to the voice
  within 1.5 s, and whether it is over voice), :func:`voiced_stretches` and :func:`uncovered`
  (voice with no word on it, which :mod:`streamkit.rescue` decodes again).
* ``align.py``: :func:`align_to_voice`: kept utterances moved onto the voice they fit.
* ``passes.py``: :func:`clean_transcript` and its passes (loops, runs, lead-ins and tails,
  retiming), and :func:`dropped_summary`.
"""

from __future__ import annotations

from .align import align_to_voice
from .detectors import SCRIPTS as SCRIPTS
from .detectors import (
    Loop,
    find_loops,
    is_outro_phrase,
    loops_within,
    match_outro,
    normalize_text,
    stutters,
    timeless_runs,
)
from .options import OUTRO_PATTERNS, OUTRO_PHRASES, WEAK_OUTRO_PHRASES, Dropped, EnergyFn, QualityOptions, SpeechFn
from .passes import clean_transcript, dropped_summary, keep_words
from .profiles import (
    band_power,
    band_profile,
    bass_power,
    bass_profile,
    energy_profile,
    music_frames,
    music_mask,
    phone_frames,
    phone_voice,
    span_level,
    speech_seconds,
    vad_profile,
    voice_without_words,
)
from .voice import (
    VoiceFit,
    fit_voice,
    laid_over,
    phone_stretches,
    phone_turns,
    speech_level,
    starts_voice,
    turns_without_words,
    uncovered,
    unheard,
    voice_after_music,
    voice_heads,
    voice_in_reach,
    voiced_stretches,
    without_music_runs,
    without_words,
)

__all__ = [
    "OUTRO_PATTERNS",
    "OUTRO_PHRASES",
    "WEAK_OUTRO_PHRASES",
    "Dropped",
    "EnergyFn",
    "Loop",
    "QualityOptions",
    "SpeechFn",
    "VoiceFit",
    "align_to_voice",
    "band_power",
    "band_profile",
    "bass_power",
    "bass_profile",
    "clean_transcript",
    "dropped_summary",
    "energy_profile",
    "find_loops",
    "fit_voice",
    "is_outro_phrase",
    "keep_words",
    "laid_over",
    "loops_within",
    "match_outro",
    "music_frames",
    "music_mask",
    "normalize_text",
    "phone_frames",
    "phone_stretches",
    "phone_turns",
    "phone_voice",
    "span_level",
    "speech_level",
    "speech_seconds",
    "starts_voice",
    "stutters",
    "timeless_runs",
    "turns_without_words",
    "uncovered",
    "unheard",
    "vad_profile",
    "voice_after_music",
    "voice_heads",
    "voice_in_reach",
    "voice_without_words",
    "voiced_stretches",
    "without_music_runs",
    "without_words",
]
