"""Viewer counts: samples, the SQLite store, CSV/JSONL import, and the report (table, chart, HTML).

A :class:`ViewerSample` is one number about one stream at one instant: how many watched the
Korean live (``version="live"``, ``language="ko"``) or the English-subtitled replay
(``"replay"``, ``"en"``) on one platform, of one *kind*. Kinds are never added to each other:
concurrent viewers peak, cumulative views grow, and the report keeps them apart and says how
every total was obtained (:data:`KINDS`).

:class:`ViewerStore` keeps samples in SQLite (WAL, a busy timeout so several writers can share
one file). Storing is idempotent: the same sample (same stream, version, language, platform,
kind, source and time) is stored once, however often it is imported. The store returns what
was new; :func:`record_samples` stores and fires the ``viewer_sample_recorded`` hook for each
newly stored sample (the store itself knows nothing of plugins).

Where things live (import from ``streamkit.viewers``; the modules are one concern each, imported
one way: samples -> store -> events -> files, samples -> report -> chart):

* ``samples.py``: the vocabulary (:data:`KINDS`, :data:`VERSIONS`, :data:`DEFAULT_LANGUAGE`), the
  errors (:class:`ViewerError`, :class:`SampleError`, :class:`ViewerStoreError`,
  :class:`PollerBusyError`), parsing one field (:func:`parse_time`, :func:`parse_count`,
  :func:`parse_kind`) and the sample (:class:`ViewerSample`, :func:`sample_from_fields`).
* ``store.py``: :class:`ViewerStore` (SQLite), :func:`default_db_path`, :class:`AddResult`, and
  :class:`PollLock`, which keeps one poller per store (the one lock class, ``fsutil.FileLock``).
* ``events.py``: :func:`record_samples`: store, then fire ``viewer_sample_recorded`` for the new ones.
* ``files.py``: reading ``.csv``/``.jsonl`` files (:func:`read_samples`, :class:`ImportResult`,
  :class:`RowProblem`) and storing them (:func:`import_samples`).
* ``report.py``: :func:`build_report` and its dataclasses (:class:`ViewerReport` ... :class:`Peak`).
* ``chart.py``: :func:`chart_png`, :func:`write_chart` (matplotlib) and the HTML page
  (:func:`report_html`, :func:`write_html`).

The YouTube/Twitch/X sources and the poller are the built-in plugin ``streamkit.viewer_sources``.
"""

from __future__ import annotations

from .chart import chart_png, report_html, write_chart, write_html
from .events import record_samples
from .files import ImportResult, RowProblem, import_samples, read_samples
from .report import (
    KindTotal,
    Peak,
    SeriesSummary,
    StreamReport,
    StreamTotal,
    VersionReport,
    ViewerReport,
    build_report,
)
from .samples import (
    DEFAULT_LANGUAGE,
    KINDS,
    TIME_RANGE,
    VERSIONS,
    PollerBusyError,
    SampleError,
    ViewerError,
    ViewerSample,
    ViewerStoreError,
    parse_count,
    parse_kind,
    parse_time,
    sample_from_fields,
    split_time_range,
)
from .samples import ENV_DB as ENV_DB
from .samples import KIND_LABELS as KIND_LABELS
from .samples import parse_version as parse_version
from .store import AddResult, PollLock, ViewerStore, default_db_path

__all__ = [
    "DEFAULT_LANGUAGE",
    "KINDS",
    "TIME_RANGE",
    "VERSIONS",
    "AddResult",
    "ImportResult",
    "KindTotal",
    "Peak",
    "PollLock",
    "PollerBusyError",
    "RowProblem",
    "SampleError",
    "SeriesSummary",
    "StreamReport",
    "StreamTotal",
    "VersionReport",
    "ViewerError",
    "ViewerReport",
    "ViewerSample",
    "ViewerStore",
    "ViewerStoreError",
    "build_report",
    "chart_png",
    "default_db_path",
    "import_samples",
    "parse_count",
    "parse_kind",
    "parse_time",
    "read_samples",
    "record_samples",
    "report_html",
    "sample_from_fields",
    "split_time_range",
    "write_chart",
    "write_html",
]
