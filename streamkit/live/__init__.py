"""``streamkit live``: captions during the livestream, committed word by word as two decodes agree.

Data flows one way: source -> engine -> captions -> translation -> pages, files and hooks.

* ``source.py``: what SOURCE is (:func:`parse_source`), the ffmpeg command as data (:func:`decode_args`),
  :class:`AudioFeed` (reconnects, gaps, bounded retries) and :class:`LiveSourceError`.
* ``policy.py``: :class:`LocalAgreement`, commit the longest common prefix of the last two hypotheses (pure).
* ``engine.py``: :class:`StreamingTranscriber`, the rolling window over VAD speech, trimming, lag control.
* ``captions.py``: committed words -> sentences (quality filter, glossary) -> :class:`Caption` laid out by
  the subtitle rules; :class:`RollingTrack` (the ``NAME.live.LANG.srt`` files).
* ``translation.py``: :class:`TranslationWorker`, final sentences translated on a thread.
* ``speech.py``: ``-t whisper``: each final sentence's audio (:class:`~.speech.AudioRing`) through Whisper's
  translate task (:class:`~.speech.SpeechTranslator`), English with no server.
* ``session.py``: :func:`run_live` with a :class:`LiveJob`; the run, its finalization, :class:`LiveResult`.
"""

from __future__ import annotations

from .captions import Caption, RollingTrack, SentenceBuilder, layout, live_paths
from .decoder import whisper_decoder
from .engine import StepResult, StreamingTranscriber
from .options import LiveOptions
from .policy import LocalAgreement, TimedWord, common_prefix
from .session import GAP_MARKER, LiveJob, LiveResult, run_live
from .source import AudioFeed, LiveSourceError, RetryPolicy, SourceSpec, decode_args, parse_source
from .translation import TranslationWorker

__all__ = [
    "GAP_MARKER",
    "AudioFeed",
    "Caption",
    "LiveJob",
    "LiveOptions",
    "LiveResult",
    "LiveSourceError",
    "LocalAgreement",
    "RetryPolicy",
    "RollingTrack",
    "SentenceBuilder",
    "SourceSpec",
    "StepResult",
    "StreamingTranscriber",
    "TimedWord",
    "TranslationWorker",
    "common_prefix",
    "decode_args",
    "layout",
    "live_paths",
    "parse_source",
    "run_live",
    "whisper_decoder",
]
