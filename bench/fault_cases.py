"""The cases of the fault tour (``bench/faults.py``, which runs and judges them): bad inputs and faults
a new user meets (issue 13), grouped by what they exercise.

A case names the command line, whether it must succeed, the outputs it may write, the files it
starts from (``setup``) and, for a fault, the words its one-line error must hold (``expect``: a
case must fail for the reason it was written for, not for a mistyped option). No case runs the
Whisper model: a ``subtitle`` case is refused before any decoding.
"""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHORT = REPO / "samples" / "short.mp4"
SECRETS = {"STREAMKIT_DEEPL_API_KEY": "dl-secret-4242:fx", "STREAMKIT_PAPAGO_CLIENT_ID": "papago-id-4242",
           "STREAMKIT_PAPAGO_CLIENT_SECRET": "papago-secret-4242", "STREAMKIT_LIBRE_API_KEY": "libre-secret-4242",
           "STREAMKIT_MYMEMORY_EMAIL": "ops+subs@example.org"}
GOOD_SRT = ("1\n00:00:01,000 --> 00:00:03,000\n안녕하세요 여러분\n\n"
            "2\n00:00:04,000 --> 00:00:06,000\n오늘 같이 노래해요\n")
GOOD_EN = ("1\n00:00:01,000 --> 00:00:03,000\nHello everyone\n\n"
           "2\n00:00:04,000 --> 00:00:06,000\nLet's sing together today\n")
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
#: A name of 245 characters: with ``.subtitled.mp4`` its outputs pass the file system's 255 bytes.
LONG = "x" * 245


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
    #: Words the output must hold (case-insensitive): the fault is refused for its own reason.
    expect: tuple[str, ...] = ()
    #: Outputs a failure may leave: a store that keeps the good rows of an import that skipped bad ones.
    kept: tuple[str, ...] = ()


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _write_srt(folder: Path, data: bytes, video: bool = False) -> None:
    _write(folder / "in.ko.srt", data)
    if video:
        shutil.copy(SHORT, folder / "short.mp4")


def _steps(*steps: Callable[[Path], object]) -> Callable[[Path], None]:
    """One setup doing ``steps`` in order."""

    def run(folder: Path) -> None:
        for step in steps:
            step(folder)

    return run


def _sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("create table notes (x text)")
    db.close()


good = functools.partial(_write_srt, data=GOOD_SRT.encode())
with_video = functools.partial(_write_srt, data=GOOD_SRT.encode(), video=True)


def _garbled(folder: Path) -> None:
    """An MP4 whose track boxes are garbled: the container opens, no stream in it."""
    _write(folder / "v.mp4", SHORT.read_bytes().replace(b"trak", b"free"))


