"""Streaming transcription: a rolling window of audio, decoded again as it grows, words committed by agreement.

:class:`StreamingTranscriber` holds the audio not yet settled (the buffer) and the voice-activity
probabilities of everything received (faster-whisper's Silero VAD, 32 ms frames). Each
:meth:`~StreamingTranscriber.step` decodes the buffer once, when it holds speech and at least
``min_step_ms`` of new audio, and commits what :class:`~streamkit.live.policy.LocalAgreement` says
two consecutive decodes agree on. The buffer is trimmed at the end of committed sentences (or, when
none comes, at the last committed word) so a step's cost stays bounded; after ``silence_commit_ms``
of silence the pending words are committed and the buffer emptied (the speaker stopped).

Lag is the audio received but not yet decoded, less a lump that arrived while the engine waited for
audio (an HLS segment handed over whole is not lag). Past ``cheap_lag_ms`` the decoder switches to a
cheaper setting (beam 1, a shorter window); past ``skip_lag_ms`` the backlog is skipped and the
caller shows a "[…]" marker.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ..quality import QualityOptions, bass_power, music_mask, phone_frames
from .options import LiveOptions
from .policy import (
    LocalAgreement,
    TimedWord,
    after_loop,
    common_prefix,
    cut_collapsed,
    cut_loop,
    cut_tail_repeat,
    ends_sentence,
    goes_on,
    letter_count,
    loop_start,
)

if TYPE_CHECKING:
    from .missed import MissedVoice

__all__ = ["Decoder", "LiveOptions", "StepResult", "StreamingTranscriber"]

log = logging.getLogger("streamkit")

SAMPLE_RATE = 16000
VAD_FRAME = 512  # samples: 32 ms
VAD_FRAME_MS = VAD_FRAME * 1000 // SAMPLE_RATE
ENERGY_FRAME = 800  # samples: 50 ms, the quality filter's frame
ENERGY_FRAME_MS = ENERGY_FRAME * 1000 // SAMPLE_RATE
#: A word this short (ms) has no audio under it to speak of (``quality.timeless_runs`` uses the same bound).
UNHEARD_MS = 20
_VAD_CONTEXT_FRAMES = 32  # ~1 s of left context when scoring new audio (Silero's state is per call)


#: ``decode(samples, beam_size, offset_ms)`` -> the words of the buffer, in stream time.
Decoder = Callable[[NDArray[np.float32], int, int], list[TimedWord]]


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one step did: words committed, whether they end a sentence, audio skipped, the lag."""

    words: tuple[TimedWord, ...] = ()
    sentence_end: bool = False
    skipped_ms: int = 0
    decoded: bool = False
    lag_ms: int = 0
    cheap: bool = False
    #: CPU time of this step's decode (all of the process's threads), in ms.
    decode_cpu_ms: int = 0
    #: How much audio the decode heard, in ms (its window).
    decoded_ms: int = 0
    #: The decode was of a stretch the window left without words (:class:`~.missed.MissedVoice`), in a full window.
    rescued: bool = False
    #: Runs of words no two decodes agreed on heard again alone at a pause, each in a full window (in the CPU time).
    rereads: int = 0


