"""The post-event replay: many recordings through the one pipeline, resumable, in parallel, locally or on Ray.

A replay spec (``pipelines/*.toml``, see :func:`load_spec`) names the recordings and the settings.
:func:`run_replay` runs every recording that is not already done through :func:`run_subtitle`
(the same stages as ``streamkit subtitle``; nothing here is a copy of stage code) and keeps:

* the **state** (``<output>/.streamkit/replay-state.json``): per recording the input's content
  hash, the fingerprint of the settings that affect its outputs, status, error, outputs with
  their sha256, timings. A recording whose state says done, with the same input hash and
  settings and its outputs unchanged, is skipped. Anything else runs again inside its managed
  folder, where :class:`~streamkit.cache.StageCache` keeps finished stages: a changed translator
  re-translates without transcribing again.
* the **lock** (``<output>/.streamkit/replay.lock``, ``flock``): one replay per output folder.
* the **report** (``<output>/replay-report.json``): what this run did.

Only the driver (the process that called :func:`run_replay`) writes the state, the report and
the hook events. Workers return their hook events (collected by a plugin registered in the
worker) and the driver fires them through :func:`~streamkit.plugins.notify`, in order, when the
recording's result comes back. Local workers write a recording's outputs into its folder
themselves (atomically: same machine, same disk); Ray workers write into a temporary folder of
their own and return the files, which the driver writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import glob
import hashlib
import importlib
import json
import logging
import multiprocessing
import os
import queue
import signal
import socket
import tempfile
import threading
import time
import tomllib
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from . import __version__
from .cache import file_digest
from .errors import ConfigError, InputError, OutputError, StreamkitError
from .fsutil import atomic_path, atomic_write_text, ensure_writable_dir
from .glossary import Glossary, load_glossary
from .hookspecs import hookimpl
from .mux import CONTAINERS
from .pipeline import RunManifest, SubtitleJob, check_existing_outputs, plan_outputs, run_subtitle
from .plugins import get_plugin_manager, notify
from .subtitles import FORMATS
from .transcribe import DEVICES, TUNABLE, TranscribeOptions, WhisperTranscriber, resolve_model, tunable_problem

__all__ = [
    "EXECUTORS",
    "LAYOUTS",
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "Recording",
    "RecordingProgress",
    "RecordingReport",
    "RecordingState",
    "ReplayLock",
    "ReplayLockedError",
    "ReplayReport",
    "ReplaySpec",
    "ReplayState",
    "SpecError",
    "StatusRow",
    "load_spec",
    "make_executor",
    "plan_recordings",
    "replay_status",
    "run_replay",
]

log = logging.getLogger("streamkit")

EXECUTORS = ("local", "ray")
LAYOUTS = ("per-recording", "flat")
STATE_FORMAT = 1
#: A recording whose worker died this many times is failed instead of retried.
MAX_WORKER_LOSSES = 2
#: Pipeline stages with their rough share of a recording's work (drives the progress bars).
STAGE_WEIGHTS = {"media": 0.05, "transcribe": 0.55, "translate": 0.3, "segment": 0.01, "subtitles": 0.01,
                 "mux": 0.08}
_NOTIFY_HOOKS = ("stage_started", "stage_finished", "subtitle_written", "replay_written", "run_finished")
_PROGRESS_EVERY_S = 0.25


# --------------------------------------------------------------------------- errors


class SpecError(ConfigError):
    """A replay spec that cannot be used: names the spec file and the dotted key."""

    def __init__(self, path: Path | str, key: str, problem: str, *, hint: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{key}: {problem}" if key else problem, key=key, source=str(self.path), hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "path": self.path, "problem": self.problem}


class ReplayLockedError(OutputError):
    """Another ``streamkit replay`` holds the output folder's lock."""

    default_hint = "wait for that run to finish (or stop it); `streamkit replay SPEC --status` shows its progress"

    def __init__(self, lock: Path | str, holder: str, *, hint: str | None = None) -> None:
        self.holder = holder
        super().__init__(lock, f"another streamkit replay holds this lock ({holder})", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "holder": self.holder}


# --------------------------------------------------------------------------- the spec

#: section -> key -> kind. Kinds: str, bool, int, number, strings (list of str), table.
SCHEMA: dict[str, dict[str, str]] = {
    "job": {"name": "str", "inputs": "strings", "output": "str"},
    "model": {"name": "str", "device": "str", "compute_type": "str"},
    "transcribe": {key: "bool" if kind is bool else "int" for key, (kind, _, _) in TUNABLE.items()},
    "translate": {"engine": "str", "target": "str", "settings": "table"},
    "glossary": {"files": "strings"},
    "output": {"formats": "strings", "container": "str", "mux": "bool", "burn_in": "str", "layout": "str"},
    "hooks": {"event_log": "str", "webhook": "str"},
    "run": {"workers": "int", "executor": "str", "address": "str", "gpus_per_worker": "number",
            "cpus_per_worker": "number", "cpu_threads_per_worker": "int", "ship_media": "bool"},
}
REQUIRED = (("job", "inputs"), ("job", "output"))
_KIND_NAMES = {"str": "a string", "bool": "true or false", "int": "an integer", "number": "a number",
               "strings": "a list of strings", "table": "a table"}


def _is_kind(value: object, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "strings":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, dict)


def _toml_type(value: object) -> str:
    names = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array", dict: "table"}
    return names.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class ReplaySpec:
    """A validated replay spec. Paths are absolute; ``inputs`` are expanded, sorted, deduplicated."""

    path: Path
    name: str
    inputs: tuple[Path, ...]
    output: Path
    patterns: tuple[str, ...] = ()
    # [model]
    model: str | None = None
    device: str = "auto"
    compute_type: str | None = None
    # [transcribe]: decoding settings (transcribe.TUNABLE), the defaults where absent
    decoding: dict[str, Any] = field(default_factory=dict)
    # [translate]
    translator: str = "whisper"
    target_language: str = "en"
    translator_settings: dict[str, Any] = field(default_factory=dict)
    # [glossary]
    glossary: tuple[Path, ...] = ()
    # [output]
    formats: tuple[str, ...] = ("srt",)
    container: str | None = None
    mux: bool = True
    burn_in: str | None = None
    layout: str = "per-recording"
    # [hooks]
    event_log: Path | None = None
    webhook: str | None = None
    # [run]
    workers: int = 1
    executor: str = "local"
    address: str | None = None
    gpus_per_worker: float = 0.0
    cpus_per_worker: float = 1.0
    cpu_threads_per_worker: int = 0
    ship_media: bool = False

    @property
    def state_dir(self) -> Path:
        return self.output / ".streamkit"

    @property
    def model_reason(self) -> str | None:
        return f"replay spec {self.path}: model.name = {self.model!r}" if self.model is not None else None

    def stages(self) -> tuple[str, ...]:
        """The pipeline stages each recording goes through (for progress)."""
        return tuple(s for s in STAGE_WEIGHTS if not (s == "translate" and self.translator == "none")
                     and not (s == "mux" and not self.mux))

    def fingerprint(self) -> str:
        """sha256 over every setting that affects a recording's outputs (not where or how it runs)."""
        glossary = {str(p): (file_digest(p) if p.is_file() else "missing") for p in self.glossary}
        data = {
            "model": self.model, "device": self.device, "compute_type": self.compute_type,
            **({"decoding": self.decoding} if self.decoding else {}),  # absent: fingerprints stay as before
            "translator": self.translator, "target": self.target_language,
            "settings": self.translator_settings, "glossary": glossary, "formats": list(self.formats),
            "container": self.container, "mux": self.mux, "burn_in": self.burn_in,
        }
        blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def job_for(self, recording: Recording, *, force: bool = False, use_cache: bool = True) -> SubtitleJob:
        """The :class:`SubtitleJob` that produces ``recording``'s outputs: the one pipeline, no copy."""
        return SubtitleJob(
            input=recording.input,
            out_dir=recording.folder,
            model=self.model,
            model_reason=self.model_reason,
            device=self.device,
            compute_type=self.compute_type,
            transcribe_options=TranscribeOptions(**self.decoding),
            translator=self.translator,
            target_language=self.target_language,
            formats=self.formats,
            container=self.container,
            mux=self.mux,
            burn_in=self.burn_in,
            force=force,
            use_cache=use_cache,
            translator_settings=dict(self.translator_settings),
            glossary=_glossary(self.glossary),
        )