MEDIA: dict[str, Callable[[Path], None]] = {
    "text-as-mp4": lambda d: _write(d / "v.mp4", "not a video\n" * 40),
    "empty-mp4": lambda d: _write(d / "v.mp4", b""),
    "truncated-mp4": lambda d: _write(d / "v.mp4", SHORT.read_bytes()[: len(SHORT.read_bytes()) // 3]),
    "zeros-mp4": lambda d: _write(d / "v.mp4", bytes(200_000)),
    "folder-as-mp4": lambda d: (d / "v.mp4").mkdir(),
    "garbled-mp4": _garbled,
}


def malformed_srt_cases() -> list[Case]:
    """18 malformed (or merely unusual) SRTs through check, fix, shift, mux and translate."""
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
        cases.append(Case(f"translate {kind}", ["translate", "in.ko.srt", "-t", "libre", "--translator-url", "{URL}",
                                                "-o", "out.en.srt"],
                          ok=not bad and kind not in ("end-before-start", "overlap"),  # refused: fix it first
                          setup=setup, server=True, outputs=["out.en.srt"],
                          codes=(2,) if bad or kind == "overlap" else ()))
    return cases


def media_cases() -> list[Case]:
    """Bad media into mux, subtitle and check --video; a broken ffmpeg."""
    cases = []
    for kind, make in MEDIA.items():
        cases.append(Case(f"mux bad media {kind}", ["mux", "v.mp4", "--sub", "in.ko.srt", "-o", "out.mp4"], ok=False,
                          setup=_steps(good, make), outputs=["out.mp4"]))
        cases.append(Case(f"subtitle bad media {kind}", ["subtitle", "v.mp4", "-t", "none", "--no-mux"], ok=False,
                          setup=make, outputs=["v.ko.srt", "v.en.srt"]))
    cases.append(Case("subtitle garbled media is not called silent", ["subtitle", "v.mp4", "-t", "none"], ok=False,
                      setup=_garbled, expect=("no audio or video stream",)))
    cases.append(Case("check --video a garbled mp4", ["check", "in.ko.srt", "--video", "v.mp4", "--no-glossary"],
                      ok=False, setup=_steps(good, _garbled)))
    cases.append(Case("check --video text as media", ["check", "in.ko.srt", "--video", "v.mp4", "--no-glossary"],
                      ok=False, setup=_steps(good, MEDIA["text-as-mp4"])))
    for exe in ("/bin/false", "/bin/true", "/nonexistent/ffmpeg"):
        for command in (["subtitle", "short.mp4", "-t", "none"],
                        ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "out.mp4"]):
            cases.append(Case(f"{command[0]} with STREAMKIT_FFMPEG={exe}", command, ok=False, setup=with_video,
                              env={"STREAMKIT_FFMPEG": exe}, outputs=["out.mp4", "short.ko.srt"],
                              expect=("STREAMKIT_FFMPEG",) if exe != "/nonexistent/ffmpeg" else ()))
    return cases


def editor_cases() -> list[Case]:
    """The editor tools' other faults: outputs, offsets, names."""
    return [
        Case("mux -o x.avi", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "out.avi"], ok=False, setup=with_video,
             outputs=["out.avi"], expect=("MP4 or MKV",)),
        Case("mux -o x.mov", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "out.mov"], ok=False, setup=with_video,
             outputs=["out.mov"]),
        Case("mux -o x.mkv", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "out.mkv"], ok=True, setup=with_video,
             outputs=["out.mkv"]),
        Case("mux --default fr", ["mux", "short.mp4", "--sub", "in.ko.srt", "--default", "fr", "-o", "out.mp4"],
             ok=False, setup=with_video, outputs=["out.mp4"], expect=("--default fr",)),
        Case("mux --default ko", ["mux", "short.mp4", "--sub", "in.ko.srt", "--default", "ko", "-o", "out.mp4"],
             ok=True, setup=with_video, outputs=["out.mp4"]),
        Case("mux two subs, the second malformed", ["mux", "short.mp4", "--sub", "in.ko.srt", "--sub", "bad.en.srt",
                                                     "-o", "out.mp4"], ok=False, outputs=["out.mp4"],
             setup=_steps(with_video, lambda d: _write(d / "bad.en.srt", MALFORMED["negative-time"]))),
        Case("mux onto the input", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "short.mp4"], ok=False,
             setup=with_video),
        Case("mux onto the input --force", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "short.mp4", "--force"],
             ok=False, setup=with_video),
        Case("mux good", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "out.mp4"], ok=True, setup=with_video,
             outputs=["out.mp4"]),
        Case("mux missing sub", ["mux", "short.mp4", "--sub", "nope.ko.srt", "-o", "out.mp4"], ok=False,
             setup=with_video, outputs=["out.mp4"]),
        Case("mux rich markup names", ["mux", "[bold]s :tv:.mp4", "--sub", "[red]a.ko.srt", "-o", "[b]o.mp4"],
             ok=True, outputs=["[b]o.mp4"], expect=("[b]o.mp4",),
             setup=lambda d: (_write(d / "[red]a.ko.srt", GOOD_SRT), shutil.copy(SHORT, d / "[bold]s :tv:.mp4"))[0]),
        Case("fix onto an existing file", ["fix", "in.ko.srt", "-o", "taken.ko.srt"], ok=False,
             setup=lambda d: (good(d), _write(d / "taken.ko.srt", GOOD_SRT))[0]),
        Case("fix -o the input", ["fix", "in.ko.srt", "-o", "in.ko.srt"], ok=False, setup=good),
        Case("fix -o the input --force (asked for)", ["fix", "in.ko.srt", "-o", "in.ko.srt", "--force"], ok=True,
             setup=good, outputs=["in.ko.srt"]),
        Case("fix a 300-character output name", ["fix", "in.ko.srt", "-o", "y" * 300 + ".ko.srt"], ok=False,
             setup=good, expect=("too long",)),
        Case("shift below zero", ["shift", "in.ko.srt", "-10s", "-o", "out.ko.srt"], ok=False, setup=good,
             outputs=["out.ko.srt"]),
        Case("shift bad offset", ["shift", "in.ko.srt", "soon", "-o", "out.ko.srt"], ok=False, setup=good,
             outputs=["out.ko.srt"]),
        Case("shift +1x", ["shift", "in.ko.srt", "+1x", "-o", "out.ko.srt"], ok=False, setup=good,
             outputs=["out.ko.srt"]),
        Case("shift empty offset", ["shift", "in.ko.srt", "", "-o", "out.ko.srt"], ok=False, setup=good,
             outputs=["out.ko.srt"]),
        Case("shift +99999h (written as asked; SRT hours are not bounded)", ["shift", "in.ko.srt", "+99999h", "-o",
                                                                             "out.ko.srt"], ok=True, setup=good,
             outputs=["out.ko.srt"]),
        Case("shift +1.5s", ["shift", "in.ko.srt", "+1.5s", "-o", "out.ko.srt"], ok=True, setup=good,
             outputs=["out.ko.srt"]),
        Case("shift a missing file", ["shift", "nope.ko.srt", "+1s", "-o", "out.ko.srt"], ok=False,
             outputs=["out.ko.srt"]),
        Case("check a folder", ["check", "."], ok=False, setup=good),
        Case("check a missing file", ["check", "nope.srt"], ok=False),
        Case("check --json", ["check", "in.ko.srt", "--json", "--no-glossary"], ok=True, setup=good),
        Case("check --fps 0", ["check", "in.ko.srt", "--fps", "0", "--no-glossary"], ok=False, setup=good),
        Case("check --fps abc", ["check", "in.ko.srt", "--fps", "abc", "--no-glossary"], ok=False, setup=good),
        Case("check rich markup name", ["check", "live [bold]x :tv:.ko.srt", "--no-glossary"], ok=True,
             setup=lambda d: _write(d / "live [bold]x :tv:.ko.srt", GOOD_SRT), expect=(":tv:",)),
        Case("fix rich markup name", ["fix", "[red]a[/red].ko.srt", "-o", "[b]o.ko.srt"], ok=True,
             setup=lambda d: _write(d / "[red]a[/red].ko.srt", GOOD_SRT), outputs=["[b]o.ko.srt"]),
        Case("check a missing markup name", ["check", "[bold]nope :tv:.srt"], ok=False, expect=("[bold]nope :tv:",)),
        Case("glossary apply a malformed srt", ["glossary", "apply", "in.ko.srt", "-o", "out.ko.srt"], ok=False,
             setup=functools.partial(_write_srt, data=MALFORMED["negative-time"]), outputs=["out.ko.srt"]),
        Case("glossary apply onto the input", ["glossary", "apply", "in.ko.srt", "-o", "in.ko.srt"], ok=False,
             setup=good),
        Case("glossary check a bad file", ["glossary", "check", "-g", "bad.toml"], ok=False,
             setup=lambda d: _write(d / "bad.toml", "[[person]\nid = 3\n")),
        Case("retranslate a malformed --ko", ["retranslate", "--ko", "in.ko.srt", "--en", "in.en.srt", "--ko-draft",
                                               "in.ko.srt", "-t", "libre", "--translator-url", "{URL}", "-o",
                                               "out.en.srt"], ok=False, server=True, outputs=["out.en.srt"],
             setup=_steps(functools.partial(_write_srt, data=MALFORMED["negative-time"]),
                          lambda d: _write(d / "in.en.srt", GOOD_EN)), expect=("negative time",)),
        Case("retranslate a malformed --en", ["retranslate", "--ko", "in.ko.srt", "--en", "in.en.srt", "--ko-draft",
                                               "in.ko.srt", "-t", "libre", "--translator-url", "{URL}", "-o",
                                               "out.en.srt"], ok=False, server=True, outputs=["out.en.srt"],
             setup=_steps(good, lambda d: _write(d / "in.en.srt", MALFORMED["two-arrows"]))),
    ]


