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
    "translator": {},  # engine settings (issue: translation) live here, free-form per engine
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
        schema = SCHEMA[section]
        if not schema:
            continue
        for key, value in body.items():
            if key not in schema:
                raise ConfigError(f"unknown key {section}.{key}", key=key, source=source,
                                  hint=f"known keys: {', '.join(schema)}")
            if not isinstance(value, schema[key]) or (isinstance(value, bool) and schema[key] is not bool):
                expected = schema[key]
                want = expected.__name__ if isinstance(expected, type) else "value"
                raise ConfigError(f"{section}.{key} must be a {want}", key=key, source=source)
    return Config(path, data)


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