@functools.lru_cache(maxsize=4)
def _glossary(files: tuple[Path, ...]) -> Glossary:
    """The built-in glossary plus the spec's files, loaded once per process (workers included)."""
    return load_glossary(files)


class _Reader:
    """Reads one section of a parsed spec, checking types and naming ``section.key`` on error."""

    def __init__(self, path: Path, data: dict[str, Any], shown: Path) -> None:
        self.path = path
        self.data = data
        self.base = path.parent
        self.shown = shown  # as the user wrote it, for messages

    def fail(self, key: str, problem: str, hint: str | None = None) -> SpecError:
        return SpecError(self.shown, key, problem, hint=hint)

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.data.get(section, {}).get(key, default)

    def choice(self, section: str, key: str, default: str, allowed: tuple[str, ...]) -> str:
        value: str = self.get(section, key, default)
        if value not in allowed:
            raise self.fail(f"{section}.{key}", f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def resolve(self, raw: str) -> Path:
        return (self.base / Path(raw).expanduser()).resolve()


def _check_shape(r: _Reader) -> None:
    for section, body in r.data.items():
        if section not in SCHEMA:
            raise r.fail(section, f"unknown section [{section}]", hint=f"known sections: {', '.join(SCHEMA)}")
        if not isinstance(body, dict):
            raise r.fail(section, f"[{section}] must be a table, not {_toml_type(body)}")
        for key, value in body.items():
            dotted = f"{section}.{key}"
            if key not in SCHEMA[section]:
                raise r.fail(dotted, f"unknown key {dotted}", hint=f"known keys in [{section}]: "
                             + ", ".join(SCHEMA[section]))
            kind = SCHEMA[section][key]
            if not _is_kind(value, kind):
                raise r.fail(dotted, f"must be {_KIND_NAMES[kind]}, not {_toml_type(value)} ({value!r})")
            problem = tunable_problem(key, value) if section == "transcribe" else None
            if problem:
                raise r.fail(dotted, problem)
    for section, key in REQUIRED:
        if key not in r.data.get(section, {}):
            raise r.fail(f"{section}.{key}", "is required", hint=f"add {key} = ... under [{section}]")


_GLOB_CHARS = frozenset("*?[")


def _expand_inputs(r: _Reader, patterns: list[str], output: Path) -> tuple[Path, ...]:
    if not patterns:
        raise r.fail("job.inputs", "is empty", hint='list recordings or globs, e.g. inputs = ["recordings/*.mp4"]')
    found: dict[Path, None] = {}
    for raw in patterns:
        if not raw.strip():
            raise r.fail("job.inputs", "contains an empty string")
        target = r.base / Path(raw).expanduser()
        if _GLOB_CHARS & set(raw):
            matches = sorted(Path(m).resolve() for m in glob.glob(str(target), recursive=True))
            files = [m for m in matches if m.is_file() and not m.is_relative_to(output)]
            if not files:
                raise r.fail("job.inputs", f"glob {raw!r} matches no files (looked in {target.parent})",
                              hint="check the folder and the extension; globs are relative to the spec's folder")
            for m in files:
                found.setdefault(m, None)
        else:
            path = target.resolve()
            if not path.exists():
                raise r.fail("job.inputs", f"{raw!r}: no such file ({path})")
            if path.is_dir():
                raise r.fail("job.inputs", f"{raw!r} is a folder", hint=f"use a glob, e.g. {raw.rstrip('/')}/*.mp4")
            found.setdefault(path, None)
    return tuple(found)


def load_spec(path: Path | str) -> ReplaySpec:
    """Read and validate a replay spec; every problem is a :class:`SpecError` naming the file and key."""
    shown = Path(path)
    path = shown.expanduser().resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SpecError(shown, "", "spec file not found", hint="give the path of a pipelines/*.toml file") from exc
    except IsADirectoryError as exc:
        raise SpecError(shown, "", "is a folder, not a spec file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(shown, "", f"cannot read the spec ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(shown, "", f"not valid TOML ({exc})") from exc
    r = _Reader(path, data, shown)
    _check_shape(r)

    output = r.resolve(r.get("job", "output"))
    if output.exists() and not output.is_dir():
        raise r.fail("job.output", f"{output} exists and is not a folder")
    patterns: list[str] = r.get("job", "inputs")
    inputs = _expand_inputs(r, patterns, output)

    device = r.choice("model", "device", "auto", DEVICES)
    translator: str = r.get("translate", "engine", "whisper")
    _check_engine(r, translator)
    target: str = r.get("translate", "target", "en")
    formats = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in r.get("output", "formats", ["srt"])))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise r.fail("output.formats", f"unknown format {', '.join(bad) or '(none)'}",
                     hint=f"choose from {', '.join(FORMATS)}")
    container: str | None = r.get("output", "container")
    if container is not None and container not in CONTAINERS:
        raise r.fail("output.container", f"{container!r} is not one of {', '.join(CONTAINERS)}")
    burn_in: str | None = r.get("output", "burn_in")
    if burn_in is not None:
        if burn_in not in ("ko", target):
            raise r.fail("output.burn_in", f"{burn_in!r}: no such track", hint=f"use {target} or ko")
        if burn_in == target and translator == "none":
            raise r.fail("output.burn_in", f"{burn_in!r} needs a translation, but translate.engine is 'none'")
    mux: bool = r.get("output", "mux", True)
    if burn_in is not None and not mux:
        raise r.fail("output.burn_in", "needs output.mux = true (burn-in writes the replay video)")
    layout = r.choice("output", "layout", "per-recording", LAYOUTS)

    glossary = tuple(r.resolve(p) for p in r.get("glossary", "files", []))
    for raw, p in zip(r.get("glossary", "files", []), glossary, strict=True):
        if not p.is_file():
            raise r.fail("glossary.files", f"{raw!r}: no such file ({p})")
    event_log_raw: str | None = r.get("hooks", "event_log")
    webhook: str | None = r.get("hooks", "webhook")
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        raise r.fail("hooks.webhook", f"{webhook!r} is not an http(s):// URL")

    workers: int = r.get("run", "workers", 1)
    if workers < 1:
        raise r.fail("run.workers", f"must be at least 1, not {workers}")
    executor = r.choice("run", "executor", "local", EXECUTORS)
    gpus = float(r.get("run", "gpus_per_worker", 0.0))
    cpus = float(r.get("run", "cpus_per_worker", 1.0))
    threads: int = r.get("run", "cpu_threads_per_worker", 0)
    if gpus < 0 or cpus <= 0 or threads < 0:
        key = "gpus_per_worker" if gpus < 0 else "cpus_per_worker" if cpus <= 0 else "cpu_threads_per_worker"
        raise r.fail(f"run.{key}", "must not be negative" + (" or zero" if key == "cpus_per_worker" else ""))

    spec = ReplaySpec(
        path=path,
        name=r.get("job", "name", path.stem),
        inputs=inputs,
        output=output,
        patterns=tuple(patterns),
        model=r.get("model", "name"),
        device=device,
        compute_type=r.get("model", "compute_type"),
        decoding=dict(r.data.get("transcribe", {})),
        translator=translator,
        target_language=target,
        translator_settings=dict(r.get("translate", "settings", {})),
        glossary=glossary,
        formats=formats,
        container=container,
        mux=mux,
        burn_in=burn_in,
        layout=layout,
        event_log=r.resolve(event_log_raw) if event_log_raw else None,
        webhook=webhook,
        workers=workers,
        executor=executor,
        address=r.get("run", "address"),
        gpus_per_worker=gpus,
        cpus_per_worker=cpus,
        cpu_threads_per_worker=threads,
        ship_media=r.get("run", "ship_media", False),
    )
    plan_recordings(spec, shown=shown)  # refuses output name collisions now, naming the inputs
    return spec