@dataclass
class StreamingTranscriber:
    """The rolling window. Feed audio with :meth:`feed`; call :meth:`step` in a loop; :meth:`finish` at the end."""

    decoder: Decoder
    options: LiveOptions = field(default_factory=LiveOptions)
    vad: Callable[[NDArray[np.float32]], NDArray[np.float64]] | None = None
    agreement: LocalAgreement = field(default_factory=LocalAgreement)
    received_ms: int = 0
    processed_ms: int = 0
    _odd_samples: int = 0  # received samples short of a whole millisecond, carried to the next chunk
    _buffer: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    _buffer_start_ms: int = 0
    _speech: list[float] = field(default_factory=list)  # VAD probability per 32 ms frame, whole stream
    _tail: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    _vad_context: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    _power: list[float] = field(default_factory=list)  # mean square per 50 ms frame, whole stream
    _power_tail: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    _bass: list[float] = field(default_factory=list)  # power at 20-60 Hz per 50 ms frame, whole stream
    _voice_band: list[float] = field(default_factory=list)  # power at 150-4000 Hz per 50 ms frame
    #: received_ms when the last step found too little new audio to decode (the engine had caught up);
    #: None once a step takes audio on (decoded, or dropped as holding no speech).
    _idle_at_ms: int | None = None
    #: Voice the window left without words, decoded once more when the engine is idle; None: never.
    missed: MissedVoice | None = None

    # ----------------------------------------------------------------- audio in

    def feed(self, samples: NDArray[np.float32]) -> None:
        self._buffer = np.concatenate([self._buffer, samples.astype(np.float32, copy=False)])
        self._tail = np.concatenate([self._tail, samples.astype(np.float32, copy=False)])
        # The stream clock counts every sample: a pipe hands over odd sizes (341 samples, 21.3 ms), and rounding
        # each chunk down lost 1.5 % of it (27 s in 30 minutes, which the lag then never showed).
        ms, self._odd_samples = divmod(self._odd_samples + samples.size, SAMPLE_RATE // 1000)
        self.received_ms += ms
        self._score_vad()
        if self.missed is not None:
            self.missed.ring.feed(samples)
        self._power_tail = np.concatenate([self._power_tail, samples.astype(np.float32, copy=False)])
        whole = self._power_tail.size // ENERGY_FRAME * ENERGY_FRAME
        if whole:
            frames = self._power_tail[:whole].astype(np.float64).reshape(-1, ENERGY_FRAME)
            self._power.extend(float(x) for x in np.mean(frames**2, axis=1))
            bass, voice = bass_power(frames, SAMPLE_RATE)
            self._bass.extend(float(x) for x in bass)
            self._voice_band.extend(float(x) for x in voice)
            self._power_tail = self._power_tail[whole:]

    def gap(self, ms: int) -> StepResult:
        """``ms`` of audio are missing (the source dropped): commit what is pending, move the clock on."""
        committed = self.agreement.flush()
        self.received_ms += ms
        self.processed_ms = self._idle_at_ms = self.received_ms
        self._buffer = np.zeros(0, np.float32)
        self._buffer_start_ms = self.received_ms
        self._odd_samples = 0
        self._speech.extend([0.0] * (ms // VAD_FRAME_MS))
        self._power.extend([0.0] * (ms // ENERGY_FRAME_MS))
        self._bass.extend([0.0] * (ms // ENERGY_FRAME_MS))
        self._voice_band.extend([0.0] * (ms // ENERGY_FRAME_MS))
        self._power_tail = np.zeros(0, np.float32)
        self._tail = np.zeros(0, np.float32)
        self._vad_context = np.zeros(0, np.float32)
        if self.missed is not None:
            self.missed.ring.gap(ms)
        return StepResult(tuple(committed), sentence_end=True, skipped_ms=ms)

    def _score_vad(self) -> None:
        whole = self._tail.size // VAD_FRAME * VAD_FRAME
        if whole == 0:
            return
        context = min(_VAD_CONTEXT_FRAMES * VAD_FRAME, self._vad_context.size)
        audio = np.concatenate([self._vad_context[self._vad_context.size - context:], self._tail[:whole]])
        if self.vad is not None:
            probs = np.asarray(self.vad(audio), dtype=np.float64).reshape(-1)[context // VAD_FRAME:]
        else:
            probs = np.ones(whole // VAD_FRAME)
        if self.options.phone_share is not None:
            probs = np.where(phone_frames(self._tail[:whole].reshape(-1, VAD_FRAME), SAMPLE_RATE,
                                          self.options.phone_share), 1.0, probs)
        self._speech.extend(float(p) for p in probs)
        self._vad_context = np.concatenate([self._vad_context, self._tail[:whole]])[-_VAD_CONTEXT_FRAMES * VAD_FRAME:]
        self._tail = self._tail[whole:]

    def speech(self, start_ms: int, end_ms: int) -> float:
        """The highest voice-activity probability over a span of the stream (0 where none was scored)."""
        a, b = max(0, start_ms) // VAD_FRAME_MS, max(0, end_ms) // VAD_FRAME_MS + 1
        chunk = self._speech[a:b]
        return max(chunk) if chunk else 0.0

    def energy(self, start_ms: int, end_ms: int) -> float:
        """The RMS level (dBFS) of a span of the stream (the quality filter's silence signal)."""
        a = max(0, start_ms) // ENERGY_FRAME_MS
        b = max(a + 1, -(-max(end_ms, 0) // ENERGY_FRAME_MS))
        chunk = self._power[a:b]
        power = sum(chunk) / len(chunk) if chunk else 0.0
        return 10 * math.log10(power) if power > 1e-12 else -120.0

    def music(self, start_ms: int, end_ms: int, *, music_db: float = QualityOptions.music_bass_db,
              reach_ms: int = QualityOptions.music_reach_ms) -> float:
        """The share of a span's 50 ms frames that lie in music (``quality.music_frames``'s rule, on the frames
        heard so far: a frame's ``reach_ms`` after it may not have come yet)."""
        a = max(0, start_ms) // ENERGY_FRAME_MS
        b = min(max(a + 1, -(-max(end_ms, 0) // ENERGY_FRAME_MS)), len(self._bass))
        if b <= a:
            return 0.0
        k = max(reach_ms // ENERGY_FRAME_MS, 0)
        lo, hi = max(a - k, 0), min(b + k, len(self._bass))
        mask = music_mask(np.asarray(self._bass[lo:hi]), np.asarray(self._voice_band[lo:hi]), music_db, k)
        return float(np.mean(mask[a - lo:b - lo]))

    def speech_ms(self, start_ms: int, end_ms: int) -> int:
        """How much of a span of the stream may be speech (frames at or above the decoding gate's VAD threshold)."""
        a, b = max(0, start_ms) // VAD_FRAME_MS, max(0, end_ms) // VAD_FRAME_MS + 1
        return sum(p >= self.options.gate_vad_threshold for p in self._speech[a:b]) * VAD_FRAME_MS

    def mean_speech(self, start_ms: int, end_ms: int) -> float:
        a, b = max(0, start_ms) // VAD_FRAME_MS, max(max(0, start_ms) // VAD_FRAME_MS + 1, -(-end_ms // VAD_FRAME_MS))
        chunk = self._speech[a:b]
        return float(np.mean(chunk)) if chunk else 0.0

    def _trailing_silence_ms(self) -> int:
        n = 0
        for p in reversed(self._speech):
            if p >= self.options.vad_threshold:
                break
            n += 1
        return n * VAD_FRAME_MS

    @property
    def lag_ms(self) -> int:
        """The audio received and not yet decoded, less a lump that arrived while the engine waited."""
        fresh = self.received_ms - self._idle_at_ms if self._idle_at_ms is not None else 0
        return max(0, self.received_ms - self.processed_ms - fresh)

    @property
    def buffer_end_ms(self) -> int:
        return self._buffer_start_ms + self._buffer.size * 1000 // SAMPLE_RATE

    # ----------------------------------------------------------------- the step

    def step(self) -> StepResult:
        """Decode once if there is enough new speech; commit, trim, and control the lag.

        Lag is what the engine left undecoded, not audio that just arrived in one lump while it waited: an HLS
        source hands over a whole segment at once (6 s by Apple's authoring spec), which is no reason to
        decode cheaper, nor (past ``skip_lag_ms``) to skip it."""
        o = self.options
        lag = self.received_ms - self.processed_ms
        behind = self.lag_ms
        if behind > o.skip_lag_ms:
            return self._skip(lag)
        if lag < o.min_step_ms:
            self._idle_at_ms = self.received_ms
            return self._second_chance() or StepResult(lag_ms=lag)
        end = self.buffer_end_ms
        # A long lump that arrived while the engine waited is heard in two decodes, all but its last min_step
        # first: agreement needs two decodes of a growing buffer, and the second would otherwise wait for the
        # next lump. A backlog the decoder left behind costs no extra decode.
        if self._idle_at_ms is not None and lag >= max(o.split_lump_ms, 2 * o.min_step_ms):
            end -= o.min_step_ms
        self._idle_at_ms = None
        if self.speech_ms(self._buffer_start_ms, end) < o.min_speech_ms:
            return self._no_speech(end, behind)
        cheap = behind > o.cheap_lag_ms
        window = o.cheap_window_ms if cheap else o.max_window_ms
        forced: list[TimedWord] = []
        skipped = 0
        if self._buffer.size > window * SAMPLE_RATE // 1000:
            before = max(self._buffer_start_ms, self.processed_ms)
            forced = self._cut(window)
            skipped = max(0, self._buffer_start_ms - before)  # audio dropped before it was ever decoded
        heard_ms = end - self._buffer_start_ms
        cpu = time.process_time()
        hypothesis, resume = self._hear(o.cheap_beam_size if cheap else o.beam_size, end)
        self.processed_ms = end
        earlier = self.agreement.pending
        committed = forced + self.agreement.insert(self._settle_lead_in(hypothesis), end - o.tail_guard_ms)
        rereads = 0
        if resume is not None and not self.agreement.pending:
            flushed, rereads = self._before_loop(earlier, resume)
            committed += flushed
        # Nothing new heard (or only a loop): restart after the last pause. Not with words pending, even before
        # a loop: cut from under them they could never be confirmed (a phone-band sentence of conversation.mp4
        # whose first word no two decodes spelled alike was lost that way).
        if resume is not None:
            self._drop_until(max(self._buffer_start_ms, self.agreement.committed_end_ms, resume - o.resume_margin_ms))
        elif not committed and not self.agreement.pending:
            self._restart_after_pause()
        sentence_end = bool(committed) and (bool(forced) or ends_sentence(committed[-1]) or rereads > 0)
        if self._trailing_silence_ms() >= o.silence_commit_ms:
            flushed, more = self._flush_at_pause()
            rereads += more
            committed += flushed
            sentence_end = bool(committed)
            self._drop_until(max(self._buffer_start_ms, end - o.silence_commit_ms // 2))
        else:
            self._trim(committed)
        return StepResult(tuple(committed), sentence_end, skipped_ms=skipped, decoded=True, lag_ms=behind, cheap=cheap,
                          decode_cpu_ms=round((time.process_time() - cpu) * 1000), decoded_ms=heard_ms,
                          rereads=rereads)

    def _before_loop(self, earlier: Sequence[TimedWord], resume_ms: int) -> tuple[list[TimedWord], int]:
        """A decode looped from its first words over music, then heard speech at ``resume_ms``: the words before
        such a loop are dropped with it (:meth:`_hear`). Those the decode before heard there are a reply running
        into the music (conv-113 at 57.9 s, "또한 박" 80 ms before 9 s of music, lost live and never a voiced stretch
        for the second chance): they are read again and committed as at a pause (:meth:`_flush_at_pause`)."""
        floor = self.agreement.committed_end_ms
        self.agreement.pending = [w for w in earlier if w.start_ms >= floor and w.end_ms <= resume_ms]
        return self._flush_at_pause()

    def _no_speech(self, end: int, behind: int) -> StepResult:
        """Too little speech to decode up to ``end``: a pause. Commit what is pending, keep a little left context."""
        cpu = time.process_time()
        committed, rereads = self._flush_at_pause()
        self._drop_until(max(self._buffer_start_ms, end - 500))
        self.processed_ms = end
        return StepResult(tuple(committed), sentence_end=bool(committed), decoded=bool(rereads), lag_ms=behind,
                          decode_cpu_ms=round((time.process_time() - cpu) * 1000) if rereads else 0, rereads=rereads)

    def _flush_at_pause(self) -> tuple[list[TimedWord], int]:
        """The speaker paused: commit the pending words, and how many full-window decodes that took. Words no two
        decodes agreed on are heard once more alone (``LiveOptions.reread_unagreed``), and what that reads is
        committed in their place: offline, the rescue reads a short reply so too. Nothing read: they go as they are."""
        pending = self.agreement.pending
        if not pending or self.missed is None or not self.options.reread_unagreed:
            return self.agreement.flush(), 0
        heard, rereads = self._reread(self.missed, pending)
        if not heard:
            return self.agreement.flush(), rereads
        self.agreement.drop_pending()
        return self.agreement.take(heard), rereads

    def _reread(self, missed: MissedVoice, pending: Sequence[TimedWord]) -> tuple[list[TimedWord] | None, int]:
        """The ``pending`` words read once more, and how many decodes that took: with the committed words before
        them when they go on from those (``LiveOptions.reread_context_ms``), else, or when that reading leaves
        less than half their letters past the committed end, alone."""
        agreement, context_ms = self.agreement, self.options.reread_context_ms
        decodes = missed.reread_count + missed.loop_retries  # a reading retried after a loop is one decode more
        if context_ms and agreement.committed_end_ms > self._buffer_start_ms and \
                goes_on(agreement.committed, pending[0], self.options.restart_pause_ms):
            heard = missed.reread(pending, max(self._buffer_start_ms, agreement.committed_end_ms - context_ms))
            if 2 * letter_count(agreement.past_committed(heard or ())) >= letter_count(pending):
                return heard, missed.reread_count + missed.loop_retries - decodes
        heard = missed.reread(pending)
        return heard, missed.reread_count + missed.loop_retries - decodes

    def _second_chance(self, settle_ms: int | None = None) -> StepResult | None:
        """Idle: a settled stretch of voice left without words decoded alone (:class:`~.missed.MissedVoice`),
        what it holds committed as heard; None when there is none."""
        if self.missed is None or (span := self.missed.next_stretch(self, settle_ms)) is None:
            return None
        cpu = time.process_time()
        retries = self.missed.loop_retries
        words = self.missed.hear(span)
        cpu_ms = round((time.process_time() - cpu) * 1000)
        committed = self.agreement.take(words)
        if committed:
            self._drop_until(min(self.buffer_end_ms, max(self._buffer_start_ms, committed[-1].end_ms)))
        return StepResult(tuple(committed), sentence_end=bool(committed), decoded=True, lag_ms=self.lag_ms,
                          decode_cpu_ms=cpu_ms, decoded_ms=span[1] - span[0], rescued=True,
                          rereads=self.missed.loop_retries - retries)

    def finish(self) -> StepResult:
        """The stream ended: decode what is left once more and commit everything, then any voice left without
        words (all audio is settled now)."""
        committed: list[TimedWord] = []
        if self.buffer_end_ms > self.processed_ms and \
                self.speech_ms(self._buffer_start_ms, self.buffer_end_ms) >= self.options.min_speech_ms:
            committed = self.agreement.insert(self._hear(self.options.beam_size, self.buffer_end_ms)[0])
        committed += self._flush_at_pause()[0]
        self.processed_ms = self.received_ms
        while (late := self._second_chance(settle_ms=0)) is not None:
            committed += late.words
        self._drop_until(self.buffer_end_ms)
        return StepResult(tuple(committed), sentence_end=bool(committed), decoded=True)

    def _hear(self, beam_size: int, end_ms: int) -> tuple[list[TimedWord], int | None]:
        """Decode the buffer up to ``end_ms``: the hypothesis, cut where Whisper starts looping or writes words
        that take no time; and where the buffer should restart, if it should.

        A loop from the first new word (already at its second round) is not anchored to any speech: music
        or noise the VAD lets through ("1, 2, 3", "화이팅, 화이팅, 화이팅" over a crowd). None of it commits, nor
        does one word before such a loop: two decodes of the music came out alike ("러버셔라스 랩스 랩스 랩스",
        noisy.mp4 at 63 s) and agreed. Nor does a word or two before a loop with more words after it
        (:func:`~.policy.after_loop`): the buffer restarts just before those words, the speech after the music.
        Either way one word before the loop that goes on from the committed sentence stays (:func:`~.policy.goes_on`:
        a sentence's last words over the music or crowd after it, conversation.mp4 at 9.5 s, conv-103 at 161 s)."""
        audio = self._buffer[: (end_ms - self._buffer_start_ms) * SAMPLE_RATE // 1000]
        heard = cut_collapsed(self._without_unheard_lead(self.decoder(audio, beam_size, self._buffer_start_ms)))
        new = self.agreement.beyond_committed(heard)
        start = loop_start(new, keep=1)
        going = start == 1 and goes_on(self.agreement.committed, new[0], self.options.restart_pause_ms)
        kept = heard[: len(heard) - len(new) + 1] if going else []
        if (resume := after_loop(new)) is not None:
            return kept, new[resume].start_ms
        if start is not None and start <= 1:
            return kept, None
        return cut_tail_repeat(cut_loop(heard)), None

    def _without_unheard_lead(self, heard: list[TimedWord]) -> list[TimedWord]:
        """``heard`` without the words it opens with that take no time (``UNHEARD_MS`` or less) on near-silence
        (mean VAD under ``lead_in_vad``): Whisper wrote them with no voice under them.

        On a short window Whisper often writes the sentence it is about to hear at the window's start, in words
        of no length over the silence before the voice, then hears it for real: "그 바람에 닿.. 그 바람에 닿..",
        fanlive at 14.5 s, first round at 14.54-14.54 s (-61 dBFS, VAD 0.01), second on the voice. Read as a loop
        from the first word, the window restarted after it and the sentence's first words were never captioned."""
        n = 0
        for w in heard:
            if w.end_ms - w.start_ms > UNHEARD_MS or self.mean_speech(w.start_ms, w.end_ms) >= self.options.lead_in_vad:
                break
            n += 1
        return heard[n:]

    def _settle_lead_in(self, heard: list[TimedWord]) -> list[TimedWord]:
        """``heard`` without its first new word, and the pending words without theirs, when the two differ there
        and both lie on near-silence before a voice (``LiveOptions.lead_in_vad``)."""
        new, pending = self.agreement.beyond_committed(heard), self.agreement.pending
        if not new or not pending or common_prefix(pending, new) or not (self._lead_in(new) and self._lead_in(pending)):
            return heard
        self.agreement.pending = pending[1:]
        return [w for w in heard if w is not new[0]]

    def _lead_in(self, words: Sequence[TimedWord]) -> bool:
        if len(words) < 2:
            return False
        first, o = words[0], self.options
        louder = max(self.energy(w.start_ms, w.end_ms) for w in words[1:3])
        return (self.mean_speech(first.start_ms, first.end_ms) < o.lead_in_vad
                and self.energy(first.start_ms, first.end_ms) <= louder - o.lead_in_db)

    def _skip(self, lag: int) -> StepResult:
        log.warning("live captions are %.1f s behind: skipping the backlog", lag / 1000)
        committed = self.agreement.flush()
        keep = self.options.min_step_ms
        self._drop_until(max(self._buffer_start_ms, self.buffer_end_ms - keep))
        skipped = self._buffer_start_ms - max(self.processed_ms, 0)
        self.processed_ms = self._buffer_start_ms
        return StepResult(tuple(committed), sentence_end=True, skipped_ms=max(0, skipped), lag_ms=lag)

    def _restart_after_pause(self) -> None:
        """The decode found no new word (nothing, or a loop from the first word: music or noise the VAD calls
        speech): the buffer restarts at the end of its last pause, so the next decodes see the speech after it
        without the junk before it (the junk made Whisper loop for seconds and hid that speech from the
        agreement: a sentence of noisy.mp4 after music came seconds late)."""
        o = self.options
        start = max(self._buffer_start_ms, self.agreement.committed_end_ms)
        first = -(-start // VAD_FRAME_MS)
        frames = self._speech[first: self.buffer_end_ms // VAD_FRAME_MS]
        need = -(-o.restart_pause_ms // VAD_FRAME_MS)
        i = len(frames)
        while i > 0:
            j = i
            while j > 0 and frames[j - 1] < o.vad_threshold:
                j -= 1
            if i - j >= need:
                break
            i = j - 1
        else:
            return
        pause_end = (first + i) * VAD_FRAME_MS
        self._drop_until(max(start, pause_end - o.restart_pause_ms // 2))

    def _trim(self, committed: Sequence[TimedWord]) -> None:
        o = self.options
        if self.buffer_end_ms - self._buffer_start_ms <= o.trim_ms or not self.agreement.committed:
            return
        ends = [w.end_ms for w in self.agreement.committed if w.end_ms > self._buffer_start_ms and ends_sentence(w)]
        if ends:
            self._drop_until(ends[-1])

    def _cut(self, window_ms: int) -> list[TimedWord]:
        """The buffer is too long: cut at the last committed word, else ``window_ms`` before its end, committing
        the pending words whose audio goes. The others keep their audio and wait for agreement: committed as
        they were, a run of words Whisper heard in music before a sentence was shown (noisy.mp4, 63 s, under lag)."""
        last = self.agreement.committed_end_ms
        if last > self._buffer_start_ms:
            self._drop_until(last)
        forced: list[TimedWord] = []
        if self.buffer_end_ms - self._buffer_start_ms > window_ms:
            cut = self.buffer_end_ms - window_ms
            forced = self.agreement.flush_until(cut)
            self._drop_until(max(self.agreement.committed_end_ms, cut))
        return forced

    def _drop_until(self, ms: int) -> None:
        drop = (ms - self._buffer_start_ms) * SAMPLE_RATE // 1000
        if drop <= 0:
            return
        self._buffer = self._buffer[drop:]
        self._buffer_start_ms += drop * 1000 // SAMPLE_RATE
