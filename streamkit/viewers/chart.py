"""The chart (a PNG drawn with matplotlib, headless) and the self-contained HTML page of the report."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from ..fsutil import atomic_path
from .report import ViewerReport
from .samples import KIND_LABELS, ViewerError, ViewerSample, _iso

# --------------------------------------------------------------------------- chart and page

_VERSION_COLORS = {"live": "#d62728", "replay": "#1f77b4"}
_KIND_STYLES = {"cumulative": "-", "participants": "--", "impressions": ":", "manual": "none"}


def _human(value: float, _pos: object = None) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.0f}"


def chart_png(samples: Sequence[ViewerSample], *, title: str | None = None, dpi: int = 100) -> bytes:
    """A PNG of counts over time: per stream, concurrent viewers (left) and totals (right), UTC.

    Needs matplotlib (``pip install 'streamkit[charts]'``); drawn headless (Agg), no pyplot state.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ViewerError("the chart needs matplotlib, which is not installed",
                          hint="pip install 'streamkit[charts]' (or leave out --chart/--html)") from exc
    if not samples:
        raise ViewerError("no samples to chart", hint="record or import some first")
    streams = sorted({s.stream for s in samples})
    fig = Figure(figsize=(11, 3.6 * len(streams)), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(streams), 2, squeeze=False)
    for row, stream in enumerate(streams):
        mine = [s for s in samples if s.stream == stream]
        left, right = axes[row][0], axes[row][1]
        groups: dict[tuple[str, str, str, str], list[ViewerSample]] = {}
        for s in mine:
            groups.setdefault((s.version, s.kind, s.platform, s.language), []).append(s)
        for (version, kind, platform, language), points in sorted(groups.items()):
            points.sort(key=lambda s: s.time)
            xs = [p.time for p in points]
            ys = [p.value for p in points]
            label = f"{version} {language} · {platform}"
            color = _VERSION_COLORS[version]
            if kind == "concurrent":
                left.plot(xs, ys, color=color, marker="." if len(xs) < 60 else None, label=label)
                top = max(points, key=lambda p: (p.value, -p.time_ms))
                left.annotate(f"peak {_human(top.value)}", (top.time, top.value), textcoords="offset points",
                              xytext=(0, 6), ha="center", fontsize=8, color=color)
            else:
                style = _KIND_STYLES[kind]
                right.plot(xs, ys, color=color, linestyle=style, marker="o" if style == "none" or len(xs) < 60
                           else None, label=f"{label} ({KIND_LABELS[kind]})")
        for ax, heading in ((left, "concurrent viewers (peak marked)"), (right, "totals by kind (never added)")):
            _style_axis(ax, f"{stream}: {heading}")
    if title:
        fig.suptitle(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _style_axis(ax: Any, heading: str) -> None:  # a matplotlib Axes (an optional dependency)
    """Title, human counts, UTC dates, room above the highest line, and a legend (or a note: nothing here)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.ticker import FuncFormatter

    ax.set_title(heading, fontsize=10, loc="left")
    ax.yaxis.set_major_formatter(FuncFormatter(_human))
    locator = AutoDateLocator(tz=UTC)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=UTC))  # type: ignore[no-untyped-call]
    ax.grid(True, alpha=0.3)
    ax.margins(x=0.05)
    highest = max((max(line.get_ydata(), default=0) for line in ax.lines), default=0)
    ax.set_ylim(0, max(float(highest) * 1.25, 1.0))  # room for the peak label and the legend
    if ax.lines:
        ax.legend(fontsize=7, loc="best")
    else:
        ax.text(0.5, 0.5, "no samples of this kind", ha="center", va="center", transform=ax.transAxes, color="gray")
    ax.set_xlabel("time (UTC)", fontsize=8)


def write_chart(samples: Sequence[ViewerSample], target: Path, *, title: str | None = None) -> Path:
    """Write :func:`chart_png` to ``target`` atomically."""
    data = chart_png(samples, title=title)
    target = Path(target)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def report_html(report: ViewerReport, png: bytes | None) -> str:
    """A self-contained page: one table per stream (live vs. replay, totals and methods) and the chart."""
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>streamkit viewer report</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
        "table{border-collapse:collapse;margin:0 0 1.5rem}"
        "th,td{border:1px solid #ccc;padding:.35rem .6rem;text-align:left;vertical-align:top}"
        "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}"
        ".method{color:#555;font-size:.85em}img{max-width:100%}</style>",
        "</head><body>",
        "<h1>Viewer report</h1>",
        f"<p>{report.samples:,} samples; generated {esc(_iso(report.generated))}. All times UTC. "
        "Kinds are never added to each other; every total says how it was obtained.</p>",
    ]
    for stream in report.streams:
        parts.append(f"<h2>{esc(stream.stream)}</h2>")
        parts.append('<table class="versions"><thead><tr><th>version</th><th>peak concurrent</th><th>at (UTC)</th>'
                     "<th>totals</th><th>samples</th></tr></thead><tbody>")
        for v in stream.versions:
            peak = f"{v.peak.value:,}" if v.peak else "—"
            at = f"{esc(_iso(v.peak.time))}<br>{esc(v.peak.platform)}/{esc(v.peak.language)}" if v.peak else "—"
            totals = "<br>".join(
                f"{esc(KIND_LABELS[t.kind])}: <b>{t.value:,}</b> <span class=method>({esc(t.method)})</span>"
                for t in v.totals) or "—"
            method = f'<div class="method">{esc(v.peak.method)}</div>' if v.peak else ""
            parts.append(f"<tr><td>{esc(v.version)}</td><td class=n>{peak}{method}</td><td>{at}</td>"
                         f"<td>{totals}</td><td class=n>{v.samples:,}</td></tr>")
        parts.append("</tbody></table>")
        if stream.totals:
            parts.append('<table class="totals"><thead><tr><th>live + replay</th><th>total</th><th>how</th></tr>'
                         "</thead><tbody>")
            for t in stream.totals:
                parts.append(f"<tr><td>{esc(KIND_LABELS[t.kind])}</td><td class=n><b>{t.value:,}</b></td>"
                             f"<td class=method>{esc(t.method)}</td></tr>")
            parts.append("</tbody></table>")
        notes = [n for v in stream.versions for n in v.notes]
        if notes:
            parts.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    if png:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<h2>Counts over time</h2><img alt="viewer counts over time" src="data:image/png;base64,{data}">')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_html(report: ViewerReport, samples: Sequence[ViewerSample], target: Path) -> Path:
    """Write the report page with the chart embedded (base64 PNG) to ``target`` atomically."""
    png = chart_png(samples) if samples else None
    target = Path(target)
    with atomic_path(target) as tmp:
        tmp.write_text(report_html(report, png), encoding="utf-8")
    return target