def _check_engine(r: _Reader, name: str) -> None:
    if name == "none":
        return
    from .translate import available_engines

    engines = available_engines()
    if name not in engines:
        known = ", ".join(sorted([*engines, "none"]))
        raise r.fail("translate.engine", f"unknown translator {name!r}", hint=f"choose one of: {known}")


# --------------------------------------------------------------------------- recordings


@dataclass(frozen=True)
class Recording:
    """One input of a replay: its unique ``key`` (state and folder name) and where its outputs go."""

    key: str
    input: Path
    folder: Path


def _keys(inputs: tuple[Path, ...]) -> list[str]:
    """A unique, readable, stable name per input: the stem, or more of the path when stems collide."""
    stems = Counter(p.stem for p in inputs)
    base = Path(os.path.commonpath([str(p.parent) for p in inputs])) if inputs else Path("/")
    keys = []
    for p in inputs:
        key = p.stem
        if stems[p.stem] > 1:
            key = "__".join(p.relative_to(base).with_suffix("").parts)
        keys.append(key)
    counts = Counter(keys)
    keys = [k if counts[k] == 1 else f"{k}-{p.suffix.lstrip('.').lower()}" for k, p in zip(keys, inputs, strict=True)]
    return ["_" + k if k.startswith(".") else k for k in keys]


def plan_recordings(spec: ReplaySpec, *, shown: Path | None = None) -> list[Recording]:
    """The spec's recordings in input order, each with its output folder."""
    keys = _keys(spec.inputs)
    if spec.layout == "flat":
        stems = Counter(p.stem for p in spec.inputs)
        clash = [str(p) for p in spec.inputs if stems[p.stem] > 1]
        if clash:
            raise SpecError(shown or spec.path, "output.layout",
                            f"flat layout but several inputs have the same name: {', '.join(clash)}",
                            hint='use layout = "per-recording" (each recording in a folder of its own)')
        return [Recording(k, p, spec.output) for k, p in zip(keys, spec.inputs, strict=True)]
    return [Recording(k, p, spec.output / k) for k, p in zip(keys, spec.inputs, strict=True)]


