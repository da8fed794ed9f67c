"""Shared test data for the viewers tests: a sample maker, the campaign's numbers, a CSV with bad rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streamkit.viewers import ViewerSample

T0 = datetime(2024, 5, 1, 11, 0, tzinfo=UTC)  # 20:00 in Seoul


def sample(minutes: float, value: int, *, version: str = "live", kind: str = "concurrent", platform: str = "youtube",
           language: str | None = None, stream: str = "decade-live", source: str = "test") -> ViewerSample:
    lang = language or {"live": "ko", "replay": "en"}[version]
    return ViewerSample(T0 + timedelta(minutes=minutes), stream, version, lang, platform, kind, value, source)


def campaign() -> list[ViewerSample]:
    """The campaign's numbers: 1.3M views of the Korean live, 1.2M of the English replay."""
    live_ccv = [sample(m, v) for m, v in [(0, 120_000), (10, 250_000), (20, 312_000), (30, 280_000), (40, 90_000)]]
    live_views = [sample(m, v, kind="cumulative") for m, v in [(0, 200_000), (20, 900_000), (60, 1_300_000)]]
    replay_ccv = [sample(60 * 24 + m, v, version="replay") for m, v in [(0, 40_000), (30, 65_000), (60, 30_000)]]
    replay_views = [sample(60 * 24 * d, v, version="replay", kind="cumulative")
                    for d, v in [(1, 300_000), (2, 800_000), (3, 1_200_000)]]
    return live_ccv + live_views + replay_ccv + replay_views


CSV_WITH_BAD_ROWS = """\
time,stream,version,language,platform,kind,value,source,comment
2024-05-01T11:00:00Z,decade-live,live,ko,youtube,concurrent,100000,yt,
2024-05-01T11:10:00Z,decade-live,live,ko,youtube,concurrent,"312,000",yt,"peak, during the
encore"
2024-05-01T11:20:00Z,decade-live,live,ko,youtube,concurrent,abc,yt,
2024-05-01T11:30:00Z,decade-live,live,ko,youtube,concurrent,-5,yt,

2024-05-01T11:40:00Z,decade-live,live,ko,youtube,viewers_peak,5,yt,
2024-05-01 11:50:00,decade-live,live,ko,youtube,concurrent,200000,yt,
2024-05-02T11:00:00Z,decade-live,replay,en,youtube
2024-05-02T11:00:00Z,decade-live,vod,en,youtube,concurrent,5,yt,
not a time,decade-live,replay,en,youtube,concurrent,5,yt,
2024-05-02T11:00:00Z,decade-live,replay,,youtube,cumulative,1.2M,,
"""

