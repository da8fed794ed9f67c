"""The report (peaks and totals kept apart), the chart and the HTML page."""

from __future__ import annotations

import json
import struct
from datetime import timedelta
from pathlib import Path

import pytest

from streamkit.viewers import (
    ViewerStore,
    build_report,
    chart_png,
    report_html,
    write_html,
)

from .data import T0, campaign, sample

# --------------------------------------------------------------------------- the report


def test_the_report_keeps_peaks_and_totals_apart_and_says_how(tmp_path: Path) -> None:
    with ViewerStore(tmp_path / "v.sqlite") as store:
        store.add(campaign())
        report = build_report(store.samples())
    stream = report.stream("decade-live")
    assert stream is not None
    live, replay = stream.version("live"), stream.version("replay")
    assert live is not None and replay is not None
    assert live.peak is not None and (live.peak.value, live.peak.time) == (312_000, T0 + timedelta(minutes=20))
    assert replay.peak is not None and replay.peak.value == 65_000
    live_total, replay_total = live.total("cumulative"), replay.total("cumulative")
    assert live_total is not None and live_total.value == 1_300_000 and live_total.method == "latest cumulative sample"
    assert replay_total is not None and replay_total.value == 1_200_000
    both = stream.total("cumulative")
    assert both is not None and both.value == 2_500_000
    assert dict(both.by_version) == {"live": 1_300_000, "replay": 1_200_000}
    assert both.method == ("live 1,300,000 (latest cumulative sample) + replay 1,200,000 (latest cumulative sample) "
                           "= 2,500,000")
    assert stream.total("concurrent") is None  # concurrent viewers are never summed
    data = report.to_dict()
    assert data["streams"][0]["totals"]["cumulative"]["value"] == 2_500_000
    assert data["streams"][0]["peak_concurrent"]["live"]["value"] == 312_000
    assert json.loads(json.dumps(data)) == data


def test_totals_over_platforms_say_so_and_kinds_stay_apart() -> None:
    samples = [
        sample(0, 500_000, kind="cumulative", platform="youtube"),
        sample(60, 800_000, kind="cumulative", platform="youtube"),
        sample(50, 500_000, kind="cumulative", platform="weverse"),
        sample(10, 1_000_000, kind="manual", platform="weverse"),
        sample(20, 1_100_000, kind="manual", platform="weverse"),  # a correction supersedes
        sample(5, 9_000, kind="concurrent", platform="twitch", language="en"),
        sample(5, 200_000, kind="concurrent", platform="youtube"),
        sample(70, 790_000, kind="cumulative", platform="youtube", source="other"),  # lower than an earlier one
    ]
    live = build_report(samples).streams[0].versions[0]
    cumulative, manual = live.total("cumulative"), live.total("manual")
    assert cumulative is not None and cumulative.value == 790_000 + 500_000
    assert cumulative.method == "sum of the latest cumulative sample of each of 2 platform/language series"
    assert manual is not None and (manual.value, manual.method) == (1_100_000, "latest manual figure")
    assert live.peak is not None and live.peak.value == 200_000 and "never added" in live.peak.method
    assert any("below an earlier one" in n for n in live.notes)
    both = build_report(samples).streams[0].total("cumulative")
    assert both is not None and "no cumulative views for replay" in both.method


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_chart_is_a_real_png_and_the_page_embeds_it_with_the_table(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    samples = [*campaign(), sample(5, 7, stream="other-show")]
    png = chart_png(samples)
    width, height = _png_size(png)
    assert width >= 800 and height >= 600 and len(png) > 20_000  # two streams: two rows of two plots
    report = build_report(samples)
    page = write_html(report, samples, tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<table" in page
    assert "312,000" in page and "2,500,000" in page and "latest cumulative sample" in page
    assert 'src="data:image/png;base64,' in page
    bare = report_html(report, None)  # without matplotlib the page still has the table
    assert "<table" in bare and "data:image/png" not in bare
