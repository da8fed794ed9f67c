"""A scripted fault tour (issue 13): bad inputs and faults a new user meets, each run through the real CLI.

    python bench/faults.py [--only WORD] [--json]

Every case runs ``python -m streamkit ...`` in a child process, in a scratch folder of its own, and is
judged on the issue's four counts:

* no traceback (``Traceback (most recent call last)`` or ``internal error`` in the output);
* the exit code: 0 where the input is valid, non-zero (and not 70, the internal-error code) for a fault;
* inputs unchanged: the sha256 of every file the case made is the same after the run, except the
  outputs it names;
* no corrupt output reported as success: on exit 0 each named output exists and reads back (SRT:
  ``read_raw``; media: PyAV opens it), on a non-zero exit no named output and no temp file was left;
* no secret in the output, or sent anywhere but its own service: credential cases point
  ``--translator-url`` at a loopback HTTP server that records every request, which must receive no
  key.

The cases are generated (malformed SRTs x the editor commands, bad media x mux, ...) and cheap: no
case runs the Whisper model, so the tour takes minutes, not hours. The model-backed faults (full disk
during a subtitle run, kill -9 of a replay, corrupt caches and models) have their own tests
(docs/reliability.md names them). Results: docs/reliability.md ("The fault tour").
"""

from __future__ import annotations

import argparse
import functools
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from streamkit.media import find_ffmpeg  # noqa: E402
from streamkit.subtitles import read_raw  # noqa: E402

SHORT = REPO / "samples" / "short.mp4"
SECRETS = {"STREAMKIT_DEEPL_API_KEY": "dl-secret-4242:fx", "STREAMKIT_PAPAGO_CLIENT_ID": "papago-id-4242",
           "STREAMKIT_PAPAGO_CLIENT_SECRET": "papago-secret-4242", "STREAMKIT_LIBRE_API_KEY": "libre-secret-4242"}
GOOD_SRT = ("1\n00:00:01,000 --> 00:00:03,000\n안녕하세요 여러분\n\n"
            "2\n00:00:04,000 --> 00:00:06,000\n오늘 같이 노래해요\n")
MALFORMED: dict[str, bytes] = {
    "negative-time": b"1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n-00:00:03,000 --> 00:00:04,000\nyo\n",
    "unicode-minus": "1\n\u221200:00:01,000 --> 00:00:02,000\nhi\n".encode(),
    "two-arrows": b"1\n00:00:01,000 --> 00:00:02,000 --> 00:00:03,000\nhi\n",
    "bad-clock": b"1\n00:00:01,000 --> 99:99:99,999\nhello\n",
    "no-arrow": b"1\n00:00:01,000 00:00:02,000\nhello\n",
    "bad-number": b"1\n00:00:01,000 --> 00:00:02,000\nhi\n\nx1\n00:00:03,000 --> 00:00:04,000\nyo\n",
    "text-first": "메모\n\n1\n00:00:01,000 --> 00:00:02,000\nhi\n".encode(),
    "binary": bytes(range(256)) * 8,
    "nul-bytes": b"1\n00:00:01,000 --> 00:00:02,000\nh\x00i\n",
    "not-srt": "이건 자막 파일이 아니에요.\n".encode(),
    "end-before-start": b"1\n00:00:05,000 --> 00:00:04,000\nhi\n",
    "utf16-bom-lie": b"\xff\xfe" + b"\x00\xd8",
    "cp949": GOOD_SRT.encode("cp949"),
    "crlf-bom": b"\xef\xbb\xbf" + GOOD_SRT.replace("\n", "\r\n").encode(),
    "empty": b"",
    "blank": b"\n\n  \n",
    "overlap": b"1\n00:00:01,000 --> 00:00:05,000\nhi\n\n2\n00:00:02,000 --> 00:00:06,000\nyo\n",
    "huge-hours": b"1\n999:00:01,000 --> 999:00:02,000\nhi\n",
}
#: Files whose reading is a fault for every command (the others are valid input some commands fix).
UNREADABLE = {"negative-time", "unicode-minus", "two-arrows", "bad-clock", "no-arrow", "bad-number", "text-first",
              "binary", "nul-bytes", "not-srt", "utf16-bom-lie"}


