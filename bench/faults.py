"""A scripted fault tour (issue 13): bad inputs and faults a new user meets, each run through the real CLI.

    python bench/faults.py [--only TEXT|TEXT...] [--json] [--show]

The cases are in ``bench/fault_cases.py``.
Every case runs ``python -m streamkit ...`` in a child process, in a scratch folder of its own, and is
judged on the issue's four counts:

* no traceback (``Traceback (most recent call last)`` or ``internal error`` in the output; with
  ``-vv``, which asks for debug logs, only exit 70 or ``internal error`` counts);
* the exit code: 0 where the input is valid, non-zero (and not 70, the internal-error code) for a fault;
* inputs unchanged: the sha256 of every file the case made is the same after the run, except the
  outputs it names;
* no corrupt output reported as success: on exit 0 each named output exists and reads back (SRT:
  ``read_raw``; media: PyAV opens it; PNG, HTML and SQLite whole), on a non-zero exit no named
  output and no temp file was left;
* a fault is refused for its own reason: the output holds the words the case expects (the
  file, key or option at fault), not a usage error from a mistyped command line;
* no secret (raw or URL-encoded) in the output, or sent anywhere but its own service: credential cases point
  ``--translator-url`` at a loopback HTTP server that records every request, which must receive no
  key.

The cases are generated (malformed SRTs x the editor commands, bad media x mux, ...) and cheap: no
case runs the Whisper model, so the tour takes minutes, not hours. The model-backed faults (full disk
during a subtitle run, kill -9 of a replay, corrupt caches and models) have their own tests
(docs/reliability.md names them). Results: docs/reliability.md ("The fault tour").
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "bench"))

from fault_cases import SECRETS, Case, all_cases  # noqa: E402

from streamkit.media import find_ffmpeg  # noqa: E402
from streamkit.subtitles import read_raw  # noqa: E402


@dataclass
class Outcome:
    name: str
    rc: int
    problems: list[str]
    seconds: float


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("latin-1") if length else ""
        _Recorder.seen.append(f"{self.command} {self.path}\n{self.headers}\n{body}")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"translatedText": "hello"}')

    do_GET = do_POST = _record

    def log_message(self, *args: object) -> None:
        pass


def _hashes(folder: Path) -> dict[str, str]:
    out = {}
    for p in folder.rglob("*"):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _readable(path: Path) -> str | None:
    """Why the output at ``path`` is not a whole file, or None."""
    try:
        if path.suffix in (".srt", ".vtt"):
            read_raw(path)
        elif path.suffix == ".png":
            data = path.read_bytes()
            if not data.startswith(b"\x89PNG\r\n\x1a\n") or not data.rstrip().endswith(b"IEND\xaeB`\x82"):
                return "not a whole PNG"
        elif path.suffix == ".html":
            if "</html>" not in path.read_text(encoding="utf-8").lower():
                return "no </html>: cut short"
        elif path.suffix == ".sqlite":
            import sqlite3

            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                if db.execute("pragma integrity_check").fetchone()[0] != "ok":
                    return "SQLite integrity check failed"
            db.close()
        else:
            import av

            with av.open(str(path)) as container:
                if not container.streams or not container.duration:
                    return "no streams or no duration"
    except Exception as exc:  # a judge: any failure to read back is the finding
        return f"{type(exc).__name__}: {exc}"
    return None


def _run(case: Case, folder: Path, url: str) -> tuple[int, str, float]:
    """Run the case's command in ``folder``: exit code (-1: hung), stdout + stderr, seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMKIT_CONFIG", "STREAMKIT_DEEPL",
                                                                     "STREAMKIT_PAPAGO", "STREAMKIT_LIBRE",
                                                                     "STREAMKIT_MYMEMORY", "STREAMKIT_VIEWERS"))}
    env.update({"PYTHONPATH": str(REPO), "COLUMNS": "200", **case.env})
    args = [a.replace("{URL}", url) for a in case.args]
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "streamkit", *args], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=300, stdin=subprocess.DEVNULL)
        rc, text = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        rc, text = -1, "timed out (300 s)"
    return rc, text, time.perf_counter() - started


