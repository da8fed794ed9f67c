"""One builder of jobs from TOML: the config file (``streamkit.toml``), replay specs and command-line flags.

Every source is a :class:`Layer` in one vocabulary, checked against one schema (:data:`SECTIONS`,
each key a :class:`Key`); :func:`build_settings` merges the layers (later ones win, key by key) into
a typed :class:`~streamkit.job.JobSettings`. The vocabulary::

    [model]      name, device, compute_type
    [transcribe] the decoding settings: the fields of TranscribeOptions, typed from it (DECODING_KEYS)
    [translate]  engine, targets
    [translator] engine settings (shared keys, [translator.ENGINE] tables or ENGINE_key)
    [glossary]   files
    [output]     folder (config file only), formats, container, mux, burn_in, default_track
    [hooks]      event_log, webhook

Older spellings are read with a deprecation warning naming the new key (:data:`DEPRECATED`):
the config file's ``[subtitle]`` table and a replay spec's ``[translate] target`` and
``[translate] settings``.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
import tomllib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .job import CONTAINERS, HookOptions, JobSettings, ModelOptions, OutputOptions
from .quality import QualityOptions
from .transcribe import DEVICES, TranscribeOptions
from .translation.options import DEFAULT_ENGINE, TranslateOptions, TranslatorSettings

if typing.TYPE_CHECKING:
    from .glossary import Glossary

__all__ = ["DECODING_KEYS", "DEPRECATED", "SECTIONS", "Key", "Layer", "build_settings", "check_tables",
           "glossary_files", "read_toml"]

log = logging.getLogger("streamkit")

Fail = Callable[[str, str, "str | None"], ConfigError]


@dataclass(frozen=True)
class Key:
    """One key of the vocabulary: its kind, and the values it accepts."""

    kind: str  # str, bool, int, number, strings, numbers, table
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()
    secret: bool = False  # never echo the value in a message

    def problem(self, value: object) -> str | None:
        """Why ``value`` is not acceptable here, or None."""
        if not _is_kind(value, self.kind):
            shown = "" if self.secret else f" ({value!r})"
            return f"must be {_KIND_NAMES[self.kind]}, not {_toml_type(value)}{shown}"
        if self.choices and value not in self.choices:
            return f"{value!r} is not one of {', '.join(self.choices)}"
        if self.kind == "int" and isinstance(value, int):
            if self.high is not None and self.low is not None and not self.low <= value <= self.high:
                return f"must be between {self.low} and {self.high}, not {value}"
            if self.high is None and self.low is not None and value < self.low:
                return f"must be at least {self.low}, not {value}"
        return None


_KIND_NAMES = {"str": "a string", "bool": "true or false", "int": "an integer", "number": "a number",
               "strings": "a list of strings", "numbers": "a list of numbers", "table": "a table"}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_kind(value: object, kind: str) -> bool:
    checks: dict[str, Callable[[object], bool]] = {
        "str": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": _is_number,
        "strings": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "numbers": lambda v: isinstance(v, list) and all(_is_number(x) for x in v),
    }
    check = checks.get(kind)
    return check(value) if check is not None else isinstance(value, dict)


def _toml_type(value: object) -> str:
    names = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array", dict: "table"}
    return names.get(type(value), type(value).__name__)


# --------------------------------------------------------------------------- the schema

#: Fields of TranscribeOptions the run decides itself (the source language, the task, the hints
#: chosen per recording from the glossary, word timestamps that cue timing needs).
RUN_DECIDES = ("language", "task", "initial_prompt", "hotwords", "word_timestamps")
#: The range a whole-number decoding setting accepts (others: 0 and up).
BOUNDS = {"beam_size": (1, 10), "batch_size": (1, 64), "vad_min_silence_ms": (0, 10_000)}


def _decoding_keys() -> dict[str, Key]:
    """``[transcribe]``: every field of :class:`TranscribeOptions` a producer may set, typed from its annotation."""
    hints = typing.get_type_hints(TranscribeOptions)
    kinds = {int: "int", bool: "bool", float: "number", str: "str"}
    keys: dict[str, Key] = {}
    for f in dataclasses.fields(TranscribeOptions):
        hint = hints[f.name]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        base = args[0] if isinstance(hint, types.UnionType) and len(args) == 1 else hint
        kind = "numbers" if typing.get_origin(base) is tuple else kinds.get(base, "")
        if f.name in RUN_DECIDES or not kind:
            continue
        low, high = BOUNDS.get(f.name, (0, None))
        keys[f.name] = Key(kind, low, high) if kind == "int" else Key(kind)
    return keys


DECODING_KEYS = _decoding_keys()

_NUMBER = Key("number")
#: ``[translator]`` keys every engine shares (docs/translation.md).
TRANSLATOR_SHARED = {"timeout": _NUMBER, "retries": Key("int"), "backoff": _NUMBER, "backoff_max": _NUMBER,
                     "cache": Key("bool"), "cache_path": Key("str"), "max_chars": Key("int"), "url": Key("str")}
_SECRET = Key("str", secret=True)
#: Each built-in engine's own keys, as ``[translator.ENGINE] key`` or ``[translator] ENGINE_key``.
ENGINE_KEYS: dict[str, dict[str, Key]] = {
    "google": {"url": Key("str"), "max_chars": Key("int")},
    "deepl": {"api_key": _SECRET, "url": Key("str"), "max_chars": Key("int")},
    "papago": {"client_id": _SECRET, "client_secret": _SECRET, "api": Key("str"), "url": Key("str"),
               "max_chars": Key("int")},
    "libre": {"url": Key("str"), "api_key": _SECRET, "max_chars": Key("int")},
    "mymemory": {"email": _SECRET, "url": Key("str"), "max_chars": Key("int")},
}

#: section -> key -> Key: what the config file and a replay spec both say about a job.
SECTIONS: dict[str, dict[str, Key]] = {
    "model": {"name": Key("str"), "device": Key("str", choices=DEVICES), "compute_type": Key("str")},
    "transcribe": DECODING_KEYS,
    "translate": {"engine": Key("str"), "targets": Key("strings")},
    "translator": {},  # engine settings: checked by _check_translator
    "glossary": {"files": Key("strings")},
    "output": {"formats": Key("strings"), "container": Key("str", choices=CONTAINERS), "mux": Key("bool"),
               "burn_in": Key("str"), "default_track": Key("str")},
    "hooks": {"event_log": Key("str"), "webhook": Key("str")},
}
#: Only in the config file: the ``subtitle`` command's output folder (a replay spec has ``job.output``).
CONFIG_ONLY = {"output": {"folder": Key("str")}}

#: Older spellings, still read with a warning: (section, key) -> (section, key) in the vocabulary.
DEPRECATED: dict[tuple[str, str], tuple[str, str]] = {
    ("subtitle", "model"): ("model", "name"),
    ("subtitle", "device"): ("model", "device"),
    ("subtitle", "compute_type"): ("model", "compute_type"),
    ("subtitle", "translator"): ("translate", "engine"),
    ("subtitle", "targets"): ("translate", "targets"),
    ("subtitle", "formats"): ("output", "formats"),
    ("subtitle", "container"): ("output", "container"),
    ("subtitle", "mux"): ("output", "mux"),
    ("subtitle", "out"): ("output", "folder"),
    ("translate", "target"): ("translate", "targets"),  # one language: a list of one
    ("translate", "settings"): ("translator", ""),  # a table: merged into [translator]
}
_OLD_KEYS = {"subtitle": {old: SECTIONS.get(new[0], {}).get(new[1]) or CONFIG_ONLY["output"]["folder"]
                          for (section, old), new in DEPRECATED.items() if section == "subtitle"},
             "translate": {"target": Key("str"), "settings": Key("table")}}


def merged_schema(*extra: Mapping[str, Mapping[str, Key]]) -> dict[str, dict[str, Key]]:
    """:data:`SECTIONS` plus a source's own sections and keys (a spec's ``[job]``, ``[run]``)."""
    schema = {section: dict(keys) for section, keys in SECTIONS.items()}
    for more in extra:
        for section, keys in more.items():
            schema.setdefault(section, {}).update(keys)
    return schema


# --------------------------------------------------------------------------- reading


def read_toml(path: Path, fail: Callable[[str, str | None], ConfigError], *, what: str,
              missing_hint: str | None = None) -> dict[str, object]:
    """A TOML file's tables; every problem reading it is ``fail(problem, hint)``."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise fail(f"{what} not found", missing_hint) from exc
    except IsADirectoryError as exc:
        raise fail(f"is a folder, not a {what}", None) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read the {what} ({exc})", None) from exc
    except tomllib.TOMLDecodeError as exc:
        raise fail(f"not valid TOML ({exc})", None) from exc


