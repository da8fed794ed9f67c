"""Echoed hints: utterances (or runs of names at their ends) that only repeat the recognition hint text."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from ..models import Utterance

# --------------------------------------------------------------------------- echo detection


def _squash_punct(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def _in_order(tokens: Sequence[str], hint_tokens: Sequence[str]) -> bool:
    """``tokens`` appear consecutively, in this order, in the hint list."""
    n = len(tokens)
    return any(list(hint_tokens[i:i + n]) == list(tokens) for i in range(len(hint_tokens) - n + 1))


def _echo_filter(u: Utterance, hint_core: str, hint_set: set[str], hint_tokens: list[str]) -> Utterance | None:
    core = _squash_punct(u.text)
    if not core:
        return u
    if core == hint_core or (len(core) >= 6 and core in hint_core):
        return None
    raw = u.text.split()
    tokens = [_squash_punct(t) for t in raw]
    names = [t in hint_set for t in tokens]
    if all(names):
        if len(tokens) >= 3 or (len(tokens) == 2 and _in_order(tokens, hint_tokens)) or u.no_speech_prob > 0.6:
            return None
        return u
    # a run of hint names glued to real speech at either end
    lead = 0
    while lead < len(tokens) and names[lead]:
        lead += 1
    trail = 0
    while trail < len(tokens) - lead and names[len(tokens) - 1 - trail]:
        trail += 1
    cut_lead = lead if lead >= 3 and _in_order(tokens[:lead], hint_tokens) else 0
    cut_trail = trail if trail >= 3 and _in_order(tokens[len(tokens) - trail:], hint_tokens) else 0
    if not cut_lead and not cut_trail:
        return u
    keep = raw[cut_lead:len(raw) - cut_trail]
    text = " ".join(keep)
    if not text.strip():
        return None
    words = u.words
    if len(words) == len(raw):
        words = words[cut_lead:len(words) - cut_trail]
    else:
        dropped = set(tokens[:cut_lead]) | set(tokens[len(tokens) - cut_trail:])
        words = tuple(w for w in words if _squash_punct(w.text) not in dropped)
    start = words[0].start_ms if words else u.start_ms
    end = words[-1].end_ms if words else u.end_ms
    return dataclasses.replace(u, text=text, words=words, start_ms=max(u.start_ms, start),
                               end_ms=max(max(u.start_ms, start), min(u.end_ms, end)))
