from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from streamkit import modelstore
from streamkit.errors import ModelError, ModelIntegrityError
from streamkit.modelstore import BUNDLED_SOURCES, assemble, bundled_model_dir


def _parts(tmp_path: Path) -> tuple[dict[str, list[Path]], dict[str, str]]:
    a, b, cfg = tmp_path / "p1", tmp_path / "p2", tmp_path / "config.json"
    a.write_bytes(b"A" * 1000)
    b.write_bytes(b"B" * 777)
    cfg.write_text("{}")
    pieces = {"model.bin": [a, b], "config.json": [cfg]}
    sha = {
        "model.bin": hashlib.sha256(b"A" * 1000 + b"B" * 777).hexdigest(),
        "config.json": hashlib.sha256(b"{}").hexdigest(),
    }
    return pieces, sha


def test_assemble_concatenates_in_order_and_verifies(tmp_path: Path) -> None:
    pieces, sha = _parts(tmp_path)
    target = assemble(pieces, sha, tmp_path / "cache" / "m")
    assert (target / "model.bin").read_bytes() == b"A" * 1000 + b"B" * 777
    assert (target / ".streamkit-verified.json").is_file()
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["m"]


def test_a_part_with_a_flipped_byte_is_refused_and_nothing_is_cached(tmp_path: Path) -> None:
    pieces, sha = _parts(tmp_path)
    pieces["model.bin"][1].write_bytes(b"B" * 776 + b"C")
    with pytest.raises(ModelIntegrityError, match=r"sha256 mismatch for model\.bin") as info:
        assemble(pieces, sha, tmp_path / "cache" / "m")
    assert info.value.expected == sha["model.bin"]
    assert "refused" in str(info.value)
    assert list((tmp_path / "cache").iterdir()) == []


def test_bundled_model_is_assembled_once_then_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMKIT_CACHE", str(tmp_path))
    first = bundled_model_dir()
    assert (first / "model.bin").stat().st_size > 100_000_000
    digest = hashlib.sha256((first / "model.bin").read_bytes()).hexdigest()
    assert digest in {s.sha256["model.bin"] for s in BUNDLED_SOURCES}
    stamp = (first / "model.bin").stat().st_mtime_ns
    assert bundled_model_dir() == first
    assert (first / "model.bin").stat().st_mtime_ns == stamp  # reused, not rebuilt


def test_a_tampered_cache_is_rebuilt_from_the_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMKIT_CACHE", str(tmp_path))
    folder = bundled_model_dir()
    with open(folder / "model.bin", "r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    os.utime(folder / "model.bin", ns=(1, 1))
    again = bundled_model_dir()
    digest = hashlib.sha256((again / "model.bin").read_bytes()).hexdigest()
    assert digest in {s.sha256["model.bin"] for s in BUNDLED_SOURCES}


def test_missing_packages_say_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMKIT_CACHE", str(tmp_path))
    monkeypatch.setattr(modelstore.BundledSource, "locate", lambda self: None)
    with pytest.raises(ModelError, match="not installed") as info:
        bundled_model_dir()
    assert "pip install" in info.value.hint


def _rot(path: Path, offset: int = 20_000_000, size: int = 1_000_000) -> None:
    """Overwrite ``size`` bytes of ``path`` and put its mtime back: what a size/mtime marker cannot see."""
    st = path.stat()
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(os.urandom(size))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_verify_hashes_every_file_and_repair_rebuilds_from_the_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamkit.modelstore import repair_bundled, verify_bundled

    monkeypatch.setenv("STREAMKIT_CACHE", str(tmp_path))
    assert verify_bundled() is None  # nothing cached yet: nothing to verify
    folder = bundled_model_dir()
    check = verify_bundled()
    assert check is not None and check.ok and check.folder == folder and len(check.files) == 4
    _rot(folder / "model.bin")
    assert bundled_model_dir() == folder  # the quick size/mtime marker is fooled ...
    check = verify_bundled()
    assert check is not None and not check.ok and check.damaged == ("model.bin",)  # ... the hash is not
    assert "model.bin: sha256" in check.problem()
    (folder / "tokenizer.json").unlink()
    assert verify_bundled().damaged == ("model.bin", "tokenizer.json")  # type: ignore[union-attr]
    assert repair_bundled() == folder
    again = verify_bundled()
    assert again is not None and again.ok
