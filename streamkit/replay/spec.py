"""The replay spec: a ``pipelines/*.toml`` file read and validated (:func:`load_spec`), and the
recordings it names, each with its output folder (:func:`plan_recordings`)."""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cache import file_digest
from ..errors import ConfigError
from ..glossary import Glossary, load_glossary
from ..mux import CONTAINERS
from ..pipeline import SubtitleJob
from ..subtitles import FORMATS
from ..transcribe import DEVICES, TUNABLE, TranscribeOptions, tunable_problem
from ..workspace import Workspace

EXECUTORS = ("local", "ray")
LAYOUTS = ("per-recording", "flat")
#: Pipeline stages with their rough share of a recording's work (drives the progress bars).
STAGE_WEIGHTS = {"media": 0.05, "transcribe": 0.55, "translate": 0.3, "segment": 0.01, "subtitles": 0.01,
                 "mux": 0.08}


class SpecError(ConfigError):
    """A replay spec that cannot be used: names the spec file and the dotted key."""

    def __init__(self, path: Path | str, key: str, problem: str, *, hint: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{key}: {problem}" if key else problem, key=key, source=str(self.path), hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "path": self.path, "problem": self.problem}


#: section -> key -> kind. Kinds: str, bool, int, number, strings (list of str), table.
SCHEMA: dict[str, dict[str, str]] = {
    "job": {"name": "str", "inputs": "strings", "output": "str"},
    "model": {"name": "str", "device": "str", "compute_type": "str"},
    "transcribe": {key: "bool" if kind is bool else "int" for key, (kind, _, _) in TUNABLE.items()},
    "translate": {"engine": "str", "target": "str", "targets": "strings", "settings": "table"},
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
    #: Every subtitle language (``targets = ["en", "ja", "zh-Hans"]``); empty: ``target_language`` only.
    targets: tuple[str, ...] = ()
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
        return Workspace(self.output).root

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
            **({"targets": list(self.targets)} if self.targets else {}),  # absent: fingerprints stay as before
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
            targets=self.targets,
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


def _check_output_inside(r: _Reader, raw: str, output: Path, inputs: Sequence[Path]) -> None:
    """A relative ``job.output`` stays in the tree that holds the spec and its recordings.

    ``pipelines/x.toml`` writing ``../replays/x`` beside ``../recordings/`` is the documented layout;
    ``../../x`` climbing out of that tree writes wherever the spec happens to sit: refused. An
    absolute folder is the producer's explicit choice.
    """
    if Path(raw).expanduser().is_absolute():
        return
    root = Path(os.path.commonpath([r.base.resolve(), *(p.resolve().parent for p in inputs)]))
    if not output.is_relative_to(root):
        raise r.fail("job.output", f"{raw!r} points outside the folder that holds the spec and its recordings "
                     f"({root}): it would write to {output}",
                     hint="use a folder inside it, or write the absolute path if you mean that place")


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

    raw_output = r.get("job", "output")
    output = r.resolve(raw_output)
    if output.exists() and not output.is_dir():
        raise r.fail("job.output", f"{output} exists and is not a folder")
    patterns: list[str] = r.get("job", "inputs")
    inputs = _expand_inputs(r, patterns, output)
    _check_output_inside(r, raw_output, output, inputs)

    device = r.choice("model", "device", "auto", DEVICES)
    translator: str = r.get("translate", "engine", "whisper")
    _check_engine(r, translator)
    target: str = r.get("translate", "target", "en")
    targets = _targets(r, target)
    target = targets[0] if targets else target
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
        if burn_in not in ("ko", target, *targets):
            raise r.fail("output.burn_in", f"{burn_in!r}: no such track",
                         hint=f"use {', '.join(targets or (target,))} or ko")
        if burn_in != "ko" and translator == "none":
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
        targets=targets,
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


def _targets(r: _Reader, target: str) -> tuple[str, ...]:
    """``[translate] targets`` checked as ``--to`` is (known codes, not Korean); () when absent."""
    from ..errors import ConfigError
    from ..languages import parse_targets

    raw: list[str] | None = r.get("translate", "targets")
    if raw is None:
        return ()
    try:
        return parse_targets(raw or [target])
    except ConfigError as exc:
        raise r.fail("translate.targets", exc.message, hint=exc.hint) from exc


def _check_engine(r: _Reader, name: str) -> None:
    if name == "none":
        return
    from ..translation.registry import available_engines

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
