"""The CLI reference in docs/ is generated from --help and must match the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REGENERATE = [sys.executable, "-m", "typer", "streamkit.cli", "utils", "docs", "--name", "streamkit",
              "--title", "streamkit command reference"]


def test_cli_reference_is_current(tmp_path: Path) -> None:
    out = tmp_path / "cli.md"
    subprocess.run([*REGENERATE, "--output", str(out)], check=True, capture_output=True, cwd=REPO)
    assert out.read_text(encoding="utf-8") == (REPO / "docs" / "cli.md").read_text(encoding="utf-8"), (
        "docs/cli.md is stale: regenerate it with " + " ".join(REGENERATE[1:]) + " --output docs/cli.md"
    )
