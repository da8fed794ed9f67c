"""``check`` and ``fix`` on 100,000 cues (a fan compilation): bounded memory, linear passes.

No timings here (they are in ``bench/editor_scale.py`` and ``docs/benchmarks.md``): memory is
the child process's peak RSS, and the work per cue is counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

import streamkit.checks as checks
import streamkit.quality.detectors as detectors
from streamkit.checks import check_track
from streamkit.cli import app
from streamkit.segment import KOREAN_RULES
from streamkit.subtitles import parse_raw

from .manycues import many_cues_srt, write_many_cues

runner = CliRunner()


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_many_cues(tmp_path_factory.mktemp("scale") / "compilation.ko.srt", 100_000)


def _normalize_calls(count: int, monkeypatch: pytest.MonkeyPatch) -> int:
    cues = parse_raw(many_cues_srt(count))
    calls = 0
    real = detectors.normalize_text

    def counting(text: str) -> str:
        nonlocal calls
        calls += 1
        return real(text)

    with monkeypatch.context() as m:
        m.setattr(detectors, "normalize_text", counting)
        m.setattr(checks, "normalize_text", counting)
        check_track(cues, KOREAN_RULES, Fraction(24), "ko")
    return calls


def test_the_check_pass_normalizes_each_cue_a_bounded_number_of_times(monkeypatch: pytest.MonkeyPatch) -> None:
    # The outro table used to be re-normalized for every cue (about 50 normalizations per cue,
    # most of the 318 s): text work must stay a small constant per cue, whatever the file length.
    small, large = _normalize_calls(500, monkeypatch), _normalize_calls(2000, monkeypatch)
    assert large <= 4 * small + 16
    assert large <= 12 * 2000


def _measured(args: list[str], stdout: Path) -> tuple[int, str, float]:
    """Exit code, stdout and peak RSS (MB) of ``python -m streamkit ARGS`` in a child process."""
    script = (
        "import json, resource, subprocess, sys\n"
        "with open(sys.argv[1], 'w') as out:\n"
        "    cmd = [sys.executable, '-m', 'streamkit', *sys.argv[2:]]\n"
        "    r = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'rc': r.returncode, 'err': r.stderr.decode(), 'peak': peak}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(stdout), *args], capture_output=True, text=True,
                          check=True, env={**os.environ, "COLUMNS": "120"})
    result = json.loads(done.stdout)
    assert "Traceback" not in result["err"], result["err"]
    return result["rc"], stdout.read_text(encoding="utf-8"), result["peak"]


@pytest.mark.slow
def test_check_on_100000_cues_prints_a_bounded_table_and_counts(big: Path, tmp_path: Path) -> None:
    code, output, peak = _measured(["check", str(big), "--no-glossary"], tmp_path / "out.txt")
    assert code == 1
    lines = output.splitlines()
    assert len(lines) < 500, "the table must stop at TABLE_ROWS rows (Rich lays a table out whole, in memory)"
    assert "100000 cues" in lines[0]
    assert any("the first 200 of" in ln and "--all" in ln for ln in lines)
    assert any(ln.split(" ")[1:2] == ["errors,"] for ln in lines)
    assert peak < 300, f"peak RSS {peak:.0f} MB (was 1.3 GB with the whole Rich table)"


@pytest.mark.slow
def test_fix_json_on_100000_cues_stays_under_300_mb(big: Path, tmp_path: Path) -> None:
    # --json is streamed item by item (check --json shares the writer; it took 700 MB whole).
    target = tmp_path / "fixed.ko.srt"
    code, output, peak = _measured(["fix", str(big), "-o", str(target), "--json"], tmp_path / "fix.json")
    assert code == 0 and peak < 300, f"fix --json: peak RSS {peak:.0f} MB"
    report = json.loads(output)
    assert report["cues"] == 100_000 and len(report["changes"]) > 100_000
    assert len(report["remaining"]) >= report["remaining_errors"] > 0
    assert target.read_text(encoding="utf-8").count(" --> ") == 100_000


def _cli(args: list[str]) -> tuple[int, str]:
    result = runner.invoke(app, args)
    return result.exit_code, result.output


def test_check_all_prints_every_problem_as_one_plain_line(tmp_path: Path) -> None:
    path = write_many_cues(tmp_path / "some.ko.srt", 400)
    code, table = _cli(["check", str(path), "--no-glossary"])
    code_all, plain = _cli(["check", str(path), "--no-glossary", "--all"])
    code_json, as_json = _cli(["check", str(path), "--no-glossary", "--json"])
    problems = json.loads(as_json)["problems"]
    assert code == code_all == code_json == 1 and len(problems) > 200
    rows = [ln.split("\t") for ln in plain.splitlines() if ln.count("\t") == 5]
    assert [(int(r[0]), r[4]) for r in rows] == [(p["cue"], p["code"]) for p in problems]
    assert f"the first 200 of {len(problems)} problems" in " ".join(table.split())