def check_tables(data: dict[str, object], schema: Mapping[str, Mapping[str, Key]], fail: Fail,
                 *, where: str) -> dict[str, dict[str, object]]:
    """``data`` checked against ``schema`` (older spellings moved to their new keys, with a warning)."""
    tables: dict[str, dict[str, object]] = {}
    for section, body in data.items():
        known = schema.get(section, _OLD_KEYS.get(section))
        if known is None:
            raise fail(section, f"unknown section [{section}]", f"known sections: {', '.join(schema)}")
        if not isinstance(body, dict):
            raise fail(section, f"[{section}] must be a table, not {_toml_type(body)}", None)
        if section == "translator":
            _check_translator(body, fail)
            tables[section] = dict(body)
            continue
        for key, value in body.items():
            _check_key(section, key, value, known, fail)
            tables.setdefault(section, {})[key] = value
    return _move_deprecated(tables, where)


def _check_key(section: str, key: str, value: object, known: Mapping[str, Key], fail: Fail) -> None:
    dotted = f"{section}.{key}"
    spec = known.get(key) or _OLD_KEYS.get(section, {}).get(key)
    if spec is None:
        if section == "transcribe":
            raise fail(dotted, f"unknown key, not a decoding setting (known: {', '.join(known)})", None)
        near = difflib.get_close_matches(key, list(known), n=1, cutoff=0.5)
        raise fail(dotted, f"unknown key {dotted}" + (f" (did you mean {section}.{near[0]}?)" if near else ""),
                   f"known keys in [{section}]: " + ", ".join(known))
    problem = spec.problem(value)
    if problem:
        raise fail(dotted, problem, None)


