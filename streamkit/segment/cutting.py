"""Cutting tokens into cues (a dynamic programme over each stretch between long pauses), then
merging the cues that cannot be shown long enough with a neighbour.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from .breaks import FORBIDDEN_BREAK_COST, SENTENCE_END, _break_cost
from .layout import _EPS, _arrange, _gap_prefix, _prefix
from .rules import SegmentRules
from .words import _Tokens

#: Cost of every cue (fewer cues are better) and of a cut at an unremarkable word boundary.
CUE_COST = 1.0
CUT_COST = 3.0
#: Bonus for a cut at a pause, reaching its maximum at ``pause_split_ms``.
PAUSE_BONUS = 2.5
#: Bonus for a cut at the end of an utterance (a decoded segment or a translated sentence).
UTTERANCE_END_BONUS = 1.0
#: Weight of the squared empty share of a cue's capacity (prefers full, balanced cues).
FILL_WEIGHT = 0.5
#: A cue narrower than this share of one line, cut off from its neighbours, is an orphan.
ORPHAN_SHARE = 0.3
ORPHAN_COST = 1.5
#: Cost of each second a cue lacks of its reading time before the next word's onset (less the gap). A cue too
#: fast to read is a hard rule error, so a second of it costs what a forbidden break does; the merge pass can
#: join cues only when they fit one, and full two-line cues of a translated sentence never do (fanlive,
#: Whisper's English: "... was admitted to the Ministry | of Public Security ...", 75 characters in 3.47 s).
SPEED_WEIGHT = 10.0
#: And of each such cue: where a sentence's translation is too long for its time, one cue too fast is better than
#: the lack shared out so that every cue is (fanlive: 2 cues at 21.6 characters a second instead of 1).
SHORT_CUE_COST = 2.0
#: Cost of each second a cue hands over to the next as lag (``SegmentRules.max_lag_ms``): when its speech runs on
#: into the next cue's, the next one may come up to that much later (``timing._in_times``). A little late beats
#: two sentences in one cue, the second shown seconds before it is said (conversation.mp4, Whisper's English:
#: "I'm going to put it on the floor. / It's really good." over two phrases 1.6 s apart).
LAG_WEIGHT = 2.0
#: Cost of each second by which a cue shows a sentence after a finished one (an utterance, a decoded segment or a
#: translated sentence, after one ending in ". ? !") before it is said, beyond ``EARLY_GRACE_MS``: it is read
#: ahead of its voice. Not after an unfinished segment: a cue of "그" alone, its sentence in the next (stress-1).
EARLY_WEIGHT = 4.0
EARLY_GRACE_MS = 500


@dataclass(slots=True)
class _Plan:
    """Per-token facts the cutter needs, precomputed once."""

    toks: _Tokens
    rules: SegmentRules
    language: str
    pw: list[float]  # prefix sums of widths
    pc: list[int]  # prefix sums of character counts
    bc: list[float]  # break cost after token k (k < n - 1)
    forced: list[bool]  # a cue must end after token k
    apart: list[bool]  # not even a cue too short to read joins across token k (``merge_pause_ms``)
    gap: list[float]  # width of the space before token k (0 when glued, and for token 0)
    gp: list[float]  # prefix sums of ``gap``
    spaces: list[int]  # prefix counts of the spaces between tokens (what reading speed counts)
    #: The latest a cue ending with token k may stay up: the next token's onset less the gap, or the track's end.
    room_end: list[float]
    gap_ms: int = 0
    #: Token k ends an utterance with ". ? !" (a finished sentence).
    sentence_end: list[bool] = field(default_factory=list)


def _plan(toks: _Tokens, rules: SegmentRules, language: str, gap_ms: int = 0,
          last_limit: float = math.inf) -> _Plan:
    n = len(toks.text)
    pc = [0]
    for t in toks.text:
        pc.append(pc[-1] + len(t))
    bc = [_break_cost(toks.text[k], toks.text[k + 1], language) for k in range(n - 1)]
    forced = [True] * n
    apart = [True] * n
    latest_end = 0
    for k in range(n - 1):
        latest_end = max(latest_end, toks.end[k])
        forced[k] = toks.start[k + 1] - latest_end >= rules.pause_split_ms
        apart[k] = toks.start[k + 1] - latest_end >= rules.merge_pause_ms
    gp = _gap_prefix(toks.glued, rules.narrow_width)
    gap = [b - a for a, b in itertools.pairwise(gp)]
    spaces = [0]
    for k, glued in enumerate(toks.glued):
        spaces.append(spaces[-1] + (0 if k == 0 or glued else 1))
    room_end = [float(toks.start[k + 1] - gap_ms) for k in range(n - 1)] + [last_limit]
    sentence_end = [e and t[-1:] in SENTENCE_END for e, t in zip(toks.utterance_end, toks.text, strict=True)]
    return _Plan(toks, rules, language, _prefix(toks.width), pc, bc, forced, apart, gap, gp, spaces, room_end,
                 gap_ms, sentence_end)


def _fits(plan: _Plan, lo: int, hi: int) -> bool:
    """Whether ``lo..hi`` can be one cue when merging: layout, duration and no pause of ``merge_pause_ms``."""
    rules = plan.rules
    toks = plan.toks
    cols = rules.max_line_columns + _EPS
    lines, line_w, latest = 1, toks.width[lo], toks.end[lo]
    for k in range(lo + 1, hi + 1):
        if plan.apart[k - 1]:
            return False
        if line_w + plan.gap[k] + toks.width[k] <= cols:
            line_w += plan.gap[k] + toks.width[k]
        else:
            lines, line_w = lines + 1, toks.width[k]
            if lines > rules.max_lines:
                return False
        latest = max(latest, toks.end[k])
    return lo == hi or latest - toks.start[lo] <= rules.max_duration_ms


def _mergeable(plan: _Plan, lo: int, hi: int) -> bool:
    """Whether ``lo..hi`` fits one cue without a forbidden line break."""
    if not _fits(plan, lo, hi):
        return False
    starts = _arrange(plan.pw, plan.bc, lo, hi, plan.rules, plan.gp)
    return starts is not None and all(plan.bc[t - 1] < FORBIDDEN_BREAK_COST for t in starts[1:])


def _cut_costs(plan: _Plan, a: int, b: int) -> list[float]:
    """What a cut after each token of ``a..b`` costs: its break cost, less pause and utterance-end bonuses."""
    rules, toks = plan.rules, plan.toks
    cut_cost = [0.0] * (b - a + 1)
    for k in range(a, b):
        pause = toks.start[k + 1] - toks.end[k]
        cost = CUT_COST + plan.bc[k] - PAUSE_BONUS * min(max(pause, 0), rules.pause_split_ms) / rules.pause_split_ms
        if toks.utterance_end[k]:
            cost -= UTTERANCE_END_BONUS
        cut_cost[k - a] = cost
    return cut_cost


def _cut_block(plan: _Plan, a: int, b: int, out: list[tuple[int, int]]) -> None:
    """Cheapest cutting of tokens ``a..b`` (no forced cut inside) into cues, appended to ``out``."""
    rules, toks = plan.rules, plan.toks
    cols, capacity = rules.max_line_columns + _EPS, rules.max_line_columns * rules.max_lines
    orphan_width = rules.max_line_columns * ORPHAN_SHARE
    cut_cost = _cut_costs(plan, a, b)
    # best[k - a + 1]: cheapest cutting of a..k; back[...]: where its last cue starts; lag[...]: what it hands on.
    best, back, lag = [0.0] + [math.inf] * (b - a + 1), [0] * (b - a + 2), [0.0] * (b - a + 2)
    pw, bc, widths, starts, ends = plan.pw, plan.bc, toks.width, toks.start, toks.end
    gap, gp, pc, spaces, room_end, ended = plan.gap, plan.gp, plan.pc, plan.spaces, plan.room_end, plan.sentence_end
    max_lines, max_duration, min_duration = rules.max_lines, rules.max_duration_ms, rules.min_duration_ms
    per_char = 1000 / rules.max_cps
    for i in range(a, b + 1):
        base, delay = best[i - a] + CUE_COST, lag[i - a]
        pc_i, spaces_i = pc[i], spaces[i + 1]
        lines, line_w, width = 1, widths[i], widths[i]
        start, latest, said = starts[i], ends[i], starts[i]
        # For two-line cues: the cheapest line break still possible (first line i..t, t >= t_lo).
        break_min: list[float] = []
        t_lo = i
        for k in range(i, b + 1):
            if k > i:
                w, g = widths[k], gap[k]
                width += g + w
                if line_w + g + w <= cols:
                    line_w += g + w
                else:
                    lines += 1
                    if lines > max_lines:
                        break
                    line_w = w
                    if lines == 2:
                        break_min = _suffix_min(bc[i:k])
                if ends[k] > latest:
                    latest = ends[k]
                    if latest - start > max_duration:
                        break
                if ended[k - 1]:  # a sentence begins at k
                    said = starts[k]
            empty = 1.0 - width / capacity
            cost = base + cut_cost[k - a]
            cost += EARLY_WEIGHT * max(said - start - EARLY_GRACE_MS, 0) / 1000
            if empty > 0.0:
                cost += FILL_WEIGHT * empty * empty
            if lines == 2:
                while pw[k + 1] - pw[t_lo + 1] + gp[k + 1] - gp[t_lo + 2] > cols:
                    t_lo += 1
                if break_min[t_lo - i] > 0.0:
                    cost += break_min[t_lo - i]
            if width < orphan_width and (i > a or k < b):
                cost += ORPHAN_COST
            # What the cue lacks of its reading time, only when it may lack any (room is whole ms): the hot loop.
            need, room = (pc[k + 1] - pc_i + spaces[k + 1] - spaces_i) * per_char, room_end[k] - start - delay
            lacking, handed = _lack_cost(plan, i, k, delay) if need > room or room < min_duration else _NONE
            cost += lacking
            if cost < best[k - a + 1]:
                best[k - a + 1], back[k - a + 1], lag[k - a + 1] = cost, i, handed
    out.extend(_walk_back(back, a, b))


_NONE = (0.0, 0.0)


def _lack_cost(plan: _Plan, i: int, k: int, delay: float) -> tuple[float, float]:
    """What the cue ``i..k``, shown ``delay`` ms late, costs for what it lacks of its reading time: the lag it
    hands over to the next cue (``_lack``) at ``LAG_WEIGHT``, the rest at ``SHORT_CUE_COST`` and ``SPEED_WEIGHT``;
    and that lag."""
    short, handed = _lack(plan, (i, k), delay)
    cost = LAG_WEIGHT * handed / 1000
    if short > 0:
        cost += SHORT_CUE_COST + SPEED_WEIGHT * short / 1000
    return cost, handed


def _suffix_min(values: list[float]) -> list[float]:
    """``out[j] = min(values[j:])``."""
    out = list(values)
    for j in range(len(out) - 2, -1, -1):
        if out[j + 1] < out[j]:
            out[j] = out[j + 1]
    return out


def _walk_back(back: list[int], a: int, b: int) -> list[tuple[int, int]]:
    """The cues of the cheapest cutting of ``a..b``, in order, from where each one's last cue starts."""
    cues: list[tuple[int, int]] = []
    end = b
    while end >= a:
        i = back[end - a + 1]
        cues.append((i, end))
        end = i - 1
    return cues[::-1]