def _exit_problems(case: Case, rc: int, text: str) -> list[str]:
    problems: list[str] = []
    # -vv asks for debug logs, which show a handled error's traceback: only exit 70 is an internal error there.
    shown = "Traceback (most recent call last)" in text and "-vv" not in case.args
    if shown or "internal error" in text or rc == 70:
        problems.append("internal error / traceback")
    if rc == -1:
        problems.append("hang")
    if case.ok and rc != 0:
        problems.append(f"exit {rc}, expected 0: {text.strip().splitlines()[-1:]}")
    if not case.ok and (rc == 0 or (case.codes and rc not in case.codes)):
        problems.append(f"exit {rc}, expected {case.codes or 'non-zero'}")
    missing = [word for word in case.expect if word.lower() not in text.lower()]
    if missing:
        problems.append(f"message without {missing}: {text.strip().splitlines()[-2:]}")
    return problems


def _file_problems(case: Case, rc: int, before: dict[str, str], after: dict[str, str], folder: Path) -> list[str]:
    problems: list[str] = []
    changed = [n for n, h in before.items() if after.get(n) != h and n not in case.outputs]
    if changed:
        problems.append(f"inputs changed: {changed}")
    for name in case.outputs:
        out = folder / name
        if rc == 0 and out.exists() and (why := _readable(out)):
            problems.append(f"{name} reported written but unreadable: {why}")
        if rc != 0 and out.exists() and name not in before and name not in case.kept:
            problems.append(f"{name} left behind after a failure")
    leftovers = [n for n in after if ".part" in n or n.endswith(".tmp")]
    if leftovers:
        problems.append(f"temp files left: {leftovers}")
    return problems


def _secret_problems(case: Case, text: str, url: str) -> list[str]:
    """A secret (raw or URL-encoded) in the output, or sent to the loopback server (libre's key may go there)."""
    problems: list[str] = []
    for secret in case.env.values() if case.env is SECRETS else ():
        forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
        if any(form in text for form in forms):
            problems.append("a secret in the output")
        if case.server and "libre" not in secret and any(form in seen for seen in _Recorder.seen for form in forms):
            problems.append(f"a secret sent to {url}")
    return problems


def run_case(case: Case, folder: Path, url: str) -> tuple[Outcome, str]:
    """Run and judge one case; the outcome and the command's output."""
    folder.mkdir(parents=True)
    if case.setup is not None:
        case.setup(folder)
    before = _hashes(folder)
    _Recorder.seen.clear()
    rc, text, seconds = _run(case, folder, url)
    problems = [*_exit_problems(case, rc, text), *_file_problems(case, rc, before, _hashes(folder), folder),
                *_secret_problems(case, text, url)]
    return Outcome(case.name, rc, problems, seconds), text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="run the cases whose name holds this text (several: a|b)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show", action="store_true", help="print the last lines of every case's output")
    args = parser.parse_args()
    os.environ.setdefault("STREAMKIT_FFMPEG", find_ffmpeg())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    scratch = Path(tempfile.mkdtemp(prefix="streamkit-faults-"))
    results: list[Outcome] = []
    try:
        cases = [c for c in all_cases() if any(part in c.name for part in args.only.split("|"))]
        for i, case in enumerate(cases):
            outcome, text = run_case(case, scratch / f"case{i:03d}", url)
            results.append(outcome)
            mark = "ok  " if not outcome.problems else "FAIL"
            print(f"{mark} {outcome.rc:>3} {outcome.seconds:5.1f}s  {case.name}"
                  + ("".join(f"\n          {p}" for p in outcome.problems)), flush=True)
            if args.show:
                print("".join(f"          | {line}\n" for line in text.strip().splitlines()[-3:]), end="")
    finally:
        server.shutdown()
        for p in scratch.rglob("*"):
            if p.is_dir():
                os.chmod(p, 0o755)
        shutil.rmtree(scratch, ignore_errors=True)
    failed = [r for r in results if r.problems]
    kinds: dict[str, int] = {}
    for r in failed:
        for p in r.problems:
            key = p.split(":")[0]
            kinds[key] = kinds.get(key, 0) + 1
    summary = {"cases": len(results), "passed": len(results) - len(failed), "failed": len(failed), "by_problem": kinds}
    print(json.dumps(summary) if args.json else f"\n{summary['cases']} cases: {summary['passed']} as expected, "
          f"{summary['failed']} not {kinds or ''}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