@dataclass
class Case:
    name: str
    args: list[str]
    ok: bool  # True: exit 0 expected; False: a clear non-zero exit expected
    outputs: list[str] = field(default_factory=list)  # relative to the case folder
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None
    codes: tuple[int, ...] = ()  # accepted exit codes when not ok (default: any but 0 and 70)
    server: bool = False  # a loopback server that must receive no secret


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


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _write_srt(folder: Path, data: bytes, video: bool = False) -> None:
    _write(folder / "in.ko.srt", data)
    if video:
        shutil.copy(SHORT, folder / "short.mp4")


def _cases(scratch: Path) -> list[Case]:
    cases: list[Case] = []
    for kind, data in MALFORMED.items():
        bad = kind in UNREADABLE
        setup = functools.partial(_write_srt, data=data)
        cases.append(Case(f"check {kind}", ["check", "in.ko.srt", "--no-glossary"], ok=not bad, setup=setup,
                          codes=(2,) if bad else ()))
        if kind in ("overlap", "end-before-start"):  # check reports them (exit 1); fix refuses an end before start
            cases[-1].ok, cases[-1].codes = False, (1,)
        fix_ok = not bad and kind != "end-before-start"
        cases.append(Case(f"fix {kind}", ["fix", "in.ko.srt", "-o", "out.ko.srt"], ok=fix_ok, setup=setup,
                          outputs=["out.ko.srt"]))
        cases.append(Case(f"shift {kind}", ["shift", "in.ko.srt", "+1s", "-o", "out.ko.srt"], ok=fix_ok,
                          setup=setup, outputs=["out.ko.srt"]))
        cases.append(Case(f"mux {kind}", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "out.mp4"],
                          ok=not bad and kind not in ("overlap", "end-before-start"),
                          setup=functools.partial(_write_srt, data=data, video=True),
                          outputs=["out.mp4"]))
    good = functools.partial(_write_srt, data=GOOD_SRT.encode())
    with_video = functools.partial(_write_srt, data=GOOD_SRT.encode(), video=True)
    media = {
        "text-as-mp4": lambda d: _write(d / "v.mp4", "not a video\n" * 40),
        "empty-mp4": lambda d: _write(d / "v.mp4", b""),
        "truncated-mp4": lambda d: _write(d / "v.mp4", SHORT.read_bytes()[: len(SHORT.read_bytes()) // 3]),
        "zeros-mp4": lambda d: _write(d / "v.mp4", bytes(200_000)),
        "folder-as-mp4": lambda d: (d / "v.mp4").mkdir(),
    }
    for kind, make in media.items():
        cases.append(Case(f"mux bad media {kind}", ["mux", "v.mp4", "--sub", "in.ko.srt", "-o", "out.mp4"], ok=False,
                          setup=lambda d, make=make: (good(d), make(d))[0], outputs=["out.mp4"]))
    if os.geteuid() != 0:  # root writes into a read-only folder anyway: these say nothing as root
        cases += [
            Case("fix into a read-only folder", ["fix", "in.ko.srt", "-o", "ro/out.ko.srt"], ok=False,
                 setup=lambda d: (good(d), (d / "ro").mkdir(), os.chmod(d / "ro", 0o555))[0],
                 outputs=["ro/out.ko.srt"]),
            Case("mux into a read-only folder", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "ro/out.mp4"],
                 ok=False, setup=lambda d: (with_video(d), (d / "ro").mkdir(), os.chmod(d / "ro", 0o555))[0],
                 outputs=["ro/out.mp4"]),
        ]
    cases += [
        Case("mux -o x.avi", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "out.avi"], ok=False, setup=with_video,
             outputs=["out.avi"]),
        Case("mux --default fr", ["mux", "short.mp4", "--sub", "in.ko.srt", "--default", "fr", "-o", "out.mp4"],
             ok=False, setup=with_video, outputs=["out.mp4"]),
        Case("mux onto the input", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "short.mp4"], ok=False,
             setup=with_video),
        Case("mux good", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "out.mp4"], ok=True, setup=with_video,
             outputs=["out.mp4"]),
        Case("mux missing sub", ["mux", "short.mp4", "--sub", "nope.ko.srt", "-o", "out.mp4"], ok=False,
             setup=with_video, outputs=["out.mp4"]),
        Case("fix onto an existing file", ["fix", "in.ko.srt", "-o", "taken.ko.srt"], ok=False,
             setup=lambda d: (good(d), _write(d / "taken.ko.srt", GOOD_SRT))[0]),
        Case("fix -o the input", ["fix", "in.ko.srt", "-o", "in.ko.srt"], ok=False, setup=good),
        Case("fix -o the input --force (asked for)", ["fix", "in.ko.srt", "-o", "in.ko.srt", "--force"], ok=True,
             setup=good, outputs=["in.ko.srt"]),
        Case("shift below zero", ["shift", "in.ko.srt", "-10s", "-o", "out.ko.srt"], ok=False, setup=good,
             outputs=["out.ko.srt"]),
        Case("shift bad offset", ["shift", "in.ko.srt", "soon", "-o", "out.ko.srt"], ok=False, setup=good,
             outputs=["out.ko.srt"]),
        Case("check a folder", ["check", "."], ok=False, setup=good),
        Case("check a missing file", ["check", "nope.srt"], ok=False),
        Case("check rich markup name", ["check", "live [bold]x :tv:.ko.srt", "--no-glossary"], ok=True,
             setup=lambda d: _write(d / "live [bold]x :tv:.ko.srt", GOOD_SRT)),
        Case("fix rich markup name", ["fix", "[red]a[/red].ko.srt", "-o", "[b]o.ko.srt"], ok=True,
             setup=lambda d: _write(d / "[red]a[/red].ko.srt", GOOD_SRT), outputs=["[b]o.ko.srt"]),
        Case("subtitle --event-log the recording", ["subtitle", "short.mp4", "--event-log", "short.mp4", "-t", "none"],
             ok=False, setup=with_video),
        Case("subtitle --event-log an SRT", ["subtitle", "short.mp4", "--event-log", "in.ko.srt", "-t", "none"],
             ok=False, setup=with_video),
        Case("subtitle a missing file", ["subtitle", "nope.mp4", "-t", "none"], ok=False),
        Case("subtitle text as media", ["subtitle", "v.mp4", "-t", "none"], ok=False,
             setup=lambda d: _write(d / "v.mp4", "not a video\n" * 40)),
        Case("subtitle with ffmpeg /bin/false", ["subtitle", "short.mp4", "-t", "none"], ok=False, setup=with_video,
             env={"STREAMKIT_FFMPEG": "/bin/false"}),
        Case("subtitle with a missing ffmpeg", ["subtitle", "short.mp4", "-t", "none"], ok=False, setup=with_video,
             env={"STREAMKIT_FFMPEG": "/nonexistent/ffmpeg"}),
    ]
    configs = {
        "unknown key": '[translator]\ndeepl_key = "x"\n',
        "a list as key": '[translator]\ndeepl_api_key = ["a", "b"]\n',
        "bad toml": "[translator\n",
        "bad type": '[translator]\ntimeout = "fast"\n',
        "binary": bytes(range(256)),
        "bad transcribe value": "[transcribe]\nbeam_size = 99\n",
    }
    for kind, text in configs.items():
        cases.append(Case(f"translate config {kind}", ["translate", "in.ko.srt", "-t", "none", "--config", "c.toml",
                                                       "-o", "out.en.srt"], ok=False,
                          setup=lambda d, text=text: (good(d), _write(d / "c.toml", text))[0], outputs=["out.en.srt"]))
    for engine in ("deepl", "papago", "mymemory", "google"):
        cases.append(Case(f"--translator-url with {engine}", ["translate", "in.ko.srt", "-t", engine,
                                                               "--translator-url", "{URL}", "-o", "out.en.srt"],
                          ok=False, setup=good, env=SECRETS, server=True, outputs=["out.en.srt"]))
    cases.append(Case("doctor --translator-url with every key", ["doctor", "--translator-url", "{URL}"], ok=True,
                      env=SECRETS, server=True, codes=(0, 1)))
    cases.append(Case("libre over loopback, -vv", ["translate", "in.ko.srt", "-t", "libre", "--translator-url",
                                                    "{URL}", "-o", "out.en.srt", "-vv"], ok=True, setup=good,
                      env=SECRETS, server=True, outputs=["out.en.srt"]))
    spec = '[job]\ninputs = ["*.mp4"]\noutput = "{out}"\n[translate]\nengine = "none"\n'
    for kind, out in (("outside the folder", "../../x"), ("onto a file", "in.ko.srt")):
        cases.append(Case(f"replay output {kind}", ["replay", "s.toml"], ok=False,
                          setup=lambda d, out=out: (with_video(d), _write(d / "s.toml", spec.format(out=out)))[0]))
    cases.append(Case("replay bad spec", ["replay", "s.toml"], ok=False,
                      setup=lambda d: _write(d / "s.toml", "[job]\ninputs = 3\n")))
    cases.append(Case("viewers record year 9999", ["viewers", "record", "--db", "v.sqlite", "--platform", "youtube",
                                                   "--count", "5", "--at", "9999-12-31T23:59:59Z"], ok=False))
    cases.append(Case("viewers record another app's db", ["viewers", "record", "--db", "other.sqlite", "--platform",
                                                          "youtube", "--count", "5"], ok=False,
                      setup=lambda d: _sqlite(d / "other.sqlite")))
    return cases