def _event_log_cases() -> list[Case]:
    """``--event-log`` never appends to an input, an output or a file that is not an event log."""
    refused = {
        "the recording": ("short.mp4", None),
        "an SRT": ("in.ko.srt", None),
        "a planned output (SRT)": ("short.ko.srt", None),
        "a planned output (replay)": ("short.subtitled.mp4", None),
        "a symlink to the recording": ("link.mp4", lambda d: os.symlink(d / "short.mp4", d / "link.mp4")),
        "a hard link to the recording": ("hard.mp4", lambda d: os.link(d / "short.mp4", d / "hard.mp4")),
        "a JSON file that is not events": ("notes.json", lambda d: _write(d / "notes.json", '{"a": 1}\n')),
        "a SQLite file": ("other.sqlite", lambda d: _sqlite(d / "other.sqlite")),
        "the config file": ("c.toml", lambda d: _write(d / "c.toml", "[translate]\nengine = \"none\"\n")),
    }
    cases = []
    for kind, (target, make) in refused.items():
        setup = _steps(with_video, make) if make else with_video
        cases.append(Case(f"subtitle --event-log {kind}", ["subtitle", "short.mp4", "--event-log", target,
                                                           "-t", "none"], ok=False, setup=setup, codes=(3,)))
    cases += [
        Case("viewers record --event-log the database", ["viewers", "record", "-s", "x", "--value", "5", "--db",
                                                         "v.sqlite", "--event-log", "v.sqlite"], ok=False),
        Case("viewers record --event-log an SRT", ["viewers", "record", "-s", "x", "--value", "5", "--db", "v.sqlite",
                                                   "--event-log", "in.ko.srt"], ok=False, setup=good,
             outputs=["v.sqlite"]),
        Case("viewers import --event-log the CSV", ["viewers", "import", "c.csv", "--db", "v.sqlite", "--event-log",
                                                    "c.csv"], ok=False, outputs=["v.sqlite"],
             setup=lambda d: _write(d / "c.csv", "time,stream,version,kind,value\n"
                                                 "2024-05-01T11:00:00Z,x,live,concurrent,7\n")),
    ]
    return cases