def _move_deprecated(tables: dict[str, dict[str, object]], where: str) -> dict[str, dict[str, object]]:
    for (section, key), (new_section, new_key) in DEPRECATED.items():
        if key not in tables.get(section, {}):
            continue
        value = tables[section].pop(key)
        new = f"[{new_section}] {new_key}" if new_key else f"[{new_section}]"
        log.warning("%s: [%s] %s is deprecated, write %s instead (still read for now)", where, section, key, new)
        target = tables.setdefault(new_section, {})
        if not new_key:  # a table of engine settings: the [translator] keys win
            tables[new_section] = {**typing.cast(dict[str, object], value), **target}
        elif new_key not in target:
            target[new_key] = [value] if key == "target" else value
    tables.pop("subtitle", None)
    return tables


def _unknown(key: str, known: list[str], fail: Fail) -> ConfigError:
    """An unknown ``[translator]`` key, with the nearest known one (``deepl_key``: ``deepl_api_key``)."""
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    return fail(f"translator.{key}", "unknown key" + (f" (did you mean {near[0]}?)" if near else ""),
                "known keys: " + ", ".join(sorted(known)))


def _plugin_engines() -> set[str]:
    """Engines registered by plugins: their settings are theirs to check."""
    try:
        from .translation.registry import available_engines

        return set(available_engines()) - set(ENGINE_KEYS) - {"whisper"}
    except Exception:  # a broken plugin is reported where engines are used, not while reading the config
        return set()


def _check_translator(body: dict[str, object], fail: Fail) -> None:
    """``[translator]``: shared keys, ``ENGINE_key`` keys and ``[translator.ENGINE]`` tables, with their types."""
    flat = {**TRANSLATOR_SHARED, **{f"{e}_{k}": t for e, keys in ENGINE_KEYS.items() for k, t in keys.items()}}
    known = [*flat, *(f"{e}.{k}" for e, keys in ENGINE_KEYS.items() for k in keys)]
    plugins: set[str] | None = None
    for key, value in body.items():
        if key in ENGINE_KEYS:
            if not isinstance(value, dict):
                raise fail(f"translator.{key}", f"must be a table ([translator.{key}])", None)
            for sub, sub_value in value.items():
                if sub not in ENGINE_KEYS[key]:
                    raise _unknown(f"{key}.{sub}", known, fail)
                _check_secret(f"translator.{key}.{sub}", sub_value, ENGINE_KEYS[key][sub], fail)
        elif key in flat:
            _check_secret(f"translator.{key}", value, flat[key], fail)
        else:
            plugins = _plugin_engines() if plugins is None else plugins
            if key in plugins or key.split("_", 1)[0] in plugins:
                continue
            raise _unknown(key, known, fail)


def _check_secret(dotted: str, value: object, key: Key, fail: Fail) -> None:
    """Engine settings may be credentials: a wrong one is named by key and type, never by value."""
    problem = dataclasses.replace(key, secret=True).problem(value)
    if problem:
        raise fail(dotted, problem, None)


