"""Cutting tokens into cues (a dynamic programme over each stretch between long pauses), then
merging the cues that cannot be shown long enough with a neighbour.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from .breaks import FORBIDDEN_BREAK_COST, _break_cost
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
    return _Plan(toks, rules, language, _prefix(toks.width), pc, bc, forced, apart, gap, gp, spaces, room_end)


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
    # best[k - a + 1]: cheapest cutting of a..k; back[...]: where its last cue starts.
    best, back = [0.0] + [math.inf] * (b - a + 1), [0] * (b - a + 2)
    pw, bc, widths, starts, ends = plan.pw, plan.bc, toks.width, toks.start, toks.end
    gap, gp, pc, spaces, room_end = plan.gap, plan.gp, plan.pc, plan.spaces, plan.room_end
    max_lines, max_duration, min_duration = rules.max_lines, rules.max_duration_ms, rules.min_duration_ms
    per_char = 1000 / rules.max_cps
    for i in range(a, b + 1):
        base = best[i - a] + CUE_COST
        pc_i, spaces_i = pc[i], spaces[i + 1]
        lines, line_w, width = 1, widths[i], widths[i]
        start, latest = starts[i], ends[i]
        # For two-line cues: the cheapest line break still possible (first line i..t, t >= t_lo).
        break_min: list[float] = []
        t_lo = i
        for k in range(i, b + 1):
            if k > i:
                w = widths[k]
                g = gap[k]
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
            empty = 1.0 - width / capacity
            cost = base + cut_cost[k - a]
            if empty > 0.0:
                cost += FILL_WEIGHT * empty * empty
            if lines == 2:
                while pw[k + 1] - pw[t_lo + 1] + gp[k + 1] - gp[t_lo + 2] > cols:
                    t_lo += 1
                if break_min[t_lo - i] > 0.0:
                    cost += break_min[t_lo - i]
            if width < orphan_width and (i > a or k < b):
                cost += ORPHAN_COST
            # What the cue lacks of its reading time and minimum duration. ``_shortfall`` is called only when the
            # cue may lack any (room is whole ms, so ``need <= room`` means the rounded-up need fits): the hot loop.
            need, room = (pc[k + 1] - pc_i + spaces[k + 1] - spaces_i) * per_char, room_end[k] - start
            if (need > room or room < min_duration) and (short := _shortfall(plan, i, k)) > 0:
                cost += SHORT_CUE_COST + SPEED_WEIGHT * short / 1000
            if cost < best[k - a + 1]:
                best[k - a + 1] = cost
                back[k - a + 1] = i
    out.extend(_walk_back(back, a, b))


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


def _shortfall(plan: _Plan, lo: int, hi: int) -> float:
    """How many ms the cue ``lo..hi`` lacks of its reading time (``_need_ms``) before the next token's onset
    less the gap (the track's end after the last token); 0 when it has room."""
    chars = plan.pc[hi + 1] - plan.pc[lo] + plan.spaces[hi + 1] - plan.spaces[lo + 1]
    return max(0.0, _need_ms(chars, plan.rules) - (plan.room_end[hi] - plan.toks.start[lo]))


def _merge_short(plan: _Plan, groups: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge cues that cannot be shown long enough with the neighbour that helps most."""
    out: list[tuple[int, int]] = []
    idx = 0
    cur = groups[0]
    while True:
        short = _shortfall(plan, *cur)
        if short > 0:
            gain_next = gain_prev = 0.0
            if idx + 1 < len(groups) and _mergeable(plan, cur[0], groups[idx + 1][1]):
                nxt = groups[idx + 1]
                gain_next = short + _shortfall(plan, *nxt) - _shortfall(plan, cur[0], nxt[1])
            if out and _mergeable(plan, out[-1][0], cur[1]):
                prev = out[-1]
                gain_prev = _shortfall(plan, *prev) + short - _shortfall(plan, prev[0], cur[1])
            if gain_next > 0 and gain_next >= gain_prev:
                idx += 1
                cur = (cur[0], groups[idx][1])
                continue
            if gain_prev > 0:
                cur = (out.pop()[0], cur[1])
                continue
        out.append(cur)
        idx += 1
        if idx >= len(groups):
            return out
        cur = groups[idx]
