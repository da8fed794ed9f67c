"""How the live engine trades latency, cost and accuracy (:class:`LiveOptions`), and the decoder's token bound."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LiveOptions", "token_bound"]


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """How live transcription trades latency, cost and accuracy. Times in ms."""

    language: str = "ko"
    beam_size: int = 5
    #: Decode once at least this much new audio arrived since the last decode.
    min_step_ms: int = 500
    #: A lump of at least this much audio that arrived while the engine waited (an HLS segment) is decoded twice
    #: on arrival, all but its last ``min_step_ms`` first, so its words need not wait for the next lump to be
    #: agreed on. Not 1 s segments: there two decodes 0.5 s apart agreed on shortened readings (fanlive's live
    #: CER 8.6 -> 13-16 %, replayed in 1 s segments) for 0.2-0.5 s of latency.
    split_lump_ms: int = 2000
    #: Trim the buffer at a committed sentence end once it is longer than this.
    trim_ms: int = 8000
    #: The buffer never grows past this: it is cut at the last committed word (or committed as is).
    max_window_ms: int = 15000
    #: A word ending this close to the end of the audio decoded is not committed yet (it may be cut off).
    tail_guard_ms: int = 300
    #: Commit the pending words after this much silence (the speaker stopped).
    silence_commit_ms: int = 700
    #: A decode without a new word restarts the buffer after its last pause at least this long.
    restart_pause_ms: int = 256
    #: A decode with junk and a loop before its words restarts the buffer this long before them.
    resume_margin_ms: int = 300
    #: A first word over near-silence (mean VAD under ``lead_in_vad``, ``lead_in_db`` under the louder of the two
    #: words after it) that two decodes read differently is not heard: Whisper writes a syllable into the quiet
    #: left context before a voice, a different one each decode ("나", "가", "그", "다" before conversation.mp4's
    #: line at 8.1 s), and no two decodes then agreed on the sentence after it for 4 s. Read alike, it stays.
    lead_in_vad: float = 0.25
    lead_in_db: float = 9.0
    vad_threshold: float = 0.5
    #: A buffer is decoded only when it holds at least this much speech (a breath is not a sentence).
    min_speech_ms: int = 300
    #: ... counting frames at or above this VAD probability: Silero scores a phone-band reply 0.35-0.5
    #: (samples/conversation.mp4), and what it lets through more is judged by the decoder and the filter.
    gate_vad_threshold: float = 0.35
    #: A frame with this share of its power in 300-3400 Hz is a voice on a phone line: speech (VAD 1.0), as offline
    #: (``QualityOptions.phone_share``). Silero scores one 0.02-0.5: conv-101's phone sentence at 20.2 s never
    #: reached the gate. None: Silero alone.
    phone_share: float | None = 0.98
    #: The decoder's output is bounded by 16 tokens plus this many per second of buffer. Read Korean takes 4-6
    #: tokens a second (the ten transcribed Zeroth clips, base's tokenizer; a short reply's 8 tokens in 0.5 s fit
    #: in the 16). A decode looping over music runs to the bound: at 24, such decodes took 2-4 s each on
    #: noisy.mp4, the window fell behind, and its last sentence came 5-7 s late; at 16, 2.7-3.4 s (3 runs).
    tokens_per_second: float = 16.0
    #: Lag control: past ``cheap_lag_ms`` decode with ``cheap_beam_size`` and ``cheap_window_ms``;
    #: past ``skip_lag_ms`` skip the backlog (a "[…]" marker).
    cheap_lag_ms: int = 3000
    cheap_beam_size: int = 1
    cheap_window_ms: int = 8000
    skip_lag_ms: int = 10000
    initial_prompt: str | None = None
    hotwords: str | None = None
    #: The encoder sees the buffer plus this much silence (rounded up to a second) instead of Whisper's
    #: fixed 30 s: a decode of an 8 s buffer costs ~1.4 CPU-s instead of ~3.5. None: always 30 s.
    encoder_pad_ms: int | None = 1000
    #: When idle, decode a settled stretch of voice the window left without words alone, in a full window
    #: (:class:`~.missed.MissedVoice`; ``build_pipeline`` sets it up).
    second_chance: bool = True
    #: When the speaker pauses, words no two decodes agreed on are heard once more alone, in a full window, and
    #: that reading is committed instead (:meth:`~.missed.MissedVoice.reread`; needs ``second_chance``). A short
    #: reply gets one or two decodes of a short window before its pause, seldom read alike. Replayed (27
    #: recordings): live CER lower on 16, higher on 8, lines captioned 774 -> 782 (docs/benchmarks.md).
    reread_unagreed: bool = True
    #: Unagreed words that go on from the committed ones (the word before them ends no sentence, no pause between:
    #: :func:`~.policy.goes_on`) are read again with up to this much of the stream before them, the window's start
    #: at the earliest: a phrase's tail reads better after its head. Only words past the committed end are taken;
    #: when they hold less than half the letters of the unagreed ones (Whisper ran the tail into the head, or read
    #: nothing), the words are read alone after all. 0: always alone.
    reread_context_ms: int = 10000

    def __post_init__(self) -> None:
        if not 0 < self.cheap_lag_ms < self.skip_lag_ms:
            raise ValueError("LiveOptions: need 0 < cheap_lag_ms < skip_lag_ms")
        if self.min_step_ms <= 0 or self.max_window_ms < self.trim_ms:
            raise ValueError("LiveOptions: need min_step_ms > 0 and max_window_ms >= trim_ms")
        if self.reread_context_ms < 0:
            raise ValueError("LiveOptions: need reread_context_ms >= 0")


def token_bound(options: LiveOptions, seconds: float) -> int:
    """The most tokens a live decode of ``seconds`` of audio may write (``LiveOptions.tokens_per_second``)."""
    return min(220, int(16 + options.tokens_per_second * seconds))
