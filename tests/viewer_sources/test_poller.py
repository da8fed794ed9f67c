"""The poller: every target each round, quotas, back-off, refused targets, duration."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.errors import ConfigError
from streamkit.viewer_sources import (
    Poller,
    PollTarget,
)
from streamkit.viewers import ViewerStore

from .fakes import (
    NOW,
    FakePlatforms,
)

# --------------------------------------------------------------------------- the poller


class FakeClock:
    def __init__(self) -> None:
        self.now = NOW.timestamp()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_poller_stores_every_target_each_round_and_fires_hooks(platforms: FakePlatforms, tmp_path: Path) -> None:
    clock = FakeClock()
    targets = [PollTarget("youtube", "live123", "decade-live"), PollTarget("twitch", "decadelive", "decade-live"),
               PollTarget("x", "1790000000000000000", "decade-live")]
    lines: list[str] = []
    with ViewerStore(tmp_path / "v.sqlite") as store:
        poller = Poller(store, targets, interval=30, clock=clock, sleep=clock.sleep, report=lines.append)
        summary = poller.run(count=3)
        samples = store.samples()
    assert summary.cycles == 3 and summary.polls == 9 and summary.added == 12 and not summary.problems
    assert clock.sleeps == [30, 30]
    assert {(s.platform, s.kind) for s in samples} == {("youtube", "concurrent"), ("youtube", "cumulative"),
                                                       ("twitch", "concurrent"), ("x", "cumulative")}
    assert any("youtube:live123: concurrent 31,200, cumulative 1,300,000" in line for line in lines)


def test_the_poller_raises_the_interval_to_fit_the_daily_quota_and_stops_when_spent(
    platforms: FakePlatforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMKIT_YOUTUBE_DAILY_QUOTA", "4")
    clock = FakeClock()
    lines: list[str] = []
    with ViewerStore(tmp_path / "v.sqlite") as store:
        poller = Poller(store, [PollTarget("youtube", "live123", "decade-live")], interval=1, clock=clock,
                        sleep=clock.sleep, report=lines.append)
        assert poller.interval == 86400 / 4  # four calls a day at most
        assert "interval raised from 1 s to 21600 s" in lines[0]
        poller.interval = 1  # force it: the quota kept in the store still stops it
        summary = poller.run(count=6)
        assert summary.polls == 4 and store.quota_used("youtube", "2024-05-01") == 4
        assert any("daily quota of 4 units spent" in p for p in summary.problems)
    with ViewerStore(tmp_path / "v.sqlite") as store:  # a restarted poller shares the day's budget
        summary = Poller(store, [PollTarget("youtube", "live123", "decade-live")], interval=1, clock=clock,
                         sleep=clock.sleep, report=lines.append).run(count=1)
        assert summary.polls == 0


def test_the_poller_backs_off_on_429_and_quota_and_drops_refused_targets(
    platforms: FakePlatforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    platforms.script["/youtube"] = [(429, {"error": {"errors": []}}, {"Retry-After": "95"})]
    platforms.script["/helix"] = [(401, {"message": "Invalid OAuth token"}, {})]
    targets = [PollTarget("youtube", "live123", "decade-live"), PollTarget("twitch", "decadelive", "decade-live")]
    with ViewerStore(tmp_path / "v.sqlite") as store:
        poller = Poller(store, targets, interval=30, clock=clock, sleep=clock.sleep, report=lambda m: None)
        summary = poller.run(count=6)
    youtube_calls = [p for p, _ in platforms.requests if p.startswith("/youtube")]
    twitch_calls = [p for p, _ in platforms.requests if p.startswith("/helix")]
    assert len(twitch_calls) == 1 and summary.stopped == {"twitch:decadelive": "the token was refused (HTTP 401)"}
    assert len(youtube_calls) == 3  # t=0 (429, wait 95 s), skipped at 30, 60, 90; polled at 120 and 150
    assert summary.added == 4


def test_the_poller_ends_when_no_target_is_left_and_respects_duration(
    platforms: FakePlatforms, tmp_path: Path
) -> None:
    clock = FakeClock()
    platforms.script["/helix"] = [(401, {}, {})]
    with ViewerStore(tmp_path / "v.sqlite") as store:
        summary = Poller(store, [PollTarget("twitch", "a", "s")], interval=10, clock=clock, sleep=clock.sleep,
                         report=lambda m: None).run()
        assert summary.cycles == 1 and summary.stopped
        summary = Poller(store, [PollTarget("twitch", "a", "s")], interval=10, clock=clock, sleep=clock.sleep,
                         report=lambda m: None).run(duration=35)
        assert summary.cycles == 4  # at 0, 10, 20, 30
    with pytest.raises(ConfigError, match="nothing to poll"), ViewerStore(tmp_path / "v.sqlite") as store:
        Poller(store, [])