# --------------------------------------------------------------------------- state


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class RecordingState:
    """What the driver knows about one recording (one entry of ``replay-state.json``)."""

    key: str
    input: str
    size: int = 0
    mtime_ns: int = 0
    digest: str = ""
    params: str = ""
    #: ``pending``, ``running``, ``done`` or ``failed``.
    status: str = "pending"
    error: str = ""
    hint: str = ""
    #: path relative to the output folder -> {"sha256", "size", "mtime_ns"}
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: str = ""
    finished: str = ""
    seconds: float = 0.0
    attempts: int = 0
    worker: str = ""
    stages: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecordingState:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class ReplayState:
    """``<output>/.streamkit/replay-state.json``: written by the driver alone, atomically."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.path = output / ".streamkit" / "replay-state.json"
        self.recordings: dict[str, RecordingState] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != STATE_FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            self.recordings = {k: RecordingState.from_dict(v) for k, v in data["recordings"].items()}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable replay state %s (%s): every recording is checked again", self.path, exc)

    def get(self, key: str) -> RecordingState | None:
        return self.recordings.get(key)

    def save(self) -> None:
        data = {"format": STATE_FORMAT, "streamkit": __version__, "updated": _now(),
                "recordings": {k: asdict(v) for k, v in self.recordings.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1))


def _input_digest(path: Path, prior: RecordingState | None) -> tuple[int, int, str]:
    """``(size, mtime_ns, sha256)``; the hash is reused while size and mtime are unchanged."""
    st = path.stat()
    if prior is not None and prior.digest and (prior.size, prior.mtime_ns) == (st.st_size, st.st_mtime_ns):
        return st.st_size, st.st_mtime_ns, prior.digest
    return st.st_size, st.st_mtime_ns, file_digest(path)


def _intact(output: Path, rel: str, info: dict[str, Any]) -> bool:
    """The output is still exactly what the replay wrote (hash re-checked only if size/mtime moved)."""
    path = output / rel
    try:
        st = path.stat()
    except OSError:
        return False
    if (st.st_size, st.st_mtime_ns) == (info.get("size"), info.get("mtime_ns")):
        return True
    return st.st_size == info.get("size") and file_digest(path) == info.get("sha256")


def _staleness(rs: RecordingState | None, digest: str, params: str, output: Path) -> str:
    """Why a recording must run ("" when it is done and fresh)."""
    if rs is None or rs.status == "pending":
        return "not done yet"
    if rs.status == "failed":
        return "failed last time"
    if rs.status == "running":
        return "interrupted last time"
    if rs.digest != digest:
        return "input changed"
    if rs.params != params:
        return "settings changed"
    if not rs.outputs or not all(_intact(output, rel, info) for rel, info in rs.outputs.items()):
        return "outputs missing or changed"
    return ""


# --------------------------------------------------------------------------- lock


class ReplayLock:
    """``<output>/.streamkit/replay.lock``: an exclusive ``flock`` for the whole run.

    The kernel releases it when the holder exits, however it exits (no stale locks after a
    crash or ``kill -9``). The file holds the holder's pid, host and start time for messages.
    """

    def __init__(self, output: Path) -> None:
        self.path = output / ".streamkit" / "replay.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        ensure_writable_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise ReplayLockedError(self.path, holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": _now()}).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> ReplayLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @staticmethod
    def holder(output: Path) -> str | None:
        """Who holds the lock now (``None`` when no replay is running); takes no lock."""
        path = output / ".streamkit" / "replay.lock"
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _read_holder(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        return f"pid {info['pid']} on {info['host']} since {info['since']}"
    except (OSError, ValueError, KeyError):
        return "holder unknown"


# --------------------------------------------------------------------------- tasks and outcomes


@dataclass(frozen=True)
class Task:
    """One recording for a worker: picklable (process pools, Ray)."""

    key: str
    job: SubtitleJob
    attempt: int = 1
    # Ray only: the recording's existing stage cache (file name -> bytes) and the shipped media.
    cache_files: dict[str, bytes] = field(default_factory=dict)
    media: tuple[Any, ...] = ()


@dataclass
class Outcome:
    """What a worker returns for one recording: the result or the error, and its hook events."""

    key: str
    summary: dict[str, Any] | None = None
    error: StreamkitError | None = None
    #: one line for a failure that is not a :class:`StreamkitError` (a bug; the traceback is in ``detail``)
    error_text: str = ""
    detail: str = ""
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    worker: str = ""
    seconds: float = 0.0
    #: Ray only: files of the recording's folder (relative path -> bytes, or a list of chunk refs)
    files: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.summary is not None

    @property
    def message(self) -> str:
        if self.error is not None:
            return " ".join(str(self.error).split("\n")[:1])
        return self.error_text


@dataclass(frozen=True)
class _Finished:
    key: str
    outcome: Outcome | None  # None: the worker died (killed, out of memory ...) while running it
    lost: str = ""


Message = tuple[Any, ...]


class _Collector:
    """A plugin registered in a worker: records every notification so the driver can fire it."""

    def __init__(self, send: Callable[[Message], None]) -> None:
        self.send = send
        self.key = ""
        self.events: list[tuple[str, dict[str, Any]]] = []

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        events, self.events = self.events, []
        return events

    @hookimpl
    def stage_started(self, run_id: str, recording: str, stage: str) -> None:
        self.events.append(("stage_started", {"run_id": run_id, "recording": recording, "stage": stage}))
        self.send(("stage", self.key, stage, run_id))

    @hookimpl
    def stage_finished(self, run_id: str, recording: str, stage: str, seconds: float, error: str | None) -> None:
        self.events.append(("stage_finished", {"run_id": run_id, "recording": recording, "stage": stage,
                                               "seconds": seconds, "error": error}))

    @hookimpl
    def subtitle_written(self, run_id: str, recording: str, path: str, language: str, cues: int) -> None:
        self.events.append(("subtitle_written", {"run_id": run_id, "recording": recording, "path": path,
                                                 "language": language, "cues": cues}))

    @hookimpl
    def replay_written(self, run_id: str, recording: str, path: str, tracks: list[str], burned_in: str | None) -> None:
        self.events.append(("replay_written", {"run_id": run_id, "recording": recording, "path": path,
                                               "tracks": list(tracks), "burned_in": burned_in}))

    @hookimpl
    def run_finished(self, run_id: str, recording: str, summary: dict[str, Any], error: str | None) -> None:
        self.events.append(("run_finished", {"run_id": run_id, "recording": recording, "summary": summary,
                                             "error": error}))


@dataclass(frozen=True)
class WorkerSetup:
    """How a worker loads its model (once, at start)."""

    model: str | None
    model_reason: str | None
    device: str
    compute_type: str | None
    cpu_threads: int


def _isolate_plugins(collector: _Collector) -> None:
    """In a worker: listening plugins hear events once, from the driver; engines stay."""
    os.environ["STREAMKIT_HOOK_TIMEOUT"] = "0"  # the collector runs inline, in order
    pm = get_plugin_manager()
    for name, plugin in list(pm.list_name_plugin()):
        if plugin is None:
            continue
        hooks = {c.name for c in pm.get_hookcallers(plugin) or []}
        if hooks & set(_NOTIFY_HOOKS) and not hooks - set(_NOTIFY_HOOKS) - {"viewer_sample_recorded"}:
            log.debug("worker: plugin %s only listens; the driver delivers its events", name)
            pm.unregister(plugin)
    pm.register(collector, name="streamkit-replay-collector")


class _Worker:
    """A worker's model (loaded once) and its event collector; runs one recording at a time."""

    def __init__(self, setup: WorkerSetup, send: Callable[[Message], None], label: str) -> None:
        self.send = send
        self.label = label
        self.collector = _Collector(send)
        _isolate_plugins(self.collector)
        self.transcriber: WhisperTranscriber | None = None
        self.load_error: StreamkitError | None = None
        try:
            choice = resolve_model(setup.model, device=setup.device, compute_type=setup.compute_type)
            if setup.model_reason:
                choice = replace(choice, reason=setup.model_reason)
            transcriber = WhisperTranscriber(choice, cpu_threads=setup.cpu_threads)
            _ = transcriber.model  # load now, once, not inside the first recording's timing
            self.transcriber = transcriber
        except StreamkitError as exc:
            self.load_error = exc

    def execute(self, task: Task, job: SubtitleJob | None = None) -> Outcome:
        job = job or task.job
        started = time.perf_counter()
        last: dict[str, float] = {}

        def progress(stage: str, done: float, total: float) -> None:
            now = time.monotonic()
            if done >= total or now - last.get(stage, 0.0) >= _PROGRESS_EVERY_S:
                last[stage] = now
                self.send(("progress", task.key, stage, done, total))

        self.collector.key = task.key
        self.collector.take()
        self.send(("start", task.key, self.label))
        outcome = Outcome(task.key, worker=self.label)
        try:
            if self.load_error is not None:
                raise self.load_error
            result = run_subtitle(job, transcriber=self.transcriber, progress=progress)
            outcome.summary = result.summary()
        except StreamkitError as exc:
            outcome.error = exc
        except Exception as exc:  # a bug: reported for this recording, the others go on
            import traceback

            outcome.error_text = f"internal error: {type(exc).__name__}: {exc}"
            outcome.detail = traceback.format_exc()
        outcome.events = self.collector.take()
        outcome.seconds = time.perf_counter() - started
        return outcome


# --------------------------------------------------------------------------- local executor

_local: _Worker | None = None
_in_task = False


def _on_sigterm(signum: int, frame: object) -> None:
    if _in_task:
        raise KeyboardInterrupt  # unwinds the stage: temp files and .part files are removed
    os._exit(0)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:  # the driver died (kill -9): do not go on writing alone
            os._exit(1)


def _init_local_worker(setup: WorkerSetup, channel: Any) -> None:
    global _local
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's; it stops workers with SIGTERM
    signal.signal(signal.SIGTERM, _on_sigterm)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    label = f"{socket.gethostname()}:{os.getpid()}"

    def send(message: Message) -> None:
        with contextlib.suppress(Exception):
            channel.put_nowait(message)

    send(("hello", label, os.getpid()))
    _local = _Worker(setup, send, label)


def _run_local_task(task: Task) -> Outcome:
    global _in_task
    if _local is None:
        raise RuntimeError("worker not initialised")
    _in_task = True
    try:
        return _local.execute(task)
    except KeyboardInterrupt:
        os._exit(130)
    finally:
        _in_task = False


