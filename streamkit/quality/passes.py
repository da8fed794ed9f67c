"""The passes of :func:`clean_transcript`: loops collapsed, utterances cut into runs at long pauses,
lead-ins and tails, whole utterances judged (with the attached and cluster rules), kept runs
retimed and put back together, repeated until nothing changes; and :func:`dropped_summary`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..models import Transcript, Utterance, Word
from .detectors import find_loops, normalize_text, stutters, timeless_runs
from .options import Dropped, EnergyFn, QualityOptions, SpeechFn
from .profiles import _speech_level
from .retime import _plausible_start, _retime
from .scoring import _Context, _judge, _judge_whole, _Piece, _tokens
from .voice import phone_stretches, voiced_stretches, without_music_runs

log = logging.getLogger("streamkit")

# --------------------------------------------------------------------------- the passes


def keep_words(u: Utterance, keep: Sequence[int]) -> Utterance | None:
    """``u`` with only the tokens at ``keep`` (word indexes, or text token indexes without words)."""
    if u.words:
        words = tuple(u.words[i] for i in keep)
        if not words:
            return None
        if len(words) == len(u.words):
            return u
        return replace(u, words=words, text=" ".join(w.text for w in words),
                       start_ms=words[0].start_ms, end_ms=max(w.end_ms for w in words))
    tokens = u.text.split()
    kept = [tokens[i] for i in keep]
    if not kept:
        return None
    if len(kept) == len(tokens):
        return u
    return replace(u, text=" ".join(kept))


def _span_text(u: Utterance, idx: Sequence[int]) -> str:
    toks = _tokens(u)
    return " ".join(toks[i] for i in idx)


def _without_stutters(u: Utterance, o: QualityOptions, dropped: list[Dropped]) -> Utterance | None:
    """``u`` without the words Whisper looped within (a unit said ``o.stutter_repeats`` times in a row), each
    dropped as a loop; None when no word is left."""
    gone = [i for i, w in enumerate(u.words) if stutters(w.text, o.stutter_repeats)]
    if not gone:
        return u
    for i in gone:
        w = u.words[i]
        dropped.append(Dropped(w.start_ms, w.end_ms, w.text, "looped within a word", ("loop",)))
    return keep_words(u, [i for i in range(len(u.words)) if i not in gone])


def _collapse_loops(
    utterances: Sequence[Utterance], o: QualityOptions, dropped: list[Dropped]
) -> tuple[list[Utterance], dict[int, tuple[tuple[int, int], ...]]]:
    """Collapse loops inside utterances and across identical consecutive ones.

    Returns the utterances and, for each position (in the returned list) that held a loop, the
    time spans of what is left of its loops (so a run of a long utterance is told only about the
    loop it holds).
    """
    out: list[Utterance] = []
    looped: dict[int, tuple[tuple[int, int], ...]] = {}
    # The kept head of an utterance loop: (position in ``out``, normalized text, last repeat's end).
    head: tuple[int, str, int] | None = None
    for whole in utterances:
        u = _without_stutters(whole, o, dropped)
        if u is None:
            continue
        toks = _tokens(u)
        loops = find_loops(toks, min_repeats=o.loop_min_repeats, max_unit=o.loop_max_unit)
        kept_spans: tuple[tuple[int, int], ...] = ()
        if loops:
            kept_spans = tuple(_idx_span(u, list(range(lp.start, lp.start + lp.unit))) for lp in loops)
            drop_idx: set[int] = set()
            for lp in loops:
                idx = list(range(lp.start + lp.unit, lp.end))
                drop_idx.update(idx)
                a, b = _idx_span(u, idx)
                dropped.append(Dropped(a, b, _span_text(u, idx), f"looped repetition ({lp.repeats} times)", ("loop",)))
            rebuilt = keep_words(u, [i for i in range(len(toks)) if i not in drop_idx])
            assert rebuilt is not None  # the first occurrence of every loop stays
            u = rebuilt
        key = normalize_text(u.text)
        if head is not None and head[0] == len(out) - 1 and key == head[1] and (
            u.start_ms - head[2] <= o.utterance_loop_gap_ms
        ):
            dropped.append(Dropped(u.start_ms, u.end_ms, u.text, f"looped repetition of {u.text!r}", ("loop",)))
            head = (head[0], key, u.end_ms)
            continue
        run = _identical_run(out, u, o)
        if key and run + 1 >= o.utterance_loop_repeats:
            first = len(out) - run
            for extra in [*out[first + 1 :], u]:
                dropped.append(Dropped(extra.start_ms, extra.end_ms, extra.text,
                                       f"looped repetition of {extra.text!r}", ("loop",)))
            del out[first + 1 :]
            looped = {i: spans for i, spans in looped.items() if i < first}
            looped[first] = ((out[first].start_ms, out[first].end_ms),)
            head = (first, key, u.end_ms)
            continue
        if loops:
            looped[len(out)] = kept_spans
        out.append(u)
    return out, looped


def _drop_timeless(
    utterances: Sequence[Utterance], looped: dict[int, tuple[tuple[int, int], ...]], o: QualityOptions,
    dropped: list[Dropped],
) -> tuple[list[Utterance], dict[int, tuple[tuple[int, int], ...]]]:
    """``utterances`` without words written with no audio under them (``detectors.timeless_runs``)."""
    out: list[Utterance] = []
    moved: dict[int, tuple[tuple[int, int], ...]] = {}
    for pos, u in enumerate(utterances):
        gone = set(timeless_runs(u.words, run=o.timeless_run, max_ms=o.timeless_ms)) if o.timeless_run else set()
        if gone:
            idx = sorted(gone)
            dropped.append(Dropped(*_idx_span(u, idx), _span_text(u, idx),
                                   "words that take no time (written with no audio under them)", ("timeless",)))
        kept = keep_words(u, [i for i in range(len(u.words)) if i not in gone]) if gone else u
        if kept is not None:
            if pos in looped:
                moved[len(out)] = looped[pos]
            out.append(kept)
    return out, moved


def _idx_span(u: Utterance, idx: Sequence[int]) -> tuple[int, int]:
    if u.words and idx:
        ws = [u.words[i] for i in idx]
        return ws[0].start_ms, max(w.end_ms for w in ws)
    return u.start_ms, u.end_ms


def _identical_run(out: Sequence[Utterance], u: Utterance, o: QualityOptions) -> int:
    """How many utterances at the end of ``out`` are identical to ``u`` and close in time to it."""
    key = normalize_text(u.text)
    count = 0
    nxt = u
    for prev in reversed(out):
        if normalize_text(prev.text) != key or nxt.start_ms - prev.end_ms > o.utterance_loop_gap_ms:
            break
        count += 1
        nxt = prev
    return count


def _edge_runs(u: Utterance, o: QualityOptions) -> list[tuple[str, list[int]]]:
    """Leading / trailing low-probability runs detached from a confident rest by a pause.

    The run ends at the last pause of at least ``lead_in_pause_ms`` inside the utterance's
    low-probability prefix (the invented words, then the speech's own first, often uncertain,
    words); a tail run starts at the first such pause inside the low-probability suffix.
    """
    words = u.words
    n = len(words)
    runs: list[tuple[str, list[int]]] = []
    if n < o.lead_in_min_words + 1:
        return runs
    low = [w.probability < o.lead_in_word_probability for w in words]
    prefix = 0
    while prefix < n and low[prefix]:
        prefix += 1
    suffix = 0
    while suffix < n and low[n - 1 - suffix]:
        suffix += 1

    def gap(i: int) -> int:  # pause after word i
        return words[i + 1].start_ms - words[i].end_ms

    def qualifies(idx: list[int], rest: list[int]) -> bool:
        if len(idx) < o.lead_in_min_words or not rest:
            return False
        mean = sum(words[i].probability for i in idx) / len(idx)
        rest_mean = sum(words[i].probability for i in rest) / len(rest)
        return mean < o.lead_in_mean and rest_mean >= o.lead_in_rest

    lead_end = 0
    for i in range(min(prefix, n - 1) - 1, -1, -1):
        if gap(i) >= o.lead_in_pause_ms:
            idx = list(range(i + 1))
            if qualifies(idx, list(range(i + 1, n))):
                runs.append(("lead", idx))
                lead_end = i + 1
            break
    for i in range(max(n - suffix, 1), n):
        if i - 1 >= lead_end and gap(i - 1) >= o.lead_in_pause_ms:
            idx = list(range(i, n))
            if qualifies(idx, list(range(lead_end, i))):
                runs.append(("tail", idx))
            break
    return runs


def _counted_runs(
    u: Utterance, o: QualityOptions, runs: Sequence[tuple[str, list[int]]]
) -> list[tuple[str, list[int]]]:
    """A lead-in or tail of two or more bare numbers detached from the rest by a pause of ``lead_in_pause_ms``,
    on no word of a run :func:`_edge_runs` found, and never every word: Whisper counting over
    the music next to a sentence, judged on its own (conv-106 at 58.3 s: "…적용하는 굿." then "1, 2, 3, 5, 1," over
    the music after it, some of its numbers confident, then the loop of "1," that ran for 55 s; kept with the
    sentence, it also hid the voice after the music from the rescue)."""
    words, n = u.words, len(u.words)
    number = [normalize_text(w.text).isdigit() for w in words]
    found: list[tuple[str, list[int]]] = []
    head = next((i for i, x in enumerate(number) if not x), n)
    if head >= 2 and head < n and words[head].start_ms - words[head - 1].end_ms >= o.lead_in_pause_ms:
        found.append(("lead", list(range(head))))
    tail = next((n - i for i, x in enumerate(reversed(number)) if not x), 0)
    if n - tail >= 2 and tail > head and words[tail].start_ms - words[tail - 1].end_ms >= o.lead_in_pause_ms:
        found.append(("tail", list(range(tail, n))))
    used = {i for _, idx in runs for i in idx}  # a run found already at an edge holds that edge's word
    out = []
    for kind, idx in found:  # never over a run found already, and never every word (the rest stays)
        if not used & set(idx) and len(used | set(idx)) < n:
            used |= set(idx)
            out.append((kind, idx))
    return out


def _split_runs(u: Utterance, ctx: _Context) -> list[Utterance]:
    """``u`` cut at every pause of at least ``split_pause_ms`` between its words (else ``[u]``), and after a
    sentence's end at a pause of ``sentence_split_pause_ms`` before at least ``sentence_split_min_words`` words.

    The pause is measured to the next word's plausible start, and a run's first word shrinks to
    it: that is what :func:`_retime` would make of it, and it keeps a word Whisper stretched over
    seconds of music from gluing the run before it to the speech after. A sentence that ends before a
    pause does not vouch for what follows it: conv-101 at 10.5 s, "…공개한다는 방침이다." then 1.4 s of
    silence and 15 words over a music bed ("하라이마모," three times), kept as one piece with the sentence.
    Words lying in music are cut from the words next to them that do not (:func:`_music_edges`).
    A short reply after a sentence stays with it (its words outlast its voice, so alone it would read as
    off the voice: "물론 십 대" in conversation.mp4).
    """
    o, words = ctx.options, u.words
    if o.split_pause_ms <= 0 or len(words) < 2:
        return [u]
    pauses, latest = [0], words[0].end_ms  # the pause before each word
    for i in range(1, len(words)):
        pauses.append(_plausible_start(u, i, ctx) - latest)
        latest = max(latest, words[i].end_ms)

    def run_after(i: int) -> int:  # words from ``i`` to the next pause a sentence's end may be cut at
        return next((j for j in range(i + 1, len(words)) if pauses[j] >= o.sentence_split_pause_ms), len(words)) - i

    cuts = sorted({i for i in range(1, len(words)) if pauses[i] >= o.split_pause_ms or (
        pauses[i] >= o.sentence_split_pause_ms and words[i - 1].text.endswith((".", "?", "!"))
        and run_after(i) >= o.sentence_split_min_words)} | set(_music_edges(words, ctx)))
    if not cuts:
        return [u]
    runs = []
    for a, b in itertools.pairwise([0, *cuts, len(words)]):
        ws = list(words[a:b])
        if a > 0 and (start := _plausible_start(u, a, ctx)) != ws[0].start_ms:
            ws[0] = replace(ws[0], start_ms=start)
        runs.append(replace(u, words=tuple(ws), text=" ".join(w.text for w in ws), start_ms=ws[0].start_ms,
                            end_ms=max(w.end_ms for w in ws)))
    return runs


def _music_edges(words: Sequence[Word], ctx: _Context) -> list[int]:
    """Where a run of words lying in music meets words that do not: a singer read in one segment with the
    line next to it (conv-109 at 216.2 s: 8 s of the singer, then "많이 쓴다고 돈 더 ..."), judged apart."""
    o, music = ctx.options, ctx.music
    if music is None or o.music_run_ms <= 0:
        return []
    inside = [music(w.start_ms, max(w.end_ms, w.start_ms + 1)) >= 0.5 for w in words]
    cuts: set[int] = set()
    for is_music, group in itertools.groupby(range(len(words)), key=lambda i: inside[i]):
        idx = list(group)
        if is_music and len(idx) >= 2 and words[idx[-1]].end_ms - words[idx[0]].start_ms >= o.music_run_ms:
            cuts.update(i for i in (idx[0], idx[-1] + 1) if 0 < i < len(words))
    return sorted(cuts)


def _join_runs(kept: Sequence[Utterance], origin: Sequence[int], utterances: Sequence[Utterance]) -> list[Utterance]:
    """The kept runs put back together, one utterance per original one (the original if unchanged)."""
    out: list[Utterance] = []
    for i, group in itertools.groupby(zip(origin, kept, strict=True), key=lambda item: item[0]):
        runs = [run for _, run in group]
        u = utterances[i]
        words = tuple(w for run in runs for w in run.words)
        if len(runs) == 1:
            out.append(runs[0])
        elif words == u.words:
            out.append(u)
        else:
            # Whisper's own text while every word is there (only times shrank), else the words'.
            text = u.text if len(words) == len(u.words) else " ".join(w.text for w in words)
            start = runs[0].start_ms
            out.append(replace(u, words=words, text=text, start_ms=start,
                               end_ms=max(start, max(run.end_ms for run in runs))))
    return out


def _merge_dropped(parts: Sequence[Dropped]) -> Dropped:
    """Several dropped runs of one utterance as one piece: its whole text, every reason."""
    reasons = dict.fromkeys(r for d in parts for r in d.reason.split("; "))
    signals = dict.fromkeys(code for d in parts for code in d.signals)
    return Dropped(min(d.start_ms for d in parts), max(d.end_ms for d in parts), " ".join(d.text for d in parts),
                   "; ".join(reasons), tuple(signals))


def _runs(utterances: Sequence[Utterance], ctx: _Context) -> tuple[list[Utterance], list[int]]:
    """Every utterance cut at its long pauses, and each run's utterance (its ``origin``).

    A batched segment is a whole VAD chunk, up to 30 s: sentences with music between them. Each
    run is judged as an utterance of its own and the kept runs are put back together at the end.
    """
    runs: list[Utterance] = []
    origin: list[int] = []
    for i, u in enumerate(utterances):
        for run in _split_runs(u, ctx):
            runs.append(run)
            origin.append(i)
    return runs, origin


def _trim_edges(
    runs: Sequence[Utterance], origin: Sequence[int], looped: dict[int, tuple[tuple[int, int], ...]], ctx: _Context,
    dropped: list[Dropped],
) -> list[Utterance]:
    """Lead-in / tail runs judged on their own; the rest of each utterance stays. A run holding what is
    left of a loop carries the loop's evidence (conv-101: a sentence, then over a music bed with a
    reversed "singer" six unsure words running into "흥난리" said 40 times)."""
    o = ctx.options
    trimmed: list[Utterance] = []
    for pos, u in enumerate(runs):
        drop_idx: set[int] = set()
        edges = _edge_runs(u, o)
        for what, (_, idx) in [*(("low-confidence run", r) for r in edges),
                               *(("count", r) for r in _counted_runs(u, o, edges))]:
            ws = tuple(u.words[i] for i in idx)
            piece = _Piece(u, ws, " ".join(w.text for w in ws), ws[0].start_ms, max(w.end_ms for w in ws))
            piece.add("detached", o.w_detached, f"{what} detached from the speech by a pause")
            if any(a <= piece.end_ms and b >= piece.start_ms for a, b in looped.get(origin[pos], ())):
                piece.add("loop", o.w_loop, "runs into a loop")
            _judge(piece, ctx)
            if piece.drops(o):
                drop_idx.update(idx)
                dropped.append(piece.dropped())
        rebuilt = keep_words(u, [i for i in range(len(u.words)) if i not in drop_idx]) if drop_idx else u
        assert rebuilt is not None  # the confident rest stays
        trimmed.append(rebuilt)
    return trimmed


def _kept(
    pieces: Sequence[_Piece], drop: Sequence[bool], origin: Sequence[int], ctx: _Context, dropped: list[Dropped]
) -> tuple[list[Utterance], list[int]]:
    """The kept pieces retimed (and their origins); the dropped reported (an utterance run by run as one)."""
    kept: list[Utterance] = []
    kept_origin: list[int] = []
    gone_runs: dict[int, list[Dropped]] = {}
    for pos, (piece, gone) in enumerate(zip(pieces, drop, strict=True)):
        if gone:
            gone_runs.setdefault(origin[pos], []).append(piece.dropped())
        else:
            kept.append(piece.utterance)
            kept_origin.append(origin[pos])
    for i, parts in gone_runs.items():
        whole = len(parts) > 1 and len(parts) == list(origin).count(i)
        dropped.extend([_merge_dropped(parts)] if whole else parts)
    gap = ctx.options.attach_gap_ms
    retimed = [
        _retime(u, ctx, keep_start=i > 0 and u.start_ms - kept[i - 1].end_ms <= gap,
                keep_end=i + 1 < len(kept) and kept[i + 1].start_ms - u.end_ms <= gap)
        for i, u in enumerate(kept)
    ]
    return retimed, kept_origin


def _pass(
    transcript: Transcript, o: QualityOptions, energy: EnergyFn | None, prompt: str | None, speech: SpeechFn | None,
    band: SpeechFn | None = None, music: SpeechFn | None = None,
) -> tuple[Transcript, list[Dropped]]:
    """One pass of :func:`clean_transcript`."""
    dropped: list[Dropped] = []
    utterances, looped = _collapse_loops(transcript.utterances, o, dropped)
    utterances, looped = _drop_timeless(utterances, looped, o, dropped)
    speech_db = _speech_level(utterances, energy, o) if energy is not None else -120.0
    voiced = voiced_stretches(energy, speech, transcript.duration_ms, speech_db, o) if energy and speech else []
    if music is not None:  # a singer between two pauses stands out too, and the VAD hears it
        voiced = [part for g in voiced if music(*g) < o.music_share for part in without_music_runs(g, music, o)]
    if energy and band:  # a phone line need not stand out from its sides (one straight before music)
        phone = phone_stretches(energy, band, transcript.duration_ms, speech_db, o, o.phone_share)
        voiced = sorted({*voiced, *phone})
    ctx = _Context(o, energy, speech_db, normalize_text(prompt or ""), transcript.duration_ms, transcript.language,
                   speech, tuple(voiced), music)
    runs, origin = _runs(utterances, ctx)
    trimmed = _trim_edges(runs, origin, looped, ctx, dropped)
    pieces, drop = _judge_whole(trimmed, origin, looped, ctx)
    kept, kept_origin = _kept(pieces, drop, origin, ctx, dropped)
    # Keep the transcript's time order (trimming only moves starts later).
    ordered: list[Utterance] = []
    previous = 0
    for u in _join_runs(kept, kept_origin, utterances):
        if u.start_ms < previous:
            u = replace(u, start_ms=previous, end_ms=max(u.end_ms, previous))
        previous = u.start_ms
        ordered.append(u)
    if len(ordered) == len(transcript.utterances) and all(a is b for a, b in zip(ordered, transcript.utterances,
                                                                                 strict=True)):
        return transcript, dropped
    return replace(transcript, utterances=tuple(ordered)), dropped


def clean_transcript(
    transcript: Transcript,
    options: QualityOptions | None = None,
    *,
    energy: EnergyFn | None = None,
    prompt: str | None = None,
    speech: SpeechFn | None = None,
    band: SpeechFn | None = None,
    music: SpeechFn | None = None,
) -> tuple[Transcript, tuple[Dropped, ...]]:
    """``transcript`` without invented text, loops and edge timing over silence; what was dropped.

    Pure: the same input gives the same output; kept words keep their text and order (their
    times may only shrink), and nothing is added. ``energy`` (see :func:`energy_profile`) enables
    the silence signal and the edge trimming; ``speech`` (see :func:`vad_profile`) the voice
    activity signal; ``band`` (see :func:`band_profile`) voice on a telephone line (the VAD hears it
    poorly: pass ``speech`` through :func:`phone_voice` too); ``music`` (see :func:`music_frames`) the frames
    that lie in music: a stretch lying in them is no voice, though the VAD hears a singer there, and a piece off
    the voice lying in them is weighed as music; ``prompt`` (the initial prompt and hotwords given to Whisper) the
    prompt-echo signal.
    """
    o = options or QualityOptions()
    dropped: list[Dropped] = []
    result = transcript
    # One pass can expose more (three identical utterances once the one between them is gone):
    # repeat until nothing changes, so cleaning a cleaned transcript changes nothing. Every
    # pass that changes something removes a word or shrinks a span, so this ends.
    for _ in range(sum(len(u.words) or 1 for u in transcript.utterances) + 2):
        cleaned, more = _pass(result, o, energy, prompt, speech, band, music)
        dropped.extend(more)
        if cleaned == result:
            break
        result = cleaned
    dropped.sort(key=lambda d: (d.start_ms, d.end_ms))
    for d in dropped:
        log.info("dropped %d-%d ms %r: %s", d.start_ms, d.end_ms, d.text, d.reason)
    return result, tuple(dropped)


def dropped_summary(dropped: Sequence[Dropped]) -> dict[str, Any]:
    """What the run summary shows: how many pieces were dropped, by signal, and each one."""
    by_signal: dict[str, int] = {}
    for d in dropped:
        for code in d.signals:
            by_signal[code] = by_signal.get(code, 0) + 1
    return {
        "count": len(dropped),
        "by_signal": dict(sorted(by_signal.items())),
        "items": [
            {"start_ms": d.start_ms, "end_ms": d.end_ms, "text": d.text, "reason": d.reason,
             "signals": list(d.signals)}
            for d in dropped
        ],
    }