def _sqlite(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("create table notes (x text)")
    db.close()


def _hashes(folder: Path) -> dict[str, str]:
    out = {}
    for p in folder.rglob("*"):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _readable(path: Path) -> str | None:
    """Why the output at ``path`` is not a whole file, or None."""
    try:
        if path.suffix == ".srt":
            read_raw(path)
        else:
            import av

            with av.open(str(path)) as container:
                if not container.streams or not container.duration:
                    return "no streams or no duration"
    except Exception as exc:  # a judge: any failure to read back is the finding
        return f"{type(exc).__name__}: {exc}"
    return None


def run_case(case: Case, folder: Path, url: str) -> Outcome:
    folder.mkdir(parents=True)
    if case.setup is not None:
        case.setup(folder)
    before = _hashes(folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMKIT_CONFIG", "STREAMKIT_DEEPL",
                                                                     "STREAMKIT_PAPAGO", "STREAMKIT_LIBRE"))}
    env.update({"PYTHONPATH": str(REPO), "COLUMNS": "200", **case.env})
    args = [a.replace("{URL}", url) for a in case.args]
    _Recorder.seen.clear()
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "streamkit", *args], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=300, stdin=subprocess.DEVNULL)
        rc, text = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        rc, text = -1, "timed out (300 s)"
    seconds = time.perf_counter() - started
    problems: list[str] = []
    if "Traceback (most recent call last)" in text or "internal error" in text or rc == 70:
        problems.append("internal error / traceback")
    if rc == -1:
        problems.append("hang")
    if case.ok and rc != 0:
        problems.append(f"exit {rc}, expected 0: {text.strip().splitlines()[-1:] }")
    if not case.ok and (rc == 0 or (case.codes and rc not in case.codes)):
        problems.append(f"exit {rc}, expected {case.codes or 'non-zero'}")
    after = _hashes(folder)
    changed = [n for n, h in before.items() if after.get(n) != h and n not in case.outputs]
    if changed:
        problems.append(f"inputs changed: {changed}")
    for name in case.outputs:
        out = folder / name
        if rc == 0 and out.exists() and (why := _readable(out)):
            problems.append(f"{name} reported written but unreadable: {why}")
        if rc != 0 and out.exists() and name not in before:
            problems.append(f"{name} left behind after a failure")
    leftovers = [n for n in after if ".part" in n or n.endswith(".tmp")]
    if leftovers:
        problems.append(f"temp files left: {leftovers}")
    for secret in case.env.values() if case.env is SECRETS else ():
        if secret in text:
            problems.append("a secret in the output")
        if case.server and any(secret in seen for seen in _Recorder.seen if "libre" not in secret):
            problems.append(f"a secret sent to {url}")
    return Outcome(case.name, rc, problems, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="run the cases whose name holds this word")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("STREAMKIT_FFMPEG", find_ffmpeg())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    scratch = Path(tempfile.mkdtemp(prefix="streamkit-faults-"))
    results: list[Outcome] = []
    try:
        cases = [c for c in _cases(scratch) if args.only in c.name]
        for i, case in enumerate(cases):
            outcome = run_case(case, scratch / f"case{i:03d}", url)
            results.append(outcome)
            mark = "ok  " if not outcome.problems else "FAIL"
            print(f"{mark} {outcome.rc:>3} {outcome.seconds:5.1f}s  {case.name}"
                  + ("".join(f"\n          {p}" for p in outcome.problems)), flush=True)
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
