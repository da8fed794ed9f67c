"""The config file: defaults a producer sets once (TOML), overridden by command-line options.

Looked up in order: ``--config PATH``, ``$STREAMKIT_CONFIG``, ``./streamkit.toml``,
``~/.config/streamkit/config.toml``. It speaks the job vocabulary of :mod:`streamkit.jobconfig`
(``[model]``, ``[transcribe]``, ``[translate]``, ``[translator]``, ``[glossary]``, ``[output]``,
``[hooks]``); unknown keys and wrong types are refused with the file and key named, so a typo never
silently does nothing. The older ``[subtitle]`` table is still read, with a deprecation warning.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .jobconfig import CONFIG_ONLY, DEPRECATED, Layer, check_tables, merged_schema, read_toml

__all__ = ["Config", "config_layer", "find_config", "load_config", "transcribe_settings"]


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    #: The file's tables in the job vocabulary (older spellings already moved to their new keys).
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, section: str, key: str, default: Any = None) -> Any:
        """``section.key``; an older spelling (``subtitle.translator``) reads its new key (``translate.engine``)."""
        section, key = DEPRECATED.get((section, key), (section, key))
        return self.values.get(section, {}).get(key, default)

    def describe(self, section: str, key: str) -> str:
        return f"config file {self.path}: {section}.{key} = {self.get(section, key)!r}"

    def layer(self) -> Layer:
        """This file as a layer of :func:`streamkit.jobconfig.build_settings`."""
        base = self.path.parent.resolve() if self.path is not None else Path()
        return Layer(f"config file {self.path}", self.values, base=base)


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

    def fail(key: str, problem: str, hint: str | None = None) -> ConfigError:
        return ConfigError(f"{key}: {problem}" if key else problem, key=key, source=source, hint=hint)

    data = read_toml(path, lambda problem, hint: fail("", problem, hint), what="config file")
    tables = check_tables(data, merged_schema(CONFIG_ONLY), fail, where=f"config file {path}")
    return Config(path, tables)


def config_layer(explicit: Path | None = None) -> Layer:
    """The config file (``--config``, else the lookup order) as a layer; an empty one when there is none."""
    return load_config(explicit).layer()


def transcribe_settings(config: Config) -> dict[str, Any]:
    """The ``[transcribe]`` table (checked on load) as :class:`~streamkit.transcribe.TranscribeOptions`
    keywords: decoding settings a producer may trade, e.g. ``beam_size = 2``, about 9 % faster at a
    slightly higher error rate (docs/benchmarks.md)."""
    return dict(config.values.get("transcribe", {}))