# --------------------------------------------------------------------------- layers and the builder


@dataclass(frozen=True)
class Layer:
    """One source of settings, checked, in the one vocabulary: a config file, a replay spec, the flags."""

    source: str  # "config file streamkit.toml", "replay spec pipelines/x.toml", "command line"
    values: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    base: Path = Path()  # relative paths in this layer are relative to this folder
    named: bool = True  # a setting from here is shown with its source (the model's reason)

    def describe(self, section: str, key: str) -> str:
        return f"{self.source}: {section}.{key} = {self.values[section][key]!r}"


def _pick(layers: Sequence[Layer], section: str, key: str) -> tuple[object, Layer | None]:
    for layer in reversed(layers):
        if key in layer.values.get(section, {}):
            return layer.values[section][key], layer
    return None, None


def _merged(layers: Sequence[Layer], section: str) -> dict[str, object]:
    merged: dict[str, object] = {}
    for layer in layers:
        for key, value in layer.values.get(section, {}).items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                value = {**typing.cast(dict[str, object], merged[key]), **value}
            merged[key] = value
    return merged


def glossary_files(layers: Sequence[Layer]) -> tuple[Path, ...]:
    """Every layer's ``[glossary] files``, in order (later files override earlier ones)."""
    found: list[Path] = []
    for layer in layers:
        files = layer.values.get("glossary", {}).get("files", [])
        found += [(layer.base / Path(str(f)).expanduser()).resolve() for f in typing.cast(list[str], files)]
    return tuple(found)


@functools.lru_cache(maxsize=4)
def _glossary(files: tuple[Path, ...]) -> Glossary:
    """The built-in glossary plus ``files``, loaded once per process (replay workers included)."""
    from .glossary import load_glossary

    return load_glossary(files)


def build_settings(layers: Sequence[Layer], *, keep_invented: bool = False) -> JobSettings:
    """The job settings the layers say (later layers win, key by key; defaults where none says).

    ``keep_invented`` (``--keep-invented``) turns the invented-text filter off."""

    def get(section: str, key: str, default: object = None) -> object:
        value, _ = _pick(layers, section, key)
        return default if value is None else value

    name, source = _pick(layers, "model", "name")
    model = ModelOptions(
        name=typing.cast("str | None", name),
        reason=source.describe("model", "name") if source is not None and source.named else None,
        device=str(get("model", "device", "auto")),
        compute_type=typing.cast("str | None", get("model", "compute_type")),
    )
    return JobSettings(
        outputs=_outputs(layers, get),
        model=model,
        decoding=_decoding(layers),
        quality=None if keep_invented else QualityOptions(),
        glossary=_glossary(glossary_files(layers)),
        translate=TranslateOptions(
            engine=str(get("translate", "engine", DEFAULT_ENGINE)),
            targets=tuple(typing.cast(Sequence[str], get("translate", "targets", ["en"]))),
            settings=TranslatorSettings.from_table(_merged(layers, "translator")),
        ),
        hooks=HookOptions(event_log=_path(layers, "hooks", "event_log"),
                          webhook=typing.cast("str | None", get("hooks", "webhook"))),
    )


def _outputs(layers: Sequence[Layer], get: Callable[..., object]) -> OutputOptions:
    formats = typing.cast(Sequence[str], get("output", "formats", ["srt"]))
    return OutputOptions(
        folder=_path(layers, "output", "folder"),
        formats=tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in formats if f.strip())),
        container=typing.cast("str | None", get("output", "container")),
        mux=bool(get("output", "mux", True)),
        burn_in=typing.cast("str | None", get("output", "burn_in")),
        default_track=typing.cast("str | None", get("output", "default_track")),
    )


def _path(layers: Sequence[Layer], section: str, key: str) -> Path | None:
    value, layer = _pick(layers, section, key)
    if value is None or layer is None:
        return None
    path = Path(str(value)).expanduser()
    return path if layer.base == Path() else (layer.base / path).resolve()


def _decoding(layers: Sequence[Layer]) -> TranscribeOptions:
    values = _merged(layers, "transcribe")
    if "temperature" in values:
        values["temperature"] = tuple(typing.cast(list[float], values["temperature"]))
    try:
        return TranscribeOptions(**values)  # type: ignore[arg-type]  # checked against DECODING_KEYS
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[transcribe]: {exc}", key="transcribe") from exc
