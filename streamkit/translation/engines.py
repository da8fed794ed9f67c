"""The built-in engines, registered through the plugin hook exactly like a third party's (``plugins.BUILTIN_PLUGINS``).

The text engines of :data:`~streamkit.translation.adapters.ENGINES` and the offline ``whisper`` engine.
"""

from __future__ import annotations

from ..hookspecs import hookimpl
from .adapters import ENGINES
from .whisper import whisper_factory


@hookimpl
def register_translators(register) -> None:  # type: ignore[no-untyped-def]
    for name, cls in ENGINES.items():
        register(name, cls.from_context, cls.description)
    register("whisper", whisper_factory, "offline: Whisper's translate task on the audio (weak with base)")
