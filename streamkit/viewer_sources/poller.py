"""The :class:`Poller`: every target at an interval, within the sources' quotas, holding the store's poll lock."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import ConfigError
from ..viewers import ViewerStore, record_samples
from .base import (
    MIN_INTERVAL_S,
    PollTarget,
    QuotaExceededError,
    RateLimitedError,
    SourceAuthError,
    SourceContext,
    SourceError,
    ViewerSource,
    create_source,
)

__all__ = ["PollSummary", "Poller"]

log = logging.getLogger("streamkit")


# --------------------------------------------------------------------------- the poller


@dataclass
class _TargetState:
    target: PollTarget
    source: ViewerSource
    not_before: float = 0.0
    stopped: str = ""


@dataclass
class PollSummary:
    polls: int = 0
    cycles: int = 0
    added: int = 0
    problems: list[str] = field(default_factory=list)
    stopped: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"cycles": self.cycles, "polls": self.polls, "added": self.added, "problems": self.problems,
                "stopped": self.stopped, "interrupted": self.interrupted}


class Poller:
    """Polls every target each ``interval`` seconds and stores what it gets (hooks fire per sample).

    The interval is raised when a source's daily quota could not last a day at it. One target
    failing never stops the others; a target whose credentials are refused is dropped; the
    poller ends when ``count`` cycles or ``duration`` seconds are done, or no target is left.
    """

    def __init__(
        self,
        store: ViewerStore,
        targets: Sequence[PollTarget],
        *,
        interval: float = 60.0,
        sources: Mapping[str, ViewerSource] | None = None,
        context: SourceContext | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        report: Callable[[str], None] | None = None,
    ) -> None:
        if not targets:
            raise ConfigError("nothing to poll", key="target", hint="name at least one --youtube, --twitch, "
                                                                     "--x or --target SOURCE:ID")
        if not interval > 0:
            raise ConfigError(f"interval {interval} must be more than 0 s", key="interval")
        self.store = store
        self._clock = clock
        self._sleep = sleep
        self._report = report or (lambda message: log.info("%s", message))
        made: dict[str, ViewerSource] = dict(sources or {})
        for t in targets:
            if t.source not in made:
                made[t.source] = create_source(t.source, context or SourceContext(clock=clock))
        self.states = [_TargetState(t, made[t.source]) for t in targets]
        self.interval = max(interval, MIN_INTERVAL_S, *(self._quota_interval(s, targets) for s in made.values()))
        if self.interval > interval:
            self._report(f"interval raised from {interval:g} s to {self.interval:g} s to stay within the "
                         "sources' daily quota")

    @staticmethod
    def _quota_interval(source: ViewerSource, targets: Sequence[PollTarget]) -> float:
        if not source.daily_units:
            return 0.0
        calls = sum(1 for t in targets if t.source == source.name)
        return 86400.0 * source.units_per_poll * calls / source.daily_units

    def run(self, *, count: int | None = None, duration: float | None = None) -> PollSummary:
        """Poll until ``count`` cycles / ``duration`` seconds (both ``None``: until Ctrl-C), holding the poll lock."""
        summary = PollSummary()
        with self.store.poll_lock():
            started = self._clock()
            try:
                while True:
                    cycle_start = self._clock()
                    self.cycle(summary)
                    summary.cycles += 1
                    if all(s.stopped for s in self.states):
                        self._report("no target left to poll")
                        break
                    if count is not None and summary.cycles >= count:
                        break
                    next_start = cycle_start + self.interval
                    if duration is not None and next_start - started >= duration:
                        break
                    self._sleep(max(0.0, next_start - self._clock()))
            except KeyboardInterrupt:
                summary.interrupted = True
        return summary

    def cycle(self, summary: PollSummary) -> None:
        """Poll every target that is due once."""
        for state in self.states:
            if state.stopped:
                continue
            now_s = self._clock()
            if now_s < state.not_before:
                continue
            now = datetime.fromtimestamp(now_s, UTC)
            source = state.source
            label = str(state.target)
            if source.daily_units:
                spent = self.store.use_quota(source.name, source.quota_day(now), source.units_per_poll,
                                             source.daily_units)
                if spent is None:
                    state.not_before = now_s + 3600.0
                    summary.problems.append(f"{label}: daily quota of {source.daily_units} units spent; "
                                            "waiting for it to reset")
                    self._report(summary.problems[-1])
                    continue
            summary.polls += 1
            try:
                result = source.poll(state.target, now)
            except SourceAuthError as exc:
                state.stopped = summary.stopped[label] = exc.problem
                summary.problems.append(f"{label}: {exc.problem}; not polled again")
                self._report(summary.problems[-1])
                continue
            except QuotaExceededError as exc:
                state.not_before = now_s + 3600.0
                summary.problems.append(f"{label}: {exc.problem}; next try in an hour")
                self._report(summary.problems[-1])
                continue
            except RateLimitedError as exc:
                state.not_before = now_s + exc.retry_after
                summary.problems.append(f"{label}: {exc.problem}; waiting {exc.retry_after:.0f} s")
                self._report(summary.problems[-1])
                continue
            except SourceError as exc:
                summary.problems.append(f"{label}: {exc.problem}")
                self._report(summary.problems[-1])
                continue
            if result.wait:
                state.not_before = now_s + result.wait
            added = record_samples(self.store, result.samples)
            summary.added += len(added.added)
            values = ", ".join(f"{s.kind} {s.value:,}" for s in result.samples) or "no sample"
            self._report(f"{label}: {values}{'; ' + result.note if result.note else ''}")
