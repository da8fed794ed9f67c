"""The report: per stream and version, peak concurrent viewers and totals per kind, each with its method."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .samples import KIND_LABELS, KINDS, VERSIONS, ViewerSample, _iso

# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class SeriesSummary:
    """One platform/language/kind series of one stream and version."""

    platform: str
    language: str
    kind: str
    samples: int
    first: datetime
    last: datetime
    latest: int
    peak: int
    peak_time: datetime
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "language": self.language,
            "kind": self.kind,
            "samples": self.samples,
            "first": _iso(self.first),
            "last": _iso(self.last),
            "latest": self.latest,
            "peak": self.peak,
            "peak_time": _iso(self.peak_time),
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class Peak:
    """The highest concurrent-viewer sample of one stream and version (never a sum)."""

    value: int
    time: datetime
    platform: str
    language: str
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "time": _iso(self.time), "platform": self.platform,
                "language": self.language, "method": self.method}


@dataclass(frozen=True)
class KindTotal:
    """The total of one kind for one stream and version, and how it was obtained."""

    kind: str
    value: int
    method: str
    #: ``(platform, language, latest value, its time)`` for every series summed.
    parts: tuple[tuple[str, str, int, datetime], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "method": self.method,
            "parts": [{"platform": p, "language": lang, "value": v, "time": _iso(t)} for p, lang, v, t in self.parts],
        }


@dataclass(frozen=True)
class VersionReport:
    stream: str
    version: str
    samples: int
    first: datetime
    last: datetime
    series: tuple[SeriesSummary, ...]
    peak: Peak | None
    totals: tuple[KindTotal, ...]
    notes: tuple[str, ...] = ()

    def total(self, kind: str) -> KindTotal | None:
        return next((t for t in self.totals if t.kind == kind), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "version": self.version,
            "samples": self.samples,
            "first": _iso(self.first),
            "last": _iso(self.last),
            "peak_concurrent": self.peak.to_dict() if self.peak else None,
            "totals": {t.kind: t.to_dict() for t in self.totals},
            "series": [s.to_dict() for s in self.series],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class StreamTotal:
    """One kind's total over live and replay together (only ever the same kind added)."""

    kind: str
    value: int
    by_version: tuple[tuple[str, int], ...]
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "by_version": dict(self.by_version), "method": self.method}


@dataclass(frozen=True)
class StreamReport:
    stream: str
    versions: tuple[VersionReport, ...]
    totals: tuple[StreamTotal, ...]

    def version(self, name: str) -> VersionReport | None:
        return next((v for v in self.versions if v.version == name), None)

    def total(self, kind: str) -> StreamTotal | None:
        return next((t for t in self.totals if t.kind == kind), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "versions": {v.version: v.to_dict() for v in self.versions},
            "totals": {t.kind: t.to_dict() for t in self.totals},
            "peak_concurrent": {v.version: v.peak.to_dict() for v in self.versions if v.peak},
        }