def subtitle_cases() -> list[Case]:
    """``subtitle`` faults refused before the model runs."""
    return [*_event_log_cases(),
        Case("subtitle a missing file", ["subtitle", "nope.mp4", "-t", "none"], ok=False),
        Case("subtitle a 245-character name", ["subtitle", f"{LONG}.mp4", "-t", "none"], ok=False,
             setup=lambda d: shutil.copy(SHORT, d / f"{LONG}.mp4"), expect=("too long",)),
        Case("subtitle --to xx", ["subtitle", "short.mp4", "-t", "none", "--to", "xx"], ok=False, setup=with_video),
        Case("subtitle --container avi", ["subtitle", "short.mp4", "-t", "none", "--container", "avi"], ok=False,
             setup=with_video),
        Case("subtitle --format doc", ["subtitle", "short.mp4", "-t", "none", "--format", "doc"], ok=False,
             setup=with_video),
        Case("subtitle --default-track fr", ["subtitle", "short.mp4", "-t", "none", "--default-track", "fr"],
             ok=False, setup=with_video),
        Case("subtitle --out onto a file", ["subtitle", "short.mp4", "-t", "none", "--out", "in.ko.srt"], ok=False,
             setup=with_video),
        Case("subtitle a missing --config", ["subtitle", "short.mp4", "-t", "none", "--config", "nope.toml"],
             ok=False, setup=with_video),
        Case("subtitle an unknown translator", ["subtitle", "short.mp4", "-t", "babelfish"], ok=False,
             setup=with_video),
    ]


