"""Stage results kept on disk so an interrupted or failed run resumes without redoing work.

A result is keyed by the input's content hash and every parameter that affects it, so a
changed setting misses the cache and an unchanged one hits it. Files are written atomically:
a run killed mid-write leaves no half-written entry that a later run could trust.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .fsutil import atomic_write_text
from .models import Transcript, Utterance, Word

__all__ = ["StageCache", "file_digest", "transcript_from_dict", "transcript_to_dict"]

log = logging.getLogger("streamkit")
_FORMAT = 1


def file_digest(path: Path, *, chunk: int = 8 * 1024 * 1024) -> str:
    """sha256 of a file's content (streams it: constant memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def transcript_to_dict(t: Transcript) -> dict[str, Any]:
    return {"format": _FORMAT, **asdict(t)}


def transcript_from_dict(d: object) -> Transcript:
    """Rebuild a transcript from its JSON form; ``ValueError`` (or ``KeyError``/``TypeError``) when it is not one."""
    if not isinstance(d, dict):
        raise ValueError(f"not a cache entry (a JSON {type(d).__name__})")
    if d.get("format") != _FORMAT:
        raise ValueError("unknown cache format")
    utterances = tuple(
        Utterance(
            start_ms=u["start_ms"],
            end_ms=u["end_ms"],
            text=u["text"],
            words=tuple(Word(**w) for w in u["words"]),
            avg_logprob=u["avg_logprob"],
            no_speech_prob=u["no_speech_prob"],
            compression_ratio=u["compression_ratio"],
        )
        for u in d["utterances"]
    )
    return Transcript(d["language"], utterances, d["duration_ms"], d["model"], d["task"])


class StageCache:
    """A folder of JSON stage results (``<out>/.streamkit/cache`` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def key(*parts: object) -> str:
        blob = json.dumps([str(p) for p in parts], ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def _path(self, stage: str, key: str) -> Path:
        return self.root / f"{stage}-{key}.json"

    def load_transcript(self, stage: str, key: str) -> Transcript | None:
        path = self._path(stage, key)
        try:
            return transcript_from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # Damaged by hand, by a full disk or by another version: a miss, redone and replaced.
            log.warning("ignoring unreadable cache entry %s (%s: %s)", path, type(exc).__name__, exc)
            return None

    def save_transcript(self, stage: str, key: str, transcript: Transcript) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            text = json.dumps(transcript_to_dict(transcript), ensure_ascii=False)
            atomic_write_text(self._path(stage, key), text)
        except Exception as exc:  # a cache that cannot be written must not fail the run
            log.warning("could not cache the %s result: %s", stage, exc)