class Executor(Protocol):
    """Runs :class:`Task` objects on workers and hands back their :class:`Outcome` objects."""

    name: str
    slots: int

    def submit(self, task: Task) -> None: ...

    def busy(self) -> int: ...

    def wait(self, timeout: float) -> list[_Finished]: ...

    def messages(self) -> list[Message]: ...

    def prepare(self, task: Task, recording: Recording) -> Task: ...

    def materialize(self, outcome: Outcome, recording: Recording) -> None: ...

    def close(self, *, interrupted: bool = False) -> None: ...


def _cpu_threads(spec: ReplaySpec, workers: int) -> int:
    if spec.cpu_threads_per_worker:
        return spec.cpu_threads_per_worker
    return max(1, (os.cpu_count() or 1) // workers)


def _setup(spec: ReplaySpec, threads: int) -> WorkerSetup:
    return WorkerSetup(spec.model, spec.model_reason, spec.device, spec.compute_type, threads)


class LocalExecutor:
    """A pool of worker processes on this machine; each loads the model once, at start.

    Processes are spawned (not forked: the driver has threads). One recording per worker at a
    time; a worker that dies (killed, out of memory) breaks the pool: its recordings come back
    as lost, and the next submit starts a new pool.
    """

    name = "local"

    def __init__(self, spec: ReplaySpec, workers: int | None = None) -> None:
        self.slots = workers or spec.workers
        self.setup = _setup(spec, _cpu_threads(spec, self.slots))
        self._pool: ProcessPoolExecutor | None = None
        self._channel: Any = None
        self._running: dict[Future[Outcome], str] = {}
        self._pids: set[int] = set()

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._channel = ctx.Queue()
            self._pool = ProcessPoolExecutor(self.slots, mp_context=ctx, initializer=_init_local_worker,
                                             initargs=(self.setup, self._channel))
        return self._pool

    def prepare(self, task: Task, recording: Recording) -> Task:
        return task

    def submit(self, task: Task) -> None:
        future = self._ensure_pool().submit(_run_local_task, task)
        self._running[future] = task.key

    def busy(self) -> int:
        return len(self._running)

    def wait(self, timeout: float) -> list[_Finished]:
        if not self._running:
            return []
        done, _ = wait_futures(list(self._running), timeout=timeout, return_when=FIRST_COMPLETED)
        finished: list[_Finished] = []
        broken = False
        for future in done:
            key = self._running.pop(future)
            try:
                finished.append(_Finished(key, future.result()))
            except BrokenProcessPool:
                broken = True
                finished.append(_Finished(key, None, "the worker process died"))
            except Exception as exc:  # e.g. a result that could not be sent back
                finished.append(_Finished(key, Outcome(key, error_text=f"internal error: {type(exc).__name__}: "
                                                                       f"{exc}")))
        if broken:
            # One worker died; the pool has stopped the others. Their recordings are lost too.
            for future, key in list(self._running.items()):
                future.cancel()
                finished.append(_Finished(key, None, "its worker was stopped when another worker died"))
            self._running.clear()
            self._discard_pool()
        return finished

    def messages(self) -> list[Message]:
        found: list[Message] = []
        while self._channel is not None:
            try:
                message = self._channel.get_nowait()
            except (queue.Empty, OSError, EOFError, ValueError):
                break
            if message[0] == "hello":
                self._pids.add(message[2])
            found.append(message)
        return found

    def materialize(self, outcome: Outcome, recording: Recording) -> None:
        """Local workers wrote the recording's folder themselves."""

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self._channel = None
        self._pids.clear()

    def close(self, *, interrupted: bool = False) -> None:
        if self._pool is None:
            return
        if interrupted:
            self.messages()  # learn every worker's pid
            for pid in self._pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while self._pids and time.monotonic() < deadline:
                self._pids = {p for p in self._pids if _alive(p)}
                time.sleep(0.1)
            for pid in self._pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            self._pool.shutdown(wait=False, cancel_futures=True)
        else:
            self._pool.shutdown(wait=True)
        self._pool = None
        self._running.clear()


def _alive(pid: int) -> bool:
    """``pid`` runs (a zombie counts as gone; it is not reaped here: the pool reaps its workers)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------- Ray executor

#: Files larger than this travel between worker and driver as a list of object-store chunks.
RAY_CHUNK_BYTES = 32 * 1024 * 1024


def _import_ray() -> Any:
    try:
        return importlib.import_module("ray")
    except ImportError as exc:
        raise ConfigError("the ray executor needs Ray, which is not installed", key="run.executor",
                          hint="pip install 'streamkit[ray]'  (or use --executor local)") from exc


def _remap(value: Any, mapping: dict[str, str]) -> Any:
    """``value`` with every string path under a key of ``mapping`` moved under its value."""
    if isinstance(value, str):
        for old, new in mapping.items():
            if value == old or value.startswith(old + os.sep):
                return new + value[len(old):]
        return value
    if isinstance(value, dict):
        return {k: _remap(v, mapping) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_remap(v, mapping) for v in value)
    return value


class RayWorker:
    """The body of a Ray actor: loads the model once and runs one recording at a time in a temp folder.

    It writes nothing outside its temp folder: the recording's files (subtitles, the replay
    video, stage cache entries, the run manifest) go back to the driver, which writes them.
    """

    def __init__(self, setup: WorkerSetup, chunk_bytes: int = RAY_CHUNK_BYTES) -> None:
        self.chunk_bytes = chunk_bytes
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self.ray = _import_ray()
        label = f"{self.ray.util.get_node_ip_address()}:{os.getpid()}"
        self.worker = _Worker(setup, self._send, label)

    def _send(self, message: Message) -> None:
        with self._lock:
            self._messages.append(message)

    def poll(self) -> list[Message]:
        with self._lock:
            messages, self._messages = self._messages, []
        return messages

    def run(self, task: Task) -> Outcome:
        final_dir = str(task.job.output_dir)
        original = str(task.job.input)
        with tempfile.TemporaryDirectory(prefix="streamkit-replay-") as tmp:
            work = Path(tmp)
            out = work / "out"
            cache = out / ".streamkit" / "cache"
            cache.mkdir(parents=True)
            for name, data in task.cache_files.items():
                (cache / name).write_bytes(data)
            source = task.job.input
            if task.media:  # shipped through the object store: no shared storage needed
                source = work / "in" / task.job.input.name
                source.parent.mkdir()
                with open(source, "wb") as f:
                    for ref in task.media:
                        f.write(self.ray.get(ref))
            job = replace(task.job, input=source, out_dir=out, force=True)
            outcome = self.worker.execute(task, job)
            mapping = {str(out): final_dir, str(source): original}
            outcome.summary = _remap(outcome.summary, mapping)
            outcome.events = _remap(outcome.events, mapping)
            if outcome.error is not None:
                # the message may name the temporary paths; keep the error's type and hint
                outcome.error_text = outcome.message
            for old, new in mapping.items():
                outcome.error_text = outcome.error_text.replace(old, new)
            for path in sorted(p for p in out.rglob("*") if p.is_file()):
                rel = path.relative_to(out).as_posix()
                if rel.startswith(".streamkit/cache/") and path.name in task.cache_files:
                    continue  # the driver has it
                outcome.files[rel] = self._pack(path)
        return outcome

    def _pack(self, path: Path) -> Any:
        if path.stat().st_size <= self.chunk_bytes:
            return path.read_bytes()
        refs = []
        with open(path, "rb") as f:
            while block := f.read(self.chunk_bytes):
                refs.append(self.ray.put(block))
        return refs


class RayExecutor:
    """Ray actors as workers: one per slot, each with ``gpus_per_worker`` GPUs, loading the model once.

    The driver (this process) connects to ``address`` (or ``$RAY_ADDRESS``; with neither, a
    local Ray instance starts). Recordings are read by workers from the same path (shared
    storage) unless ``ship_media``, which sends each input through the object store.
    """

    name = "ray"

    def __init__(self, spec: ReplaySpec, workers: int | None = None, *, address: str | None = None,
                 ship_media: bool | None = None, chunk_bytes: int = RAY_CHUNK_BYTES) -> None:
        self.spec = spec
        self.slots = workers or spec.workers
        self.address = address or spec.address
        self.ship_media = spec.ship_media if ship_media is None else ship_media
        self.chunk_bytes = chunk_bytes
        threads = spec.cpu_threads_per_worker or max(1, int(spec.cpus_per_worker))
        self.setup = _setup(spec, threads)
        self.ray = _import_ray()
        self._owns = False
        self._actor_class: Any = None
        self._idle: list[Any] = []
        self._running: dict[Any, tuple[str, Any]] = {}
        self._media: dict[str, list[Any]] = {}
        self._last_poll = 0.0

    def _start(self) -> None:
        ray = self.ray
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.WARNING)
            except (ImportError, ValueError) as exc:  # ray:// needs Ray Client (grpcio); a malformed address
                where = self.address or os.environ.get("RAY_ADDRESS")
                raise ConfigError(f"cannot connect to the Ray cluster at {where}: {exc}", key="run.address",
                                  hint="ray:// addresses need pip install 'streamkit[ray]' with Ray Client "
                                  "(ray[client])") from exc
            except ConnectionError as exc:
                raise ConfigError(f"cannot connect to the Ray cluster ({exc})", key="run.address",
                                  hint="check --address / RAY_ADDRESS and that `ray start --head` runs there") from exc
            self._owns = True
        gpus = float(ray.cluster_resources().get("GPU", 0))
        if self.spec.gpus_per_worker > gpus:
            raise ConfigError(f"run.gpus_per_worker = {self.spec.gpus_per_worker:g} but the Ray cluster has "
                              f"{gpus:g} GPU(s)", key="run.gpus_per_worker", source=str(self.spec.path),
                              hint="set gpus_per_worker = 0 to run on CPUs, or add GPU workers")
        self._actor_class = ray.remote(RayWorker)
        self._idle = [self._new_actor() for _ in range(self.slots)]

    def _new_actor(self) -> Any:
        # Ray sets OMP_NUM_THREADS = num_cpus in its workers; at 1 it makes numpy's share of the
        # audio features (OpenBLAS) single-threaded: ~1.5x slower transcription than a local worker.
        # Unless cpu_threads_per_worker bounds it explicitly, a worker gets the libraries' defaults,
        # as local workers do.
        omp = str(self.spec.cpu_threads_per_worker) if self.spec.cpu_threads_per_worker else ""
        return self._actor_class.options(
            num_gpus=self.spec.gpus_per_worker, num_cpus=self.spec.cpus_per_worker, max_concurrency=2,
            runtime_env={"env_vars": {"OMP_NUM_THREADS": omp}},
        ).remote(self.setup, self.chunk_bytes)

    def prepare(self, task: Task, recording: Recording) -> Task:
        cache = recording.folder / ".streamkit" / "cache"
        files = {p.name: p.read_bytes() for p in sorted(cache.glob("*.json"))} if cache.is_dir() else {}
        media: list[Any] = []
        if self.ship_media:
            if self._actor_class is None:
                self._start()
            with open(recording.input, "rb") as f:
                while block := f.read(self.chunk_bytes):
                    media.append(self.ray.put(block))
            self._media[task.key] = media
        return replace(task, cache_files=files, media=tuple(media))

    def submit(self, task: Task) -> None:
        if self._actor_class is None:
            self._start()
        actor = self._idle.pop()
        ref = actor.run.remote(task)
        self._running[ref] = (task.key, actor)

    def busy(self) -> int:
        return len(self._running)

    def wait(self, timeout: float) -> list[_Finished]:
        if not self._running:
            return []
        ray = self.ray
        ready, _ = ray.wait(list(self._running), num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(list(self._running), num_returns=len(self._running), timeout=0)
        finished: list[_Finished] = []
        for ref in ready:
            key, actor = self._running.pop(ref)
            self._media.pop(key, None)
            try:
                outcome: Outcome = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:  # raised in the worker outside the pipeline: a bug
                self._idle.append(actor)
                finished.append(_Finished(key, Outcome(key, error_text=f"internal error: {exc}".splitlines()[0])))
                continue
            except ray.exceptions.RayError as exc:  # the actor or its node died
                with contextlib.suppress(Exception):
                    ray.kill(actor, no_restart=True)
                self._idle.append(self._new_actor())
                finished.append(_Finished(key, None, f"the Ray worker died ({type(exc).__name__})"))
                continue
            self._idle.append(actor)
            finished.append(_Finished(key, outcome))
        return finished

    def messages(self) -> list[Message]:
        now = time.monotonic()
        if not self._running or now - self._last_poll < 0.5:
            return []
        self._last_poll = now
        actors = [actor for _, actor in self._running.values()]
        refs = [a.poll.remote() for a in actors]
        ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=2.0)
        found: list[Message] = []
        for ref in ready:
            with contextlib.suppress(Exception):
                found.extend(self.ray.get(ref))
        return found

    def materialize(self, outcome: Outcome, recording: Recording) -> None:
        """Write the files a worker returned into the recording's folder (atomically, one by one)."""
        for rel, content in outcome.files.items():
            target = recording.folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as tmp, open(tmp, "wb") as f:
                if isinstance(content, bytes):
                    f.write(content)
                else:
                    for ref in content:
                        f.write(self.ray.get(ref))
        outcome.files = {}

    def close(self, *, interrupted: bool = False) -> None:
        ray = self.ray
        if not ray.is_initialized():
            return
        for actor in [*self._idle, *(a for _, a in self._running.values())]:
            with contextlib.suppress(Exception):
                ray.kill(actor, no_restart=True)
        self._idle.clear()
        self._running.clear()
        self._media.clear()
        if self._owns:
            ray.shutdown()
            self._owns = False