CONFIGS: dict[str, tuple[str | bytes, str]] = {
    "unknown key": ('[translator]\ndeepl_key = "x"\n', "deepl_api_key"),
    "unknown key in an engine table": ('[translator.deepl]\nkey = "x"\n', "unknown key"),
    "unknown transcribe key": ("[transcribe]\nbeam = 5\n", "unknown"),
    "unknown table": ("[translater]\ndeepl_api_key = \"x\"\n", "unknown"),
    "a list as key": ('[translator]\ndeepl_api_key = ["a", "b"]\n', "must be a string, not array"),
    "a number as key": ("[translator]\ndeepl_api_key = 42\n", "must be a string"),
    "bad toml": ("[translator\n", "c.toml"),
    "bad type": ('[translator]\ntimeout = "fast"\n', "must be a number"),
    "binary": (bytes(range(256)), "c.toml"),
    "not UTF-8": ("[translator]\ndeepl_api_key = \"\xe9\"\n".encode("latin-1"), "c.toml"),
    "bad transcribe value": ("[transcribe]\nbeam_size = 99\n", "between 1 and 10"),
    "negative timeout": ("[translator]\ntimeout = -1\n", "timeout"),
}


def config_cases() -> list[Case]:
    """Bad config files: refused with the file, the key and (never echoed) the kind of value."""
    cases = []
    for kind, (text, says) in CONFIGS.items():
        setup = _steps(good, lambda d, text=text: _write(d / "c.toml", text))
        cases.append(Case(f"translate config {kind}", ["translate", "in.ko.srt", "-t", "libre", "--translator-url",
                                                       "{URL}", "--config", "c.toml", "-o", "out.en.srt"], ok=False,
                          setup=setup, server=True, outputs=["out.en.srt"], expect=(says,)))
    cases.append(Case("translate config a folder", ["translate", "in.ko.srt", "-t", "libre", "--translator-url",
                                                    "{URL}", "--config", "cfg", "-o", "out.en.srt"], ok=False,
                      server=True, setup=_steps(good, lambda d: (d / "cfg").mkdir()), outputs=["out.en.srt"]))
    cases.append(Case("subtitle config unknown key", ["subtitle", "short.mp4", "--config", "c.toml"], ok=False,
                      setup=_steps(with_video, lambda d: _write(d / "c.toml", '[translator]\ndeepl_key = "x"\n')),
                      expect=("deepl_api_key",)))
    return cases


def credential_cases() -> list[Case]:
    """Keys go only to their own service's host and never into a log, an error or a URL."""
    cases = []
    for engine in ("deepl", "papago", "mymemory", "google"):
        cases.append(Case(f"--translator-url with {engine}", ["translate", "in.ko.srt", "-t", engine,
                                                               "--translator-url", "{URL}", "-o", "out.en.srt"],
                          ok=False, setup=good, env=SECRETS, server=True, outputs=["out.en.srt"],
                          expect=(f"not for {engine}",)))
        cases.append(Case(f"retranslate --translator-url with {engine}", [
            "retranslate", "--ko", "in.ko.srt", "--en", "in.en.srt", "--ko-draft", "in.ko.srt", "-t", engine,
            "--translator-url", "{URL}", "-o", "out.en.srt"], ok=False, env=SECRETS, server=True,
            setup=_steps(good, lambda d: _write(d / "in.en.srt", GOOD_EN)), outputs=["out.en.srt"]))
    for engine in ("deepl", "papago"):
        cases.append(Case(f"subtitle --translator-url with {engine}", ["subtitle", "short.mp4", "-t", engine,
                                                                        "--translator-url", "{URL}"],
                          ok=False, setup=with_video, env=SECRETS, server=True, expect=(f"not for {engine}",)))
        cases.append(Case(f"[translator.{engine}] url over plain http to another host", [
            "translate", "in.ko.srt", "-t", engine, "--config", "c.toml", "-o", "out.en.srt"], ok=False, env=SECRETS,
            setup=_steps(good, lambda d, e=engine: _write(d / "c.toml", f'[translator.{e}]\nurl = '
                                                                        '"http://translate.example.org/v2"\n')),
            outputs=["out.en.srt"], expect=("http",)))
    cases.append(Case("doctor --translator-url with every key", ["doctor", "--translator-url", "{URL}"], ok=True,
                      env=SECRETS, server=True, codes=(0, 1)))
    cases.append(Case("libre over loopback, -vv", ["translate", "in.ko.srt", "-t", "libre", "--translator-url",
                                                    "{URL}", "-o", "out.en.srt", "-vv"], ok=True, setup=good,
                      env=SECRETS, server=True, outputs=["out.en.srt"]))
    for engine in ("deepl", "papago", "mymemory"):  # no internet here: the request fails, with -vv logging it
        cases.append(Case(f"{engine} unreachable, -vv", ["translate", "in.ko.srt", "-t", engine, "-o", "out.en.srt",
                                                          "-vv"], ok=False, setup=good, env=SECRETS,
                          outputs=["out.en.srt"]))
    return cases


