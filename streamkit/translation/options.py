"""What a run's translation needs, typed: the engine, the target languages, the ``[translator]`` settings.

:class:`TranslatorSettings` is the config file's ``[translator]`` table (shared keys, each engine's
own keys as ``[translator.ENGINE] key`` or ``[translator] ENGINE_key``), read once by
:meth:`TranslatorSettings.from_table`. :class:`TranslateOptions` is the translation part of a job.
Nothing here talks to a service; engines read their settings through :meth:`TranslatorSettings.lookup`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

__all__ = ["DEFAULT_ENGINE", "SHARED_KEYS", "SettingValue", "TranslateOptions", "TranslatorSettings"]

#: The engine a job uses when neither a flag, the config file nor a replay spec names one.
DEFAULT_ENGINE = "google"

SettingValue = str | int | float | bool

#: ``[translator]`` keys every engine shares (docs/translation.md).
SHARED_KEYS = ("timeout", "retries", "backoff", "backoff_max", "cache", "cache_path", "max_chars", "url")


@dataclass(frozen=True)
class TranslatorSettings:
    """The ``[translator]`` table: settings every engine shares, and each engine's own keys."""

    timeout: float | None = None
    retries: int | None = None
    backoff: float | None = None
    backoff_max: float | None = None
    cache: bool = True
    cache_path: str | None = None
    max_chars: int | None = None
    #: ``--translator-url``: the server of an engine whose server is the user's (libre, llm).
    url: str | None = None
    #: ``engine -> key -> value`` (``[translator.deepl] api_key``, or ``deepl_api_key`` in ``[translator]``).
    engines: Mapping[str, Mapping[str, SettingValue]] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Mapping[str, object]) -> TranslatorSettings:
        """From the ``[translator]`` table as TOML gives it (already validated by the config schema).

        A flat ``ENGINE_key`` is filed under its engine; a nested ``[translator.ENGINE]`` value wins
        over the flat one, as before.
        """
        shared: dict[str, object] = {}
        engines: dict[str, dict[str, SettingValue]] = {}
        for key, value in table.items():
            if key in SHARED_KEYS:
                shared[key] = value
            elif isinstance(value, Mapping):
                engines.setdefault(key, {}).update({str(k): v for k, v in value.items() if _is_value(v)})
            elif "_" in key and isinstance(value, str | int | float | bool):
                engine, _, sub = key.partition("_")
                engines.setdefault(engine, {}).setdefault(sub, value)
        return cls(
            timeout=_number(shared.get("timeout")),
            retries=_integer(shared.get("retries")),
            backoff=_number(shared.get("backoff")),
            backoff_max=_number(shared.get("backoff_max")),
            cache=shared.get("cache", True) is not False,
            cache_path=_text(shared.get("cache_path")),
            max_chars=_integer(shared.get("max_chars")),
            url=_text(shared.get("url")),
            engines=engines,
        )

    def lookup(self, engine: str, key: str) -> SettingValue | None:
        """``engine``'s own ``key`` (``[translator.ENGINE] key`` or ``ENGINE_key``); None when unset or empty."""
        value = self.engines.get(engine, {}).get(key)
        return None if value in (None, "") else value

    def with_url(self, url: str | None) -> TranslatorSettings:
        """These settings with ``--translator-url`` (``None`` keeps the config's)."""
        return self if url is None else replace(self, url=url)

    def fingerprint(self) -> str:
        """A digest of what changes a translation's wording (for the stage cache key).

        Credentials and transport settings (timeouts, retries, cache location) never change the
        wording, so they are left out: a rotated key does not re-translate, and no key reaches a
        file name or manifest.
        """
        wording = {"url": self.url, "max_chars": self.max_chars,
                   "engines": {e: {k: v for k, v in keys.items() if k in ("url", "api", "model", "max_chars")}
                               for e, keys in sorted(self.engines.items())}}
        return hashlib.sha256(json.dumps(wording, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TranslateOptions:
    """The translation part of a job: which engine, into which languages, with which settings."""

    engine: str = DEFAULT_ENGINE  # ``none``: Korean only
    targets: tuple[str, ...] = ("en",)
    settings: TranslatorSettings = field(default_factory=TranslatorSettings)

    @property
    def enabled(self) -> bool:
        return self.engine != "none"


def _is_value(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def settings_table(settings: TranslatorSettings) -> dict[str, object]:
    """The settings as a ``[translator]`` table (the inverse of :meth:`TranslatorSettings.from_table`):
    the shared keys that are set, and each engine's keys both nested (``{"deepl": {...}}``) and flat
    (``deepl_api_key``). A replay's fingerprint hashes it, as it hashed the spec's table before."""
    shared = {key: getattr(settings, key) for key in SHARED_KEYS if getattr(settings, key) is not None}
    if settings.cache:
        shared.pop("cache")
    table: dict[str, object] = dict(shared)
    for engine, keys in settings.engines.items():
        table[engine] = dict(keys)
        table.update({f"{engine}_{key}": value for key, value in keys.items()})
    return table