def make_executor(spec: ReplaySpec) -> Executor:
    """The executor the spec asks for (``run.executor``)."""
    if spec.executor == "ray":
        return RayExecutor(spec)
    return LocalExecutor(spec)


# --------------------------------------------------------------------------- progress and report


@dataclass(frozen=True)
class RecordingProgress:
    """One recording's state for a live view (``fraction`` is of the whole recording, 0..1)."""

    key: str
    #: ``pending``, ``skipped``, ``running``, ``done``, ``failed`` or ``retrying``
    status: str
    stage: str = ""
    done: float = 0.0
    total: float = 0.0
    fraction: float = 0.0
    worker: str = ""
    error: str = ""
    attempt: int = 0


ReplayObserver = Callable[[RecordingProgress], None]


@dataclass(frozen=True)
class RecordingReport:
    key: str
    input: str
    #: ``done`` (ran now), ``skipped`` (already done and fresh) or ``failed``
    status: str
    folder: str
    reason: str = ""
    error: str = ""
    hint: str = ""
    seconds: float = 0.0
    attempts: int = 0
    worker: str = ""
    outputs: tuple[str, ...] = ()
    stages: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["outputs"], d["stages"] = list(self.outputs), list(self.stages)
        return d


@dataclass(frozen=True)
class ReplayReport:
    spec: str
    name: str
    output: str
    executor: str
    workers: int
    started: str
    seconds: float
    recordings: tuple[RecordingReport, ...]

    @property
    def ok(self) -> bool:
        return all(r.status != "failed" for r in self.recordings)

    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.recordings)
        return {s: c.get(s, 0) for s in ("done", "skipped", "failed")}

    def to_dict(self) -> dict[str, Any]:
        ran = self.counts()["done"]
        return {
            "streamkit": __version__, "spec": self.spec, "name": self.name, "output": self.output,
            "executor": self.executor, "workers": self.workers, "started": self.started,
            "seconds": round(self.seconds, 3), "ok": self.ok, "counts": self.counts(),
            "recordings_per_minute": round(ran / self.seconds * 60, 3) if ran and self.seconds > 0 else None,
            "recordings": [r.to_dict() for r in self.recordings],
        }


