"""The replay spec: a ``pipelines/*.toml`` file read and validated (:func:`load_spec`), and the
recordings it names, each with its output folder (:func:`plan_recordings`).

A spec speaks the job vocabulary of :mod:`streamkit.jobconfig` (``[model]``, ``[transcribe]``,
``[translate]``, ``[translator]``, ``[glossary]``, ``[output]``, ``[hooks]``) plus its own ``[job]``,
``[run]`` and ``output.layout``. ``[job] config = "PATH"`` inherits a config file (``streamkit.toml``):
its settings apply where the spec says nothing.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..cache import file_digest
from ..config import load_config
from ..errors import ConfigError
from ..job import JobSettings, SubtitleJob
from ..jobconfig import Key, Layer, build_settings, check_tables, glossary_files, merged_schema, read_toml
from ..subtitles import FORMATS
from ..transcribe import TranscribeOptions
from ..translation.options import DEFAULT_ENGINE, settings_table
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


#: A spec's own sections and keys, besides the job vocabulary (:data:`streamkit.jobconfig.SECTIONS`).
SPEC_SECTIONS: dict[str, dict[str, Key]] = {
    "job": {"name": Key("str"), "inputs": Key("strings"), "output": Key("str"), "config": Key("str")},
    "output": {"layout": Key("str", choices=LAYOUTS)},
    "run": {"workers": Key("int", 1), "executor": Key("str", choices=EXECUTORS), "address": Key("str"),
            "gpus_per_worker": Key("number"), "cpus_per_worker": Key("number"),
            "cpu_threads_per_worker": Key("int"), "ship_media": Key("bool")},
}
SCHEMA = merged_schema(SPEC_SECTIONS)
REQUIRED = (("job", "inputs"), ("job", "output"))


@dataclass(frozen=True)
class ReplaySpec:
    """A validated replay spec. Paths are absolute; ``inputs`` are expanded, sorted, deduplicated."""

    path: Path
    name: str
    inputs: tuple[Path, ...]
    output: Path
    patterns: tuple[str, ...] = ()
    #: What every recording's job is made of (the spec over its inherited config file).
    job: JobSettings = field(default_factory=JobSettings)
    #: The glossary files ``job.glossary`` was loaded from (part of the fingerprint).
    glossary: tuple[Path, ...] = ()
    layout: str = "per-recording"
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
    def model(self) -> str | None:
        return self.job.model.name

    @property
    def model_reason(self) -> str | None:
        return self.job.model.reason

    @property
    def device(self) -> str:
        return self.job.model.device

    @property
    def compute_type(self) -> str | None:
        return self.job.model.compute_type

    @property
    def formats(self) -> tuple[str, ...]:
        return self.job.outputs.formats

    @property
    def event_log(self) -> Path | None:
        return self.job.hooks.event_log

    @property
    def webhook(self) -> str | None:
        return self.job.hooks.webhook

    def stages(self) -> tuple[str, ...]:
        """The pipeline stages each recording goes through (for progress)."""
        return tuple(s for s in STAGE_WEIGHTS if not (s == "translate" and not self.job.translate.enabled)
                     and not (s == "mux" and not self.job.outputs.mux))

    def fingerprint(self) -> str:
        """sha256 over every setting that affects a recording's outputs (not where or how it runs)."""
        job, out = self.job, self.job.outputs
        glossary = {str(p): (file_digest(p) if p.is_file() else "missing") for p in self.glossary}
        default = asdict(TranscribeOptions())
        decoding = {k: v for k, v in asdict(job.decoding).items() if v != default[k]}
        targets = job.translate.targets
        data = {
            "model": job.model.name, "device": job.model.device, "compute_type": job.model.compute_type,
            **({"decoding": decoding} if decoding else {}),  # absent: fingerprints stay as before
            "translator": job.translate.engine, "target": targets[0],
            **({"targets": list(targets)} if len(targets) > 1 else {}),  # one: fingerprints stay as before
            "settings": settings_table(job.translate.settings), "glossary": glossary,
            "formats": list(out.formats), "container": out.container, "mux": out.mux, "burn_in": out.burn_in,
        }
        blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def job_for(self, recording: Recording, *, force: bool = False, use_cache: bool = True) -> SubtitleJob:
        """The :class:`SubtitleJob` that produces ``recording``'s outputs: the one pipeline, no copy."""
        return self.job.job_for(recording.input, folder=recording.folder, force=force, use_cache=use_cache)


