"""The config file: defaults a producer sets once (TOML), overridden by command-line options.

Looked up in order: ``--config PATH``, ``$STREAMKIT_CONFIG``, ``./streamkit.toml``,
``~/.config/streamkit/config.toml``. Unknown keys and wrong types are refused with the file
and key named, so a typo never silently does nothing.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["Config", "find_config", "load_config", "transcribe_settings"]

#: section -> key -> accepted type(s)
SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "subtitle": {
        "model": str,
        "device": str,
        "compute_type": str,
        "translator": str,
        "formats": list,
        "container": str,
        "out": str,
        "mux": bool,
        "targets": list,  # subtitle languages, as --to (["en", "ja", "zh-Hans"])
    },
    "transcribe": {},  # decoding settings, checked against transcribe.TUNABLE
    "translator": {},  # engine settings: TRANSLATOR_SHARED, ENGINE_KEYS (flat ENGINE_key or [translator.ENGINE])
}

_NUMBER = (int, float)
#: ``[translator]`` keys every engine shares (docs/translation.md).
TRANSLATOR_SHARED: dict[str, type | tuple[type, ...]] = {
    "timeout": _NUMBER, "retries": int, "backoff": _NUMBER, "backoff_max": _NUMBER,
    "cache": bool, "cache_path": str, "max_chars": int, "url": str,
}
#: Each built-in engine's own keys, as ``[translator.ENGINE] key`` or ``[translator] ENGINE_key``.
ENGINE_KEYS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "google": {"url": str, "max_chars": int},
    "deepl": {"api_key": str, "url": str, "max_chars": int},
    "papago": {"client_id": str, "client_secret": str, "api": str, "url": str, "max_chars": int},
    "libre": {"url": str, "api_key": str, "max_chars": int},
    "mymemory": {"email": str, "url": str, "max_chars": int},
}


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.values.get(section, {}).get(key, default)

    def describe(self, section: str, key: str) -> str:
        return f"config file {self.path}: {section}.{key} = {self.get(section, key)!r}"


def find_config(explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        return explicit
    env = os.environ.get("STREAMKIT_CONFIG")
    if env:
        return Path(env)
    for candidate in (Path("streamkit.toml"), Path.home() / ".config" / "streamkit" / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: Path | None = None) -> Config:
    path = find_config(explicit)
    if path is None:
        return Config()
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("config file not found", source=source) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file ({exc})", source=source) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc})", source=source) from exc
    for section, body in data.items():
        if section not in SCHEMA:
            raise ConfigError(f"unknown section [{section}]", key=section, source=source,
                              hint=f"known sections: {', '.join(SCHEMA)}")
        if not isinstance(body, dict):
            raise ConfigError(f"[{section}] must be a table", key=section, source=source)
        if section == "transcribe":
            _check_transcribe(body, source)
            continue
        if section == "translator":
            _check_translator(body, source)
            continue
        schema = SCHEMA[section]
        if not schema:
            continue
        for key, value in body.items():
            if key not in schema:
                raise _unknown(f"{section}.{key}", [f"{section}.{k}" for k in schema], source)
            if not isinstance(value, schema[key]) or (isinstance(value, bool) and schema[key] is not bool):
                expected = schema[key]
                want = expected.__name__ if isinstance(expected, type) else "value"
                raise ConfigError(f"{section}.{key} must be a {want}", key=key, source=source)
    return Config(path, data)


def _type_name(expected: type | tuple[type, ...]) -> str:
    return "number" if expected == _NUMBER else {"str": "string", "bool": "true or false", "int": "whole number"}.get(
        getattr(expected, "__name__", ""), "value")


def _check_value(name: str, value: Any, expected: type | tuple[type, ...], source: str) -> None:
    """Refuse a value of the wrong type, naming the key and the type (never the value: it may be a secret)."""
    wrong_bool = isinstance(value, bool) and expected is not bool
    if wrong_bool or not isinstance(value, expected):
        raise ConfigError(f"{name} must be a {_type_name(expected)}, not a {type(value).__name__}",
                          key=name, source=source)


def _unknown(name: str, known: list[str], source: str) -> ConfigError:
    import difflib

    near = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    return ConfigError(f"unknown key {name}" + (f" (did you mean {near[0]}?)" if near else ""), key=name,
                       source=source, hint="known keys: " + ", ".join(sorted(known)))


def _plugin_engines() -> set[str]:
    """Engines registered by plugins: their settings are theirs to check."""
    try:
        from .translation.registry import available_engines

        return set(available_engines()) - set(ENGINE_KEYS) - {"whisper"}
    except Exception:  # a broken plugin is reported where engines are used, not while reading the config
        return set()


def _check_translator(body: dict[str, Any], source: str) -> None:
    """``[translator]``: shared keys, ``ENGINE_key`` keys and ``[translator.ENGINE]`` tables, with their types."""
    flat = {**TRANSLATOR_SHARED, **{f"{e}_{k}": t for e, keys in ENGINE_KEYS.items() for k, t in keys.items()}}
    known = [*flat, *(f"{e}.{k}" for e, keys in ENGINE_KEYS.items() for k in keys)]
    plugins: set[str] | None = None
    for key, value in body.items():
        if key in ENGINE_KEYS:
            if not isinstance(value, dict):
                raise ConfigError(f"translator.{key} must be a table ([translator.{key}])", key=key, source=source)
            for sub, sub_value in value.items():
                if sub not in ENGINE_KEYS[key]:
                    raise _unknown(f"{key}.{sub}", known, source)
                _check_value(f"translator.{key}.{sub}", sub_value, ENGINE_KEYS[key][sub], source)
        elif key in flat:
            _check_value(f"translator.{key}", value, flat[key], source)
        else:
            plugins = _plugin_engines() if plugins is None else plugins
            if key in plugins or key.split("_", 1)[0] in plugins:
                continue
            raise _unknown(key, known, source)


def _check_transcribe(body: dict[str, Any], source: str) -> None:
    from .transcribe import tunable_problem

    for key, value in body.items():
        problem = tunable_problem(key, value)
        if problem:
            raise ConfigError(f"transcribe.{key} {problem}", key=key, source=source)


def transcribe_settings(config: Config) -> dict[str, Any]:
    """The ``[transcribe]`` table (checked on load) as :class:`~streamkit.transcribe.TranscribeOptions`
    keywords: decoding settings a producer may trade, e.g. ``beam_size = 2``, about 9 % faster at a
    slightly higher error rate (docs/benchmarks.md)."""
    return dict(config.values.get("transcribe", {}))