def _cut(plan: _Plan) -> list[tuple[int, int]]:
    groups: list[tuple[int, int]] = []
    a = 0
    for k, forced in enumerate(plan.forced):
        if forced:
            _cut_block(plan, a, k, groups)
            a = k + 1
    return groups


# --------------------------------------------------------------------------- merging


def _need_ms(chars: int, rules: SegmentRules) -> int:
    """How long a cue of ``chars`` characters should stay up: minimum duration and reading speed."""
    return min(rules.max_duration_ms, max(rules.min_duration_ms, math.ceil(chars * 1000 / rules.max_cps)))


def _chars(plan: _Plan, lo: int, hi: int) -> int:
    """The characters of the cue ``lo..hi`` that reading speed counts (the spaces between its words included)."""
    return plan.pc[hi + 1] - plan.pc[lo] + plan.spaces[hi + 1] - plan.spaces[lo + 1]


def _shortfall(plan: _Plan, lo: int, hi: int, delay: float = 0.0) -> float:
    """How many ms the cue ``lo..hi``, shown ``delay`` ms after its first word, lacks of its reading time
    (``_need_ms``) before the next token's onset less the gap (the track's end after the last token); 0 when
    it has room."""
    return max(0.0, _need_ms(_chars(plan, lo, hi), plan.rules) - (plan.room_end[hi] - plan.toks.start[lo] - delay))