class _Reader:
    """Reads one section of a parsed spec, checking types and naming ``section.key`` on error."""

    def __init__(self, path: Path, shown: Path) -> None:
        self.path = path
        self.data: dict[str, dict[str, object]] = {}
        self.base = path.parent
        self.shown = shown  # as the user wrote it, for messages

    def fail(self, key: str, problem: str, hint: str | None = None) -> SpecError:
        return SpecError(self.shown, key, problem, hint=hint)

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.data.get(section, {}).get(key, default)

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
    r = _Reader(path, shown)
    data = read_toml(path, lambda problem, hint: r.fail("", problem, hint), what="spec file",
                     missing_hint="give the path of a pipelines/*.toml file")
    r.data = check_tables(data, SCHEMA, r.fail, where=f"replay spec {shown}")
    for section, key in REQUIRED:
        if key not in r.data.get(section, {}):
            raise r.fail(f"{section}.{key}", "is required", hint=f"add {key} = ... under [{section}]")

    raw_output: str = r.get("job", "output")
    output = r.resolve(raw_output)
    if output.exists() and not output.is_dir():
        raise r.fail("job.output", f"{output} exists and is not a folder")
    patterns: list[str] = r.get("job", "inputs")
    inputs = _expand_inputs(r, patterns, output)
    _check_output_inside(r, raw_output, output, inputs)

    layers = [*_inherited(r), Layer(f"replay spec {path}", _job_tables(r.data), base=path.parent)]
    _check_job(r, layers)
    try:
        job = build_settings(layers)
    except ConfigError as exc:
        raise r.fail(exc.key, exc.message, exc.hint) from exc
    spec = ReplaySpec(path=path, name=r.get("job", "name", path.stem), inputs=inputs, output=output,
                      patterns=tuple(patterns), job=job, glossary=glossary_files(layers),
                      layout=r.get("output", "layout", "per-recording"), **_run_settings(r))
    plan_recordings(spec, shown=shown)  # refuses output name collisions now, naming the inputs
    return spec


def _job_tables(data: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    """The spec's job vocabulary, without its own sections and keys."""
    return {section: {k: v for k, v in body.items() if k not in SPEC_SECTIONS.get(section, {})}
            for section, body in data.items() if section not in ("job", "run")}


def _inherited(r: _Reader) -> list[Layer]:
    """``[job] config``: the config file the spec builds on (relative to the spec's folder)."""
    raw: str | None = r.get("job", "config")
    if raw is None:
        return []
    path = r.resolve(raw)
    if not path.is_file():
        raise r.fail("job.config", f"{raw!r}: no such file ({path})")
    return [load_config(path).layer()]


def _check_job(r: _Reader, layers: list[Layer]) -> None:
    """What the spec says about the job, refused naming its key before the job is built."""
    def pick(section: str, key: str, default: Any = None) -> Any:
        return next((lay.values[section][key] for lay in reversed(layers) if key in lay.values.get(section, {})),
                    default)

    engine: str = pick("translate", "engine", DEFAULT_ENGINE)
    _check_engine(r, engine)
    targets = _targets(r, pick("translate", "targets", ["en"]))
    formats = [f.strip().lower().lstrip(".") for f in pick("output", "formats", ["srt"])]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise r.fail("output.formats", f"unknown format {', '.join(bad) or '(none)'}",
                     hint=f"choose from {', '.join(FORMATS)}")
    burn_in: str | None = pick("output", "burn_in")
    if burn_in is not None:
        if burn_in not in ("ko", *targets):
            raise r.fail("output.burn_in", f"{burn_in!r}: no such track", hint=f"use {', '.join(targets)} or ko")
        if burn_in != "ko" and engine == "none":
            raise r.fail("output.burn_in", f"{burn_in!r} needs a translation, but translate.engine is 'none'")
        if not pick("output", "mux", True):
            raise r.fail("output.burn_in", "needs output.mux = true (burn-in writes the replay video)")
    for raw, p in zip(r.get("glossary", "files", []), glossary_files(layers[-1:]), strict=True):
        if not p.is_file():
            raise r.fail("glossary.files", f"{raw!r}: no such file ({p})")
    webhook: str | None = pick("hooks", "webhook")
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        raise r.fail("hooks.webhook", f"{webhook!r} is not an http(s):// URL")


def _run_settings(r: _Reader) -> dict[str, Any]:
    """``[run]``: where and how the recordings run (not part of the fingerprint)."""
    gpus = float(r.get("run", "gpus_per_worker", 0.0))
    cpus = float(r.get("run", "cpus_per_worker", 1.0))
    threads: int = r.get("run", "cpu_threads_per_worker", 0)
    if gpus < 0 or cpus <= 0 or threads < 0:
        key = "gpus_per_worker" if gpus < 0 else "cpus_per_worker" if cpus <= 0 else "cpu_threads_per_worker"
        raise r.fail(f"run.{key}", "must not be negative" + (" or zero" if key == "cpus_per_worker" else ""))
    return {"workers": r.get("run", "workers", 1), "executor": r.get("run", "executor", "local"),
            "address": r.get("run", "address"), "gpus_per_worker": gpus, "cpus_per_worker": cpus,
            "cpu_threads_per_worker": threads, "ship_media": r.get("run", "ship_media", False)}


def _targets(r: _Reader, raw: list[str]) -> tuple[str, ...]:
    """``[translate] targets`` checked as ``--to`` is (known codes, not Korean)."""
    from ..languages import parse_targets

    try:
        return parse_targets(raw)
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