SPEC = '[job]\ninputs = ["*.mp4"]\noutput = "{out}"\n[translate]\nengine = "none"\n'
#: Replay specs refused before anything runs (exit 2), and what the error names.
SPECS: dict[str, tuple[str, str]] = {
    "output outside the folder": (SPEC.format(out="../../x"), "outside"),
    "output onto a file": (SPEC.format(out="in.ko.srt"), "in.ko.srt"),
    "bad spec": ("[job]\ninputs = 3\n", "job.inputs"),
    "an unknown key": ('[job]\ninputs = ["*.mp4"]\noutput = "out"\noutptu = "x"\n', "outptu"),
    "an unknown section": (SPEC.format(out="out") + "[trnslate]\nengine = \"none\"\n", "trnslate"),
    "a glob matching nothing": ('[job]\ninputs = ["*.mkv"]\noutput = "out"\n', "*.mkv"),
    "no inputs": ('[job]\ninputs = []\noutput = "out"\n', "job.inputs"),
    "workers = 0": (SPEC.format(out="out") + "[run]\nworkers = 0\n", "run.workers"),
    "workers = \"2\"": (SPEC.format(out="out") + "[run]\nworkers = \"2\"\n", "run.workers"),
    "an unknown executor": (SPEC.format(out="out") + "[run]\nexecutor = \"slurm\"\n", "run.executor"),
    "an unknown engine": ('[job]\ninputs = ["*.mp4"]\noutput = "out"\n[translate]\nengine = "babelfish"\n',
                          "babelfish"),
    "a missing glossary": (SPEC.format(out="out") + "[glossary]\nfiles = [\"nope.toml\"]\n", "nope.toml"),
    "event_log onto the spec": (SPEC.format(out="out") + "[hooks]\nevent_log = \"s.toml\"\n", "s.toml"),
    "event_log onto a recording": (SPEC.format(out="out") + "[hooks]\nevent_log = \"short.mp4\"\n", "short.mp4"),
    "a list as a DeepL key": (SPEC.format(out="out") + "[translator]\ndeepl_api_key = [\"a\"]\n", "must be a string"),
    "binary": ("\x00\x01\x02", "s.toml"),
}


def replay_cases() -> list[Case]:
    cases = []
    for kind, (text, says) in SPECS.items():
        code = 3 if kind.startswith("event_log") else 2  # an output refused (OutputError), else a spec error
        cases.append(Case(f"replay {kind}", ["replay", "s.toml"], ok=False, codes=(code,), expect=(says,),
                          setup=_steps(with_video, lambda d, text=text: _write(d / "s.toml", text))))
    cases.append(Case("replay a missing spec", ["replay", "nope.toml"], ok=False))
    cases.append(Case("replay --workers 0", ["replay", "s.toml", "--workers", "0"], ok=False,
                      setup=_steps(with_video, lambda d: _write(d / "s.toml", SPEC.format(out="out")))))
    cases.append(Case("replay --status of a spec never run", ["replay", "s.toml", "--status"], ok=True,
                      setup=_steps(with_video, lambda d: _write(d / "s.toml", SPEC.format(out="out")))))
    return cases


def _store_with_an_impossible_time(folder: Path) -> None:
    """A viewer store holding a year-9999 sample, written before input was checked (the Python API)."""
    from datetime import UTC, datetime

    from streamkit.viewers import ViewerSample, ViewerStore

    with ViewerStore(folder / "v.sqlite") as store:
        store.add([ViewerSample(datetime(9999, 12, 31, tzinfo=UTC), "x", "live", "ko", "youtube", "concurrent", 5,
                                "old"),
                   ViewerSample(datetime(2024, 5, 1, 11, tzinfo=UTC), "x", "live", "ko", "youtube", "concurrent", 7,
                                "manual")])