# --------------------------------------------------------------------------- the driver


class _View:
    """The driver's picture of every recording; tells the observer about every change."""

    def __init__(self, spec: ReplaySpec, observer: ReplayObserver | None) -> None:
        self.observer = observer
        self.stages = spec.stages()
        self.total_weight = sum(STAGE_WEIGHTS[s] for s in self.stages)
        self.items: dict[str, RecordingProgress] = {}

    def set(self, key: str, **changes: Any) -> None:
        current = self.items.get(key) or RecordingProgress(key, "pending")
        updated = replace(current, **changes)
        if updated.status == "running" and updated.stage in self.stages:
            before = sum(STAGE_WEIGHTS[s] for s in self.stages[: self.stages.index(updated.stage)])
            part = updated.done / updated.total if updated.total > 0 else 0.0
            fraction = (before + STAGE_WEIGHTS[updated.stage] * min(1.0, part)) / self.total_weight
            updated = replace(updated, fraction=max(current.fraction, min(1.0, fraction)))
        self.items[key] = updated
        if self.observer is not None:
            self.observer(updated)

    def message(self, message: Message) -> None:
        kind, key = message[0], message[1]
        if kind == "start" and key in self.items:
            self.set(key, worker=message[2], stage="", done=0.0, total=0.0)
        elif kind == "stage" and key in self.items:
            self.set(key, stage=message[2], done=0.0, total=0.0)
        elif kind == "progress" and key in self.items:
            self.set(key, stage=message[2], done=float(message[3]), total=float(message[4]))


