"""Scoring: the evidence that one utterance (or a run of its words) is invented (:func:`_judge`).

The signals and their weights are listed in :mod:`streamkit.quality.options`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..models import Utterance, Word
from .detectors import (
    _counting,
    _laughter,
    _phrase_loop,
    _prompt_echo,
    _repeated,
    _script_mismatch,
    match_outro,
    normalize_text,
    syllables,
)
from .options import Dropped, EnergyFn, QualityOptions, SpeechFn
from .profiles import _span_level
from .voice import fit_voice, voice_in_reach

# --------------------------------------------------------------------------- scoring


@dataclass
class _Piece:
    """An utterance, or a run of its words, being judged."""

    utterance: Utterance
    words: tuple[Word, ...]
    text: str
    start_ms: int
    end_ms: int
    evidence: list[tuple[str, float, str]] = field(default_factory=list)
    #: Fitted mostly onto voice (``voice.fit_voice``): only known invented patterns drop it.
    over_voice: bool = False
    #: A run of words lying in music by their own times (:func:`_sung`), set with the audio evidence.
    sung: bool = False

    def drops(self, o: QualityOptions) -> bool:
        """Whether the evidence drops this piece (over voice: only with a known invented pattern)."""
        if self.score < o.drop_score:
            return False
        return not (self.over_voice or o.assume_voice) or any(
            code in o.pattern_signals for code, w, _ in self.evidence if w > 0)

    def add(self, code: str, weight: float, why: str) -> None:
        if weight:
            self.evidence.append((code, weight, why))

    def has(self, *codes: str) -> bool:
        """Whether any of ``codes`` is among the evidence (whatever its weight)."""
        return any(code in codes for code, _, _ in self.evidence)

    @property
    def score(self) -> float:
        return sum(w for _, w, _ in self.evidence)

    def dropped(self) -> Dropped:
        reason = "; ".join(why for _, w, why in self.evidence if w > 0)
        codes = tuple(dict.fromkeys(code for code, w, _ in self.evidence if w > 0))
        return Dropped(self.start_ms, self.end_ms, self.text, reason, codes)


_Spans = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class _Context:
    options: QualityOptions
    energy: EnergyFn | None
    speech_db: float
    prompt_norm: str
    duration_ms: int
    language: str
    speech: SpeechFn | None = None
    #: The track's voiced stretches (``voice.voiced_stretches``), with both profiles.
    voiced: _Spans = ()
    #: The share of a span's frames lying in music (``profiles.music_frames``), if known.
    music: SpeechFn | None = None
    #: The word spans of the other pieces, when a whole transcript is judged: no piece is fitted onto them.
    taken: _Spans = ()


def _judge(piece: _Piece, ctx: _Context) -> None:
    """Collect the evidence that ``piece`` is invented."""
    o = ctx.options
    u = piece.utterance
    if u.no_speech_prob >= o.no_speech_prob and u.avg_logprob <= o.avg_logprob:
        piece.add("no_speech", o.w_no_speech,
                  f"Whisper's no-speech rule (no-speech {u.no_speech_prob:.2f}, log-prob {u.avg_logprob:.2f})")
    elif u.avg_logprob < o.avg_logprob:
        weight = o.w_very_low_logprob if u.avg_logprob < o.very_low_avg_logprob else o.w_logprob
        piece.add("logprob", weight, f"log-probability {u.avg_logprob:.2f}")
    if u.compression_ratio > o.compression_ratio:
        piece.add("compression", o.w_compression, f"compression ratio {u.compression_ratio:.2f}")

    if piece.words:
        probs = [w.probability for w in piece.words]
        mean = sum(probs) / len(probs)
        if mean < o.very_low_word_probability:
            piece.add("confidence", o.w_very_low_confidence, f"word probability {mean:.2f}")
        elif mean < o.low_word_probability:
            piece.add("confidence", o.w_low_confidence, f"word probability {mean:.2f}")
        if max(probs) < o.confident_word_probability:
            piece.add("confidence", o.w_no_confident_word, f"no word above {o.confident_word_probability:.2f}")
        rushed = sum(
            1 for w in piece.words
            if (w.end_ms - w.start_ms) * o.max_chars_per_second < 1000 * len(normalize_text(w.text) or w.text)
        )
        if rushed * 2 >= len(piece.words):
            piece.add("timing", o.w_timing, "implausible word timing")

    _audio_evidence(piece, ctx)

    outro = match_outro(piece.text, o)
    if outro is not None:
        phrase, strong = outro
        piece.add("outro", o.w_outro if strong else o.w_weak_outro, f"outro phrase {phrase!r}")
        if piece.start_ms < o.edge_ms or (ctx.duration_ms and ctx.duration_ms - piece.end_ms < o.edge_ms):
            piece.add("outro", o.w_edge, "at the recording's start or end")
    if _counting(piece.text):
        piece.add("counting", o.w_counting, "nothing but numbers counted (Whisper's pattern over music)")
    if _laughter(piece.text):
        piece.add("laughter", o.w_laughter, "laughter written as syllables")
    if not piece.has("loop"):
        if _repeated(piece.text, o.repeat_min):
            piece.add("repeat", o.w_repeat, "one word over and over (the start of Whisper's loop)")
        elif _phrase_loop(piece.text, o.phrase_repeat_max_words):
            piece.add("repeat", o.w_phrase_repeat, "a short phrase over and over (Whisper's loop, cut short)")
    if _script_mismatch(piece.text, ctx.language):
        piece.add("script", o.w_script, f"not in the script of {ctx.language!r}")
    if ctx.prompt_norm and _prompt_echo(piece.text, ctx.prompt_norm, o):
        piece.add("prompt_echo", o.w_prompt_echo, "echoes the prompt")


def _audio_evidence(piece: _Piece, ctx: _Context) -> None:
    """Energy and voice-activity evidence, measured where the words fit the voice (``voice.py``).

    With both profiles, the piece's word frames are fitted to the voice within
    ``voice_search_ms`` (Whisper's times can sit seconds off the voice) and measured there; a
    piece mostly on voice is marked ``over_voice``. With one profile, it is measured in place.
    """
    o = ctx.options
    spans = _sounding([(w.start_ms, w.end_ms) for w in piece.words] or [(piece.start_ms, piece.end_ms)], ctx)
    level: float | None = None
    vad: float | None = None
    piece.sung = _sung(piece, spans, ctx)
    if _fitted(ctx):
        assert ctx.energy is not None and ctx.speech is not None
        fit = fit_voice(spans, ctx.energy, ctx.speech, ctx.voiced, replace(o, voice_search_ms=0) if piece.sung else o,
                        ctx.taken)
        level, vad, piece.over_voice = fit.level_db, fit.vad, fit.share >= o.voice_share
        _no_voice(piece, spans, ctx)
    else:
        if ctx.energy is not None:
            level = _span_level(ctx.energy, spans, o.energy_frame_ms)
        if ctx.speech is not None:
            vad = _share(spans, ctx.speech)
    if level is not None:
        below = ctx.speech_db - level
        if level < o.silence_floor_dbfs or below >= o.silence_below_speech_db:
            piece.add("energy", o.w_silence, f"silence under the words ({level:.0f} dBFS, {below:.0f} dB below speech)")
        elif below >= o.quiet_below_speech_db:
            piece.add("energy", o.w_quiet, f"quiet under the words ({below:.0f} dB below speech)")
    if ctx.music is not None and not piece.over_voice:
        share = _share(spans, ctx.music)
        if share >= o.music_share:
            piece.add("music", o.w_music, f"music under the words ({share:.0%} of their time)")
    if vad is not None:
        if vad < o.vad_silent:
            piece.add("vad", o.w_vad_silent, f"no speech for the voice activity detector ({vad:.2f})")
        elif vad < o.vad_doubtful:
            piece.add("vad", o.w_vad_doubtful, f"little speech for the voice activity detector ({vad:.2f})")


def _sung(piece: _Piece, spans: list[tuple[int, int]], ctx: _Context) -> bool:
    """Whether the piece is a run of words lying in music by their own times (two or more, ``music_run_ms`` or
    longer, ``music_share`` of their time in music frames): measured where it is, not fitted to a voice nearby.
    Fitted, the words Whisper read over the music after a line went onto that line's voice and counted as over
    voice (conversation.mp4, live: "어떤 선택을 아닐까 미니슨의 에디슨의", the last two over music at 36.2-37.4 s)."""
    o = ctx.options
    return (ctx.music is not None and len(piece.words) >= 2 and piece.end_ms - piece.start_ms >= o.music_run_ms
            and _share(spans, ctx.music) >= o.music_share)


def _fitted(ctx: _Context) -> bool:
    """Whether pieces are fitted to the voice (both profiles, a search window): ``over_voice`` means something."""
    return ctx.energy is not None and ctx.speech is not None and ctx.options.voice_search_ms > 0


def _share(spans: list[tuple[int, int]], profile: SpeechFn) -> float:
    """``profile``'s mean over ``spans``, each weighed by its length."""
    total = sum(max(b - a, 1) for a, b in spans)
    return sum(profile(a, max(b, a + 1)) * max(b - a, 1) for a, b in spans) / total


def _silence_db(ctx: _Context) -> float | None:
    if ctx.energy is None or ctx.speech_db <= -120:
        return None
    return max(ctx.speech_db - ctx.options.silence_below_speech_db, ctx.options.silence_floor_dbfs)


def _sounding(spans: list[tuple[int, int]], ctx: _Context) -> list[tuple[int, int]]:
    """A piece's word spans without the silent frames at its two ends (a frame at least stays).

    Whisper draws a short reply's words over the silence around it: conv-102 at 77.2 s, "또한 바..."
    over 1.08 s for a voice of 0.55 s between two pauses. Measured with its silent ends, the piece
    was half silence, never mostly on voice, and was dropped as "silence under the words".
    """
    silent = _silence_db(ctx)
    if silent is None:
        return spans
    out = list(spans)
    out[0] = _without_silent_edges(*out[0], silent, ctx, at_start=True, at_end=False)
    out[-1] = _without_silent_edges(*out[-1], silent, ctx, at_start=False, at_end=True)
    return out


def _without_silent_edges(start: int, end: int, silent: float, ctx: _Context, *, at_start: bool,
                          at_end: bool) -> tuple[int, int]:
    """``start``-``end`` without the frames under ``silent`` at the edges asked for (a whole frame at least
    stays: a word with no sound under it at all kept a sliver as short as 1 ms, which the next pass then
    dropped as a word written with no audio under it, though the voice was 0.75 s away)."""
    step = ctx.options.energy_frame_ms
    assert ctx.energy is not None  # a silence level needs one
    was = start, end
    if at_start:
        while end - start > step and ctx.energy(start, start + step) < silent:
            start += step
    if at_end:
        while end - start > step and ctx.energy(end - step, end) < silent:
            end -= step
    if end - start < step <= was[1] - was[0]:
        start, end = (end - step, end) if start > was[0] else (start, start + step)
    return start, end


def _no_voice(piece: _Piece, spans: list[tuple[int, int]], ctx: _Context) -> None:
    """A short unsure piece with nothing that may be a voice within reach (``voice.voice_in_reach``).

    One or two syllables are the easiest text for Whisper to put over music, crowd or noise: a
    syllable it invents, or the first syllable of the next sentence stretched back over the music
    before it. A real short reply between pauses stands out from the sound on one side at least,
    and a confident one is left alone.
    """
    o = ctx.options
    if piece.over_voice or not piece.words or syllables(piece.text) > o.short_max_syllables:
        return
    if max(w.probability for w in piece.words) >= o.short_probability:
        return
    assert ctx.energy is not None and ctx.speech is not None
    if not voice_in_reach(spans, ctx.energy, ctx.speech, ctx.voiced, ctx.duration_ms, o):
        piece.add("no_voice", o.w_no_voice, "a short unsure piece with no voice within reach (music, noise or crowd)")


# --------------------------------------------------------------------------- whole utterances


def _tokens(u: Utterance) -> list[str]:
    return [w.text for w in u.words] if u.words else u.text.split()


def _mean_probability(u: Utterance) -> float:
    return sum(w.probability for w in u.words) / len(u.words) if u.words else 1.0


def _attached(utterances: Sequence[Utterance], anchors: Sequence[bool], pos: int, o: QualityOptions) -> bool:
    """Whether utterance ``pos`` touches (within ``attach_gap_ms``) a neighbour that is an anchor."""
    u = utterances[pos]
    if len(_tokens(u)) > o.attach_max_words:
        return False
    before = pos > 0 and anchors[pos - 1] and u.start_ms - utterances[pos - 1].end_ms <= o.attach_gap_ms
    after = (
        pos + 1 < len(utterances) and anchors[pos + 1] and utterances[pos + 1].start_ms - u.end_ms <= o.attach_gap_ms
    )
    return bool(before or after)


def _next_to_dropped(
    utterances: Sequence[Utterance], drop: Sequence[bool], pos: int, gap_ms: int, island_ms: int
) -> int:
    """1 when dropped text lies within ``gap_ms`` of ``utterances[pos]``; 2 when it is inside an island
    of kept text at most ``island_ms`` long (neighbours within ``gap_ms``) with dropped text on both sides."""

    def near(a: int, b: int) -> bool:
        return utterances[b].start_ms - utterances[a].end_ms <= gap_ms

    lo = pos
    while lo > 0 and not drop[lo - 1] and near(lo - 1, lo):
        lo -= 1
    hi = pos
    while hi + 1 < len(utterances) and not drop[hi + 1] and near(hi, hi + 1):
        hi += 1
    before = lo > 0 and drop[lo - 1] and near(lo - 1, lo)
    after = hi + 1 < len(utterances) and drop[hi + 1] and near(hi, hi + 1)
    if before and after and utterances[hi].end_ms - utterances[lo].start_ms <= island_ms:
        return 2
    return int((lo == pos and before) or (hi == pos and after))


def _evidence_off_voice(piece: _Piece, before: Sequence[Utterance], alone: bool, o: QualityOptions) -> None:
    """Evidence for a piece on no voice, given the runs ``before`` it (the last is next to it) and whether it is a
    segment of its own."""
    if alone and piece.has("counting"):  # a segment alone: counting of its own text (``_judge``), not its segment's
        # Nothing but numbers where no voice is: the rescue read a crowd as "1, 2, 3, 4, 5" (conv-102 1 dB louder).
        # Counted in one segment with a sentence, or on a voice of their own, the numbers stay as they were.
        piece.add("counting", o.w_counting_off_voice, "a segment counted where no voice is (a crowd, music)")
    said = normalize_text(piece.text)
    if len(said) < o.echo_min_chars or not before or piece.start_ms - before[-1].end_ms > o.utterance_loop_gap_ms:
        return
    for k in range(1, len(before) + 1):
        if normalize_text(" ".join(u.text for u in before[-k:])) == said:
            # Whisper's first step into a loop: what it just wrote, once more over the music after it (conv-113).
            piece.add("repeat", o.w_echo, "what was said just before it, again where no voice is")
            return


def _taken(utterances: Sequence[Utterance], pos: int, staying: Sequence[bool],
           reach_ms: int) -> _Spans:
    """The word spans of the utterances other than ``pos`` that stay (``staying``), within ``reach_ms`` of it."""
    u = utterances[pos]
    return tuple((w.start_ms, w.end_ms) for j, v in enumerate(utterances) if j != pos and staying[j]
                 and v.start_ms < u.end_ms + reach_ms and v.end_ms > u.start_ms - reach_ms for w in v.words)


def _judge_run(trimmed: Sequence[Utterance], pos: int, origin: Sequence[int], looped: dict[int, _Spans],
               segment_text: dict[int, str], runs: int, ctx: _Context) -> _Piece:
    """The piece of ``trimmed[pos]`` with all its evidence (``runs``: how many runs its segment was cut into)."""
    o = ctx.options
    u = trimmed[pos]
    piece = _Piece(u, u.words, u.text, u.start_ms, u.end_ms)
    if any(a <= u.end_ms and b >= u.start_ms for a, b in looped.get(origin[pos], ())):
        piece.add("loop", o.w_loop, "was repeated in a loop")
    _judge(piece, ctx)
    if normalize_text(u.text).isdigit() and not _counting(u.text) and _counting(segment_text[origin[pos]]):
        # stress-1 on an AVX-512 machine: "1, 2," over a crowd, dropped, and "3" 2.6 s later, kept (0.9).
        piece.add("counting", o.w_counting, "numbers counted with the rest of its segment")
    if _fitted(ctx) and not piece.over_voice:
        _evidence_off_voice(piece, trimmed[max(0, pos - o.echo_max_runs): pos], runs == 1, o)
    if len(u.words) >= 2 and runs > 1 and piece.has("music"):
        # A singer read in one segment with the line next to it (passes._music_edges): music, cut from speech.
        # One word is no singer (conv-101 sequential: "박근혜" 3 s early over the music before its line).
        piece.add("detached", o.w_music_run, "a run in music, cut from the speech of its segment")
    elif piece.sung and piece.has("music"):
        # The same run read as a segment of its own (live: "중요해서, 분의 영화 타고 있고," over conv-110's music).
        piece.add("detached", o.w_music_run, "a run of words in music for a second or more")
    return piece


def _judge_whole(
    trimmed: Sequence[Utterance], origin: Sequence[int], looped: dict[int, _Spans], ctx: _Context
) -> tuple[list[_Piece], list[bool]]:
    """Whole utterances judged: the pieces, and which of them drop.

    A piece kept only for lying over voice, fitted there from where Whisper put it, is judged again without the voice
    of the pieces that stay: that voice is theirs. The music straight after a line went onto that line's voice and
    counted as over voice (conv-112 at 268.3 s, "너무 좋습니다." at word probability 0.07; conv-107 at 132.8 s,
    "오고, 이만해."). The voice of a piece that goes, or that shows a known invented pattern, is free (conv-115 at
    14.5 s, "고맙습니다." read alone on a phone reply): the reply's own reading ("말씀입니다", 1.2 s late over the
    music) still fits there.

    A fragment glued to confident speech that stays, over audio as loud as speech that the VAD
    calls speech, is a piece of that speech (Whisper cuts segments mid-sentence): that counts
    against dropping it. Invented text comes in clusters over one stretch of music or noise: next
    to dropped text is evidence too, repeated until nothing changes (drops only grow, so this ends).
    """
    o = ctx.options
    segment_text: dict[int, str] = {}  # each decoded segment's text, all its runs together
    for pos, u in enumerate(trimmed):
        segment_text[origin[pos]] = f"{segment_text.get(origin[pos], '')} {u.text}"
    runs_of = Counter(origin)
    pieces = [_judge_run(trimmed, pos, origin, looped, segment_text, runs_of[origin[pos]], ctx)
              for pos in range(len(trimmed))]
    staying = [not p.drops(o) and not p.has(*o.pattern_signals) for p in pieces]
    for pos, piece in enumerate(pieces):
        if piece.over_voice and piece.score >= o.drop_score and staying[pos]:
            taken = _taken(trimmed, pos, staying, o.voice_search_ms)
            if taken:
                pieces[pos] = _judge_run(trimmed, pos, origin, looped, segment_text, runs_of[origin[pos]],
                                         replace(ctx, taken=taken))
    anchors = [not p.drops(o) and _mean_probability(p.utterance) >= o.attach_probability for p in pieces]
    for pos, piece in enumerate(pieces):
        quiet = piece.has("energy", "vad")
        if piece.drops(o) and not quiet and _attached(trimmed, anchors, pos, o):
            piece.add("attached", -o.w_attached, "touches confident speech")
    drop = [p.drops(o) for p in pieces]
    sides = [0] * len(pieces)
    changed = True
    while changed:
        changed = False
        for pos, piece in enumerate(pieces):
            now = 0 if drop[pos] else _next_to_dropped(trimmed, drop, pos, o.cluster_gap_ms, o.island_ms)
            if now <= sides[pos]:
                continue
            # Sequential decoding over music: a run of one-word segments at log-probability -1.9 with
            # an island of two likelier words inside it (noisy.mp4 at 81 s, "브라마", "하인드").
            piece.evidence = [e for e in piece.evidence if e[0] != "cluster"]
            if now == 2:
                piece.add("cluster", o.w_inside_cluster, "between invented text")
            else:
                piece.add("cluster", o.w_cluster, "next to invented text")
            sides[pos] = now
            if piece.drops(o):
                drop[pos] = changed = True
    return pieces, drop