@dataclass(frozen=True)
class ViewerReport:
    streams: tuple[StreamReport, ...]
    samples: int
    generated: datetime

    def stream(self, name: str) -> StreamReport | None:
        return next((s for s in self.streams if s.stream == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated": _iso(self.generated),
            "samples": self.samples,
            "kinds": KINDS,
            "streams": [s.to_dict() for s in self.streams],
        }


_TOTAL_NOUNS = {
    "cumulative": "cumulative sample",
    "participants": "participants sample",
    "impressions": "impressions sample",
    "manual": "manual figure",
}


def _fmt(n: int) -> str:
    return f"{n:,}"


def _summarize(series: Sequence[ViewerSample]) -> SeriesSummary:
    ordered = sorted(series, key=lambda s: (s.time, s.value))
    peak = max(ordered, key=lambda s: (s.value, -s.time_ms))  # the first time the peak was reached
    latest = ordered[-1]
    return SeriesSummary(
        platform=latest.platform,
        language=latest.language,
        kind=latest.kind,
        samples=len(ordered),
        first=ordered[0].time,
        last=latest.time,
        latest=latest.value,
        peak=peak.value,
        peak_time=peak.time,
        sources=tuple(sorted({s.source for s in ordered})),
    )


def _version_report(stream: str, version: str, samples: Sequence[ViewerSample]) -> VersionReport:
    by_series: dict[tuple[str, str, str], list[ViewerSample]] = {}
    for sample in samples:
        by_series.setdefault(sample.series, []).append(sample)
    series = tuple(sorted((_summarize(v) for v in by_series.values()),
                          key=lambda x: (list(KINDS).index(x.kind), x.platform, x.language)))
    notes: list[str] = []
    concurrent = [s for s in series if s.kind == "concurrent"]
    peak: Peak | None = None
    if concurrent:
        top = max(concurrent, key=lambda s: (s.peak, -s.peak_time.timestamp()))
        method = "highest concurrent sample"
        if len(concurrent) > 1:
            others = ", ".join(f"{s.platform}/{s.language} {_fmt(s.peak)}" for s in concurrent if s is not top)
            method += f" of {len(concurrent)} platform/language series (others: {others}); concurrent counts " \
                      "are never added"
        peak = Peak(top.peak, top.peak_time, top.platform, top.language, method)
    totals: list[KindTotal] = []
    for kind in KINDS:
        if kind == "concurrent":
            continue
        parts = [s for s in series if s.kind == kind]
        if not parts:
            continue
        noun = _TOTAL_NOUNS[kind]
        if len(parts) == 1:
            method = f"latest {noun}"
        else:
            method = f"sum of the latest {noun} of each of {len(parts)} platform/language series"
        for s in parts:
            if s.latest < s.peak:
                notes.append(f"{kind} {s.platform}/{s.language}: the latest sample ({_fmt(s.latest)}) is below an "
                             f"earlier one ({_fmt(s.peak)} at {_iso(s.peak_time)}); the latest is used")
        totals.append(KindTotal(kind, sum(s.latest for s in parts), method,
                                tuple((s.platform, s.language, s.latest, s.last) for s in parts)))
    return VersionReport(
        stream=stream,
        version=version,
        samples=len(samples),
        first=min(x.time for x in samples),
        last=max(x.time for x in samples),
        series=series,
        peak=peak,
        totals=tuple(totals),
        notes=tuple(notes),
    )


def build_report(samples: Iterable[ViewerSample], *, now: datetime | None = None) -> ViewerReport:
    """Per stream and version: peak concurrent (value and time), totals per kind, live vs. replay.

    Totals across live and replay are given per kind only (cumulative live + cumulative replay),
    each with the method that produced it; concurrent peaks are listed per version, never added.
    """
    listed = list(samples)
    by_stream: dict[str, dict[str, list[ViewerSample]]] = {}
    for s in listed:
        by_stream.setdefault(s.stream, {}).setdefault(s.version, []).append(s)
    streams: list[StreamReport] = []
    for stream in sorted(by_stream):
        versions = tuple(_version_report(stream, v, by_stream[stream][v]) for v in VERSIONS if v in by_stream[stream])
        totals: list[StreamTotal] = []
        for kind in KINDS:
            if kind == "concurrent":
                continue
            parts = [(v, t) for v in versions if (t := v.total(kind)) is not None]
            if not parts:
                continue
            value = sum(t.value for _, t in parts)
            described = " + ".join(f"{v.version} {_fmt(t.value)} ({t.method})" for v, t in parts)
            missing = [v for v in VERSIONS if v not in {p[0].version for p in parts}]
            if len(parts) > 1:
                method = f"{described} = {_fmt(value)}"
            else:
                method = f"{described}; no {KIND_LABELS[kind]} for {', '.join(missing)}"
            totals.append(StreamTotal(kind, value, tuple((v.version, t.value) for v, t in parts), method))
        streams.append(StreamReport(stream, versions, tuple(totals)))
    return ViewerReport(tuple(streams), len(listed), now or datetime.now(UTC))