def _outputs(summary: dict[str, Any], recording: Recording, output: Path) -> dict[str, dict[str, Any]]:
    """The recording's outputs, relative to the output folder, with the sha256 the pipeline recorded."""
    manifest = RunManifest(recording.folder, recording.input.stem)
    found: dict[str, dict[str, Any]] = {}
    for o in summary.get("outputs", []):
        path = Path(o["path"])
        st = path.stat()
        sha = manifest.files.get(path.name) or file_digest(path)
        found[path.relative_to(output).as_posix()] = {"sha256": sha, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    return found


def _preflight(job: SubtitleJob, rs: RecordingState | None, output: Path) -> SubtitleJob:
    """Decide ``force`` for a recording that runs again; refuse outputs someone else changed.

    Outputs the replay itself wrote (same sha256 as in the state) may be replaced; untouched
    drafts of an unfinished run are resumed; anything else (an editor's correction, a file
    from another tool) is refused without ``--force``, exactly as ``streamkit subtitle`` does.
    """
    if job.force:
        return job
    planned = plan_outputs(job)
    existing = [p for p in planned.values() if p.exists()]
    ours = rs.outputs if rs is not None else {}
    if existing and all(
        p.relative_to(output).as_posix() in ours and _intact(output, p.relative_to(output).as_posix(),
                                                             ours[p.relative_to(output).as_posix()])
        for p in existing
    ):
        return replace(job, force=True)
    check_existing_outputs(planned, False, RunManifest(job.output_dir, job.input.stem))
    return replace(job, force=True)  # nothing left to protect: drafts of an unfinished run at most


def _remove_part_files(recording: Recording) -> None:
    """Temporary files a killed worker could not remove (never used: they are only ever renamed into place)."""
    if not recording.folder.is_dir():
        return
    for path in recording.folder.glob(f".{glob.escape(recording.input.stem)}.*.part*"):
        with contextlib.suppress(OSError):
            path.unlink()


def _open_sinks(spec: ReplaySpec) -> list[Any]:
    if spec.event_log is None and spec.webhook is None:
        return []
    from .sinks import ENV_WEBHOOK_SECRET, configure_sinks

    return list(configure_sinks(spec.event_log, spec.webhook, os.environ.get(ENV_WEBHOOK_SECRET)))


def _close_sinks(sinks: list[Any]) -> None:
    if sinks:
        from .sinks import unregister_sinks

        unregister_sinks(sinks)


def run_replay(
    spec: ReplaySpec,
    *,
    force: bool = False,
    executor: Executor | None = None,
    observer: ReplayObserver | None = None,
) -> ReplayReport:
    """Run every recording of ``spec`` that is not done and fresh; return what happened.

    Holds the output folder's lock for the whole run (:class:`ReplayLockedError` if another
    replay holds it). A recording that fails is reported and the others go on. ``force``
    redoes everything, ignoring the state and the stage cache. Ctrl-C stops the workers, saves
    the state and re-raises :class:`KeyboardInterrupt`: the same call resumes.
    """
    started_at, started = _now(), time.perf_counter()
    recordings = plan_recordings(spec)
    ensure_writable_dir(spec.output)
    with ReplayLock(spec.output):
        state = ReplayState(spec.output)
        params = spec.fingerprint()
        view = _View(spec, observer)
        reports: dict[str, RecordingReport] = {}
        todo: deque[Task] = deque()
        refused: list[tuple[str, str]] = []
        by_key = {r.key: r for r in recordings}
        for rec in recordings:
            prior = state.get(rec.key)
            try:
                size, mtime_ns, digest = _input_digest(rec.input, prior)
            except OSError as exc:  # gone or unreadable since the spec was loaded
                problem = InputError(rec.input, f"cannot be read ({exc.strerror or exc})")
                reports[rec.key] = RecordingReport(rec.key, str(rec.input), "failed", str(rec.folder),
                                                   error=str(problem), hint="check the file and run again")
                refused.append((str(rec.input), str(problem)))
                view.set(rec.key, status="failed", error=str(problem), fraction=1.0)
                continue
            why = "--force" if force else _staleness(prior, digest, params, spec.output)
            if not why and prior is not None:
                reports[rec.key] = RecordingReport(rec.key, str(rec.input), "skipped", str(rec.folder),
                                                   reason="done and fresh", seconds=prior.seconds,
                                                   attempts=prior.attempts, worker=prior.worker,
                                                   outputs=tuple(prior.outputs), stages=tuple(prior.stages))
                view.set(rec.key, status="skipped", fraction=1.0)
                continue
            rs = RecordingState(rec.key, str(rec.input), size, mtime_ns, digest, params,
                                outputs=prior.outputs if prior else {})
            state.recordings[rec.key] = rs
            job = spec.job_for(rec, force=force, use_cache=not force)
            try:
                job = _preflight(job, prior, spec.output)
            except StreamkitError as exc:
                rs.status, rs.error, rs.hint, rs.finished = "failed", str(exc), exc.hint, _now()
                reports[rec.key] = _report(rec, rs, why)
                refused.append((str(rec.input), str(exc)))
                view.set(rec.key, status="failed", error=str(exc), fraction=1.0)
                continue
            todo.append(Task(rec.key, job))
            view.set(rec.key, status="pending")
            reports[rec.key] = _report(rec, rs, why)  # replaced when it finishes
        state.save()

        runner = executor or (make_executor(spec) if todo else None)
        sinks = _open_sinks(spec)
        try:
            for recording, error in refused:
                notify("run_finished", run_id="", recording=recording, summary={}, error=error)
            if runner is not None:
                _drive(spec, runner, todo, state, by_key, reports, view)
        except BaseException:
            for rs in state.recordings.values():
                if rs.status == "running":
                    rs.status, rs.error = "pending", "interrupted"
            state.save()
            if runner is not None:
                runner.close(interrupted=True)
            raise
        finally:
            _close_sinks(sinks)
        if runner is not None:
            runner.close()
        state.save()
        report = ReplayReport(str(spec.path), spec.name, str(spec.output),
                              runner.name if runner else spec.executor,
                              runner.slots if runner else spec.workers, started_at,
                              time.perf_counter() - started, tuple(reports[r.key] for r in recordings))
        atomic_write_text(spec.output / "replay-report.json",
                          json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        return report


def _report(rec: Recording, rs: RecordingState, reason: str) -> RecordingReport:
    status = {"done": "done", "failed": "failed"}.get(rs.status, "failed")
    return RecordingReport(rec.key, str(rec.input), status, str(rec.folder), reason=reason,
                           error=rs.error, hint=rs.hint, seconds=rs.seconds, attempts=rs.attempts,
                           worker=rs.worker, outputs=tuple(rs.outputs), stages=tuple(rs.stages))


def _drive(spec: ReplaySpec, runner: Executor, todo: deque[Task], state: ReplayState,
           by_key: dict[str, Recording], reports: dict[str, RecordingReport], view: _View) -> None:
    reasons = {k: r.reason for k, r in reports.items()}
    jobs = {t.key: t.job for t in todo}
    losses: Counter[str] = Counter()
    while todo or runner.busy():
        while todo and runner.busy() < runner.slots:
            task = todo.popleft()
            rec = by_key[task.key]
            rs = state.recordings[task.key]
            rs.status, rs.error, rs.hint, rs.started = "running", "", "", _now()
            rs.attempts += 1
            _remove_part_files(rec)
            runner.submit(runner.prepare(replace(task, attempt=rs.attempts), rec))
            state.save()
            view.set(task.key, status="running", attempt=rs.attempts, stage="", done=0.0, total=0.0, fraction=0.0)
        for finished in runner.wait(0.2):
            rec, rs = by_key[finished.key], state.recordings[finished.key]
            outcome = finished.outcome
            if outcome is None:
                losses[finished.key] += 1
                if losses[finished.key] < MAX_WORKER_LOSSES:
                    log.warning("%s: %s; running it again", rec.key, finished.lost)
                    rs.status, rs.error = "pending", finished.lost
                    todo.appendleft(Task(rec.key, jobs[rec.key]))
                    view.set(rec.key, status="retrying", error=finished.lost)
                else:
                    rs.status, rs.finished = "failed", _now()
                    rs.error = f"{finished.lost} ({losses[finished.key]} times while running it)"
                    rs.hint = "a worker was killed or ran out of memory; run the same command again to resume"
                    notify("run_finished", run_id="", recording=str(rec.input), summary={}, error=rs.error)
                    view.set(rec.key, status="failed", error=rs.error, fraction=1.0)
                    reports[rec.key] = _report(rec, rs, reasons.get(rec.key, ""))
                state.save()
                continue
            _finish(spec, runner, rec, rs, outcome)
            reports[rec.key] = _report(rec, rs, reasons.get(rec.key, ""))
            state.save()
            view.set(rec.key, status=rs.status, error=rs.error, fraction=1.0)
        for message in runner.messages():
            view.message(message)


def _finish(spec: ReplaySpec, runner: Executor, rec: Recording, rs: RecordingState, outcome: Outcome) -> None:
    """Record one recording's outcome: write returned files, fire its events, update its state."""
    try:
        runner.materialize(outcome, rec)
    except StreamkitError as exc:
        outcome.summary, outcome.error = None, exc
    for hook, kwargs in outcome.events:
        notify(hook, **kwargs)
    rs.finished, rs.seconds, rs.worker = _now(), round(outcome.seconds, 3), outcome.worker
    if outcome.ok and outcome.summary is not None:
        rs.status, rs.error, rs.hint = "done", "", ""
        rs.stages = list(outcome.summary.get("stages", []))
        rs.outputs = _outputs(outcome.summary, rec, spec.output)
    else:
        rs.status = "failed"
        rs.error = outcome.error_text or outcome.message
        rs.hint = outcome.error.hint if outcome.error is not None else "this is a streamkit bug; see the log"
        stages = [e for h, e in outcome.events if h == "stage_finished"]
        rs.stages = [{"stage": e["stage"], "seconds": round(e["seconds"], 3), "note": "", "error": e["error"]}
                     for e in stages]
        if outcome.detail:
            log.debug("%s failed:\n%s", rec.key, outcome.detail)


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class StatusRow:
    key: str
    input: str
    #: ``done``, ``stale``, ``pending``, ``running``, ``failed``
    status: str
    reason: str = ""
    error: str = ""
    finished: str = ""
    seconds: float = 0.0
    outputs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["outputs"] = list(self.outputs)
        return d


def replay_status(spec: ReplaySpec) -> tuple[list[StatusRow], str | None]:
    """Every recording's status from the state (no lock taken), and who runs a replay now (or ``None``)."""
    holder = ReplayLock.holder(spec.output)
    state = ReplayState(spec.output)
    params = spec.fingerprint()
    rows = []
    for rec in plan_recordings(spec):
        rs = state.get(rec.key)
        try:
            _, _, digest = _input_digest(rec.input, rs)
            why = _staleness(rs, digest, params, spec.output)
        except OSError as exc:
            rows.append(StatusRow(rec.key, str(rec.input), "failed", error=f"cannot be read ({exc.strerror or exc})"))
            continue
        if rs is None:
            status = "pending"
        elif rs.status == "running":
            status, why = ("running", "") if holder else ("pending", "interrupted last time")
        elif rs.status == "failed":
            status = "failed"
        elif rs.status == "done":
            status = "stale" if why else "done"
        else:
            status = "pending"
        rows.append(StatusRow(rec.key, str(rec.input), status, why if status in ("stale", "pending") else "",
                              rs.error if rs else "", rs.finished if rs else "", rs.seconds if rs else 0.0,
                              tuple(rs.outputs) if rs else ()))
    return rows, holder