def _handover(plan: _Plan, lo: int, hi: int) -> int:
    """How much of its lack the cue ``lo..hi`` may hand over to the next cue as lag: ``max_lag_ms`` when it ends
    an utterance (a decoded segment, a translated sentence) and the next one's speech runs on from the cue's
    (``timing._in_times`` delays the next cue only then), else 0. Not inside an utterance: there the cutter
    would cut anywhere to hand its lack on, where ``_in_times`` gives a cue its time by starting it early."""
    toks = plan.toks
    if hi + 1 >= len(toks.start) or plan.forced[hi] or not toks.utterance_end[hi]:
        return 0
    return plan.rules.max_lag_ms if toks.start[hi + 1] - max(toks.end[lo:hi + 1]) <= plan.gap_ms else 0


def _lack(plan: _Plan, group: tuple[int, int], delay: float) -> tuple[float, float]:
    """What ``group`` shown ``delay`` ms late lacks beyond what it may hand over, and what it hands over."""
    short = _shortfall(plan, group[0], group[1], delay)
    handed = min(short, _handover(plan, *group))
    return short - handed, handed


def _lead_room(plan: _Plan, group: tuple[int, int], prev: tuple[int, int] | None, prev_delay: float) -> float:
    """How much earlier than its first word ``group`` may come up (``timing._in_times``): at most ``max_lead_ms``,
    never before the cue before it has had its reading time and its speech has ended, and the gap; not at all
    when the next cue's first word comes within ``min_visible_ms`` and the gap (that one waits for it anyway)."""
    rules, toks = plan.rules, plan.toks
    after = group[1] + 1
    if after < len(toks.start) and toks.start[after] < toks.start[group[0]] + rules.min_visible_ms + plan.gap_ms:
        return 0.0
    floor = 0.0
    if prev is not None:
        shown = toks.start[prev[0]] + prev_delay + max(_need_ms(_chars(plan, *prev), rules), rules.min_visible_ms)
        floor = max(shown, max(toks.end[prev[0]:prev[1] + 1])) + plan.gap_ms
    return max(0.0, min(float(rules.max_lead_ms), toks.start[group[0]] - floor))