def viewer_cases() -> list[Case]:
    """Viewer counts: times out of range, stores that are not streamkit's, odd values."""
    record = ["viewers", "record", "-s", "x", "--db", "v.sqlite", "--value"]

    def db(path: str) -> list[str]:
        return ["viewers", "record", "-s", "x", "--db", path, "--value", "5"]

    cases = [Case(f"viewers record time {at}", [*record, "5", "--time", at], ok=False, codes=(2,),
                  expect=("plausible",) if at[0].isdigit() else ())
             for at in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+09:00",
                        "1999-12-31T23:59:59Z", "2100-01-01T00:00:01Z", "yesterday")]
    cases += [Case(f"viewers record value {v}", [*record, v], ok=False) for v in ("-5", "many", "1.3Q", "")]
    cases += [
        Case("viewers record value 1.3M", [*record, "1.3M"], ok=True, outputs=["v.sqlite"]),
        Case("viewers record another app's db", db("other.sqlite"), ok=False,
             setup=lambda d: _sqlite(d / "other.sqlite"), codes=(3,)),
        Case("viewers record --db a recording", db("short.mp4"), ok=False,
             setup=with_video),
        Case("viewers record --db an SRT", db("in.ko.srt"), ok=False, setup=good),
        Case("viewers record --db an event log", db("e.jsonl"), ok=False,
             setup=lambda d: _write(d / "e.jsonl", '{"event": "run_started"}\n')),
        Case("viewers record --db a folder", db("dbdir"), ok=False,
             setup=lambda d: (d / "dbdir").mkdir()),
        Case("viewers report --db a missing file", ["viewers", "report", "--db", "nope.sqlite"], ok=False),
        Case("viewers import times out of range", ["viewers", "import", "c.csv", "--db", "v.sqlite"], ok=False,
             codes=(2,), outputs=["v.sqlite"], kept=("v.sqlite",), expect=("line 2", "line 4"),
             setup=lambda d: _write(d / "c.csv", "time,stream,version,kind,value\n"
                                                 "0001-01-01T00:00:00Z,x,live,concurrent,5\n"
                                                 "2024-05-01T11:00:00Z,x,live,concurrent,7\n"
                                                 "9999-12-31T00:00:00Z,x,live,concurrent,9\n")),
        Case("viewers import a binary file", ["viewers", "import", "c.csv", "--db", "v.sqlite"], ok=False,
             setup=lambda d: _write(d / "c.csv", bytes(range(256))), outputs=["v.sqlite"], kept=("v.sqlite",)),
        Case("viewers report a store holding year 9999", ["viewers", "report", "--db", "v.sqlite", "--chart",
                                                          "c.png", "--html", "r.html"], ok=True,
             setup=_store_with_an_impossible_time, outputs=["c.png", "r.html"], expect=("9999",)),
    ]
    return cases


def model_cases() -> list[Case]:
    return [
        Case("model --verify", ["model", "--verify"], ok=True),
        Case("model -m a missing folder", ["model", "-m", "/nonexistent/model"], ok=False),
        Case("model -m a file", ["model", "-m", "in.ko.srt"], ok=False, setup=good),
        Case("model --device tpu", ["model", "--device", "tpu"], ok=False),
        Case("doctor --json", ["doctor", "--json"], ok=True, codes=(0, 1)),
    ]


def all_cases() -> list[Case]:
    """Every case of the tour, in a stable order."""
    cases = [*malformed_srt_cases(), *media_cases(), *editor_cases()]
    if os.geteuid() != 0:  # root writes into a read-only folder anyway: these say nothing as root
        cases += [
            Case("fix into a read-only folder", ["fix", "in.ko.srt", "-o", "ro/out.ko.srt"], ok=False,
                 setup=_steps(good, lambda d: (d / "ro").mkdir(), lambda d: os.chmod(d / "ro", 0o555)),
                 outputs=["ro/out.ko.srt"]),
            Case("mux into a read-only folder", ["mux", "short.mp4", "--sub", "in.ko.srt", "-o", "ro/out.mp4"],
                 ok=False, setup=_steps(with_video, lambda d: (d / "ro").mkdir(), lambda d: os.chmod(d / "ro", 0o555)),
                 outputs=["ro/out.mp4"]),
        ]
    return [*cases, *subtitle_cases(), *config_cases(), *credential_cases(), *replay_cases(), *viewer_cases(),
            *model_cases()]