def _lack_after(plan: _Plan, group: tuple[int, int], prev: tuple[int, int] | None, delay: float,
                before: float) -> tuple[float, float]:
    """What ``group``, after the cue ``prev`` (shown ``before`` ms late, handing ``delay`` on to it), lacks beyond
    its lag and, ending a sentence, its lead (``_lead_room``); and the lag it hands over. "그" alone, no sentence,
    stays merged with its sentence."""
    short, handed = _lack(plan, group, delay)
    if short > 0 and not delay and plan.sentence_end[group[1]]:
        short = max(0.0, short - _lead_room(plan, group, prev, before))
    return short, handed


def _merge_short(plan: _Plan, groups: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge cues that cannot be shown long enough with the neighbour that helps most. What a cue may hand over
    to the next as lag (``_handover``), or, ending a sentence, win by coming up early into free time before it
    (``_lead_room``), it does not lack: merged instead, the next sentence would be on screen a second or more
    before it is said."""
    out: list[tuple[int, int]] = []
    handed_on: list[float] = []  # what each cue of ``out`` hands over to the next as lag

    def after(k: int) -> tuple[tuple[int, int] | None, float, float]:
        """What a cue following ``out[:k]`` comes after: the cue before it, its lag, and that cue's own."""
        return (out[k - 1] if k else None, handed_on[k - 1] if k else 0.0, handed_on[k - 2] if k > 1 else 0.0)

    idx = 0
    cur = groups[0]
    while True:
        k = len(out)
        short, handed = _lack_after(plan, cur, *after(k))
        if short > 0:
            gain_next = gain_prev = 0.0
            if idx + 1 < len(groups) and _mergeable(plan, cur[0], groups[idx + 1][1]):
                nxt = groups[idx + 1]
                next_short = _lack_after(plan, nxt, cur, handed, after(k)[1])[0]
                gain_next = short + next_short - _lack_after(plan, (cur[0], nxt[1]), *after(k))[0]
            if out and _mergeable(plan, out[-1][0], cur[1]):
                prev = out[-1]
                gain_prev = (_lack_after(plan, prev, *after(k - 1))[0] + short
                             - _lack_after(plan, (prev[0], cur[1]), *after(k - 1))[0])
            if gain_next > 0 and gain_next >= gain_prev:
                idx += 1
                cur = (cur[0], groups[idx][1])
                continue
            if gain_prev > 0:
                cur = (out.pop()[0], cur[1])
                handed_on.pop()
                continue
        out.append(cur)
        handed_on.append(handed)
        idx += 1
        if idx >= len(groups):
            return out
        cur = groups[idx]
