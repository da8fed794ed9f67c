"""Live captions, measured: a sample published in real time, captions as a page sees them (SSE).

For each run a sample is published in real time by ffmpeg (as HLS into a folder served on 127.0.0.1,
or as a growing MPEG-TS file; tests/live/publish.py: 1x by the wall clock, catching up after a stall
as a broadcast encoder would), ``run_live`` follows it with the real model, the real web server
serves ``/events``, and an SSE client records when each caption arrives. For every reference
utterance (``samples/*.ref.tsv``) the latency is the time from its voice onset (Silero VAD on the
source, inside the utterance's span) on the publisher's clock (the wall clock when the publisher
started, plus the onset) to the first caption holding a word of it. Also: CER of the
committed Korean against the reference, next to offline ``streamkit subtitle``'s; captions over the
music/silence/noise spans of ``noisy.mp4``; whether any shown caption was ever changed; CPU share.

    python bench/live.py                     # fanlive over HLS (+ English via the test LibreTranslate
                                             # server), fanlive as a growing file, noisy as a growing file
    python bench/live.py --runs fanlive:hls  # one run
    python bench/live.py --runs '' --simulate fanlive,noisy --no-offline   # virtual time (see simulate)

Results are printed as JSON and written to bench/.work/live.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from common import REPO, SAMPLES, WORK, ffmpeg, long_recording, machine

sys.path.insert(0, str(REPO))

from streamkit.evaluation import character_error_rate, load_reference_tsv
from streamkit.live import Caption, LiveJob, TranslationWorker, parse_source, run_live
from streamkit.transcribe import WhisperTranscriber, resolve_model
from streamkit.translation.options import TranslatorSettings
from streamkit.web import start_server
from streamkit.web.live import LiveBoard, create_app
from tests.libre_server import LibreServer, free_port
from tests.live.publish import (
    PLAYLIST,
    growing_file_args,
    hls_args,
    ingest_args,
    serve_folder,
    start,
    wait_for,
)

#: Reference kinds that are spoken (the conversational sample's replies too).
SPOKEN = ("speech", "reply")
#: CPU seconds of a stretch decoded alone in a full 30 s window (``--fixed-cost``): 1.1-1.5 measured on
#: samples/conversation.mp4's replies (base int8, 2 threads).
RESCUE_CPU_S = 1.2


def media(sample: str) -> Path:
    """A bundled sample (``samples/NAME.mp4``), else a conversational set that ``bench/conversation.py`` built
    (``bench/.work/conversation/conv-1NN.wav``, its reference beside it)."""
    bundled = SAMPLES / f"{sample}.mp4"
    return bundled if bundled.exists() else WORK / "conversation" / f"{sample}.wav"


def references(sample: str) -> list[dict[str, Any]]:
    """Every reference span with its kind (speech, music, silence, crowd ...), text and voice onset."""
    from faster_whisper.vad import get_speech_timestamps

    path = media(sample).with_suffix(".ref.tsv")
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    columns = header.split("\t")
    rows = [dict(zip(columns, line.split("\t"), strict=False)) for line in lines if line.strip()]
    raw = subprocess.run([ffmpeg(), "-v", "error", "-i", str(media(sample)), "-f", "s16le", "-ac", "1",
                          "-ar", "16000", "-"], capture_output=True, check=True).stdout
    audio = np.frombuffer(raw, np.int16).astype(np.float32) / 32768
    speech = [(c["start"] // 16, c["end"] // 16) for c in get_speech_timestamps(audio)]
    out = []
    for row in rows:
        start, end = int(row["start_ms"]), int(row["end_ms"])
        onset = next((max(a, start) for a, b in speech if b > start and a < end), start)
        out.append({"start_ms": start, "end_ms": end, "kind": row.get("kind") or "speech",
                    "text": row.get("text", ""), "onset_ms": onset})
    return out


class SSEClient(threading.Thread):
    """Reads ``/events`` like a page does and notes each event's arrival time."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.events: list[tuple[float, str, dict[str, Any]]] = []
        self.ready = threading.Event()

    def run(self) -> None:
        name = ""
        with httpx.stream("GET", self.url, timeout=None) as response:
            self.ready.set()
            for line in response.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    self.events.append((time.monotonic(), name, json.loads(line[6:])))
                    if name == "end":
                        return


def latency(refs: list[dict[str, Any]], events: list[tuple[float, str, dict[str, Any]]], t0: float,
            language: str, *, final: bool = False, from_end: bool = False) -> list[float]:
    """Per speech utterance: seconds from its voice onset (or its end) to the first caption holding a word of it.

    The onset is placed on the publisher's clock, ``t0`` + onset (``t0``: the wall clock when the publisher
    started, which writes at 1x and catches up after a stall), so this is everything between the source and
    the page: following the file, decoding, the engine, the page's event stream. The drift run's ``stages``
    say which part of it each stage adds."""
    out = []
    for ref in refs:
        if ref["kind"] not in SPOKEN:
            continue
        onset, end = ref["onset_ms"], ref["end_ms"]
        seen = [t for t, name, c in events if name == "caption" and c["language"] == language
                and c["end_ms"] > onset + 100 and c["start_ms"] < end and (c["final"] or not final)]
        if seen:
            out.append(seen[0] - (t0 + (end if from_end else onset) / 1000))
    return out


def latency_by_onset(refs: list[dict[str, Any]], events: list[tuple[float, str, dict[str, Any]]], t0: float,
                     language: str) -> list[tuple[float, float]]:
    """``(onset s, latency s)`` of every captioned speech utterance (the drift run's windows)."""
    out = []
    for ref in refs:
        if ref["kind"] in SPOKEN:
            lat = latency([ref], events, t0, language)
            if lat:
                out.append((round(ref["onset_ms"] / 1000, 2), round(lat[0], 2)))
    return out


class LoadSampler(threading.Thread):
    """The machine's 1-minute load average every 30 s while a run goes (the machine is shared)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.done = threading.Event()

    def start(self) -> LoadSampler:  # type: ignore[override]
        super().start()
        return self

    def run(self) -> None:
        while not self.done.wait(0 if not self.samples else 30):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> None:
        self.done.set()

    def summary(self) -> dict[str, float]:
        s = self.samples or [0.0]
        return {"min": min(s), "median": statistics.median(s), "max": max(s)}


class WrittenSampler(threading.Thread):
    """How much of the recording the publisher has written (its ``-progress`` out_time) against the wall clock."""

    def __init__(self, progress: Path, t0: float) -> None:
        super().__init__(daemon=True)
        self.progress, self.t0 = progress, t0
        self.samples: list[tuple[float, float]] = []  # (seconds since t0, seconds of the recording written)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(2):
            try:
                with self.progress.open("rb") as f:
                    f.seek(max(0, f.seek(0, 2) - 2000))
                    tail = f.read().decode("ascii", "replace")
            except OSError:
                continue
            times = [line[12:] for line in tail.splitlines() if line.startswith("out_time_us=")]
            if times and times[-1].strip().isdigit():
                self.samples.append((round(time.monotonic() - self.t0, 1), int(times[-1]) / 1e6))


def stages(events: list[tuple[float, str, dict[str, Any]]], t0: float,
           written: list[tuple[float, float]]) -> list[dict[str, float | None]]:
    """Per status event: how far behind the wall clock (since ``t0``) each stage is, in seconds: the publisher
    (written), the engine (audio received, audio decoded). A caption's latency minus these is the engine's
    own share (waiting for two decodes to agree)."""
    out, w = [], 0
    for t, name, payload in events:
        if name != "status":
            continue
        wall = t - t0
        while w + 1 < len(written) and written[w + 1][0] <= wall:
            w += 1
        received = payload["received_ms"] / 1000
        out.append({"wall_s": round(wall, 1),
                    "publisher_behind_s": round(wall - written[w][1], 2) if written and written[w][0] <= wall else None,
                    "received_behind_s": round(wall - received, 2),
                    "decoded_behind_s": round(wall - received + payload["lag_ms"] / 1000, 2)})
    return out


def _stage_medians(rows: list[dict[str, float | None]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in ("publisher_behind_s", "received_behind_s", "decoded_behind_s"):
        values = [v for r in rows if (v := r[key]) is not None]
        out[key] = round(statistics.median(values), 2) if values else None
    return out


def drift(minutes: float, transcriber: WhisperTranscriber) -> dict[str, Any]:
    """``fanlive`` repeated to ``minutes`` and published as a growing file in real time: latency of the
    first 5 minutes' utterances against the last 5 minutes' (issue 15: no drift)."""
    from streamkit.media import probe

    recording, _text = long_recording(minutes)
    one = probe(SAMPLES / "fanlive.mp4").duration_ms
    repeats = round(probe(recording).duration_ms / one)
    base = references("fanlive")
    refs = [{**r, "start_ms": r["start_ms"] + k * one, "end_ms": r["end_ms"] + k * one,
             "onset_ms": r["onset_ms"] + k * one} for k in range(repeats) for r in base]
    run = one_run("fanlive", "file", transcriber, english=False, long=(recording, refs))
    pairs = run["ko_latency_by_onset"]
    end_s = repeats * one / 1000
    first = [lat for onset, lat in pairs if onset < 300]
    last = [lat for onset, lat in pairs if onset >= end_s - 300]
    run["drift"] = {"first_5_min": _stats(first), "last_5_min": _stats(last),
                    "met": bool(first and last and statistics.median(last) <= statistics.median(first) + 0.5)}
    rows = run["stages"]
    wall_end = rows[-1]["wall_s"] or 0.0 if rows else 0.0
    # Where the time goes, by wall clock: each stage's median distance behind it in the first and last 5 minutes.
    run["drift"]["stages_first_5_min"] = _stage_medians([r for r in rows if (r["wall_s"] or 0) < 300])
    run["drift"]["stages_last_5_min"] = _stage_medians([r for r in rows if (r["wall_s"] or 0) >= wall_end - 300])
    return run


def changed_once_shown(events: list[tuple[float, str, dict[str, Any]]]) -> int:
    shown: dict[tuple[str, int], str] = {}
    finals: set[tuple[str, int]] = set()
    changed = 0
    for _t, name, c in events:
        if name != "caption":
            continue
        key = (c["language"], c["sentence"])
        if key in finals or (key in shown and not c["text"].startswith(shown[key])):
            changed += 1
        shown[key] = c["text"]
        if c["final"]:
            finals.add(key)
    return changed


def one_run(sample: str, mode: str, transcriber: WhisperTranscriber, english: bool,
            long: tuple[Path, list[dict[str, Any]]] | None = None, hls_segment_s: float = 1.0,
            engine: str = "libre") -> dict[str, Any]:
    """One real-time run; ``long``: another recording of ``sample`` and its references (the drift run);
    ``hls_segment_s``: the publisher's HLS segment length (HLS mode); ``engine``: English by the local
    LibreTranslate-compatible server (``libre``) or from the speech (``whisper``)."""
    work = WORK / "live" / (f"{sample}-{mode}" + ("-long" if long else ""))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    media_path, refs = long or (media(sample), references(sample))
    loads = LoadSampler().start()
    board = LiveBoard()
    libre = LibreServer().start() if english and engine == "libre" else None
    with start_server(create_app(board)) as server, serve_folder(work) as base:
        client = SSEClient(server.url + "/events")
        client.start()
        client.ready.wait(10)
        if mode in ("rtmp", "srt"):  # the publisher listens and starts when run_live's reader connects: t0 is
            # set just before run_live starts, so the latency is an upper bound (by the reader's start-up, ~0.3 s)
            args, source = ingest_args(media_path, mode, free_port())
            publisher = start(args)
            written = None
            time.sleep(1.0)
        elif mode == "hls":
            publisher = start(hls_args(media_path, work, segment_s=hls_segment_s))
            written = None
            source = f"{base}/{PLAYLIST}"
            t0 = time.monotonic()
            wait_for(work / PLAYLIST)
        else:
            target = work / f"{sample}.ts"
            publisher = start(growing_file_args(media_path, target, progress=work / "publisher.progress"))
            t0 = time.monotonic()
            written = WrittenSampler(work / "publisher.progress", t0)
            written.start()
            wait_for(target)
            source = str(target)
        job = LiveJob(parse_source(source), work / "out", sample, target="en" if english else None,
                      translator=engine, translator_settings=TranslatorSettings(url=libre.url if libre else None),
                      idle_timeout_s=3.0, ffmpeg=ffmpeg())
        stop = threading.Event()
        if mode in ("hls", "rtmp", "srt"):  # a live stream does not end: stop after the sample's length + slack
            threading.Timer(max(r["end_ms"] for r in refs) / 1000 + 12, stop.set).start()
        if mode in ("rtmp", "srt"):
            t0 = time.monotonic()
        result = run_live(job, transcriber, board.publish, stop)
        if written is not None:
            written.done.set()
        publisher.kill()
        publisher.wait()
        client.join(10)
    if libre is not None:
        libre.stop()
    loads.stop()
    events = client.events
    ko = latency(refs, events, t0, "ko")
    en = latency(refs, events, t0, "en") if english else []
    finals = [c for _t, n, c in events if n == "caption" and c["final"] and c["language"] == "ko"]
    speech_refs = [r for r in refs if r["kind"] in SPOKEN]
    hyp = " ".join(c["text"] for c in finals)
    over_noise = [c["text"] for c in finals for r in refs if r["kind"] not in SPOKEN
                  and r["start_ms"] <= (c["start_ms"] + c["end_ms"]) // 2 < r["end_ms"]]
    summary = result.summary()
    return {
        "sample": sample, "mode": mode, **({"hls_segment_s": hls_segment_s} if mode == "hls" else {}),
        "utterances": len(speech_refs), "captioned": len(ko),
        "ko_latency_s": _stats(ko), "en_latency_s": _stats(en) if english else None,
        "en_after_utterance_end_s": _stats(latency(refs, events, t0, "en", from_end=True)) if english else None,
        "ko_sentence_final_after_end_s": _stats(latency(refs, events, t0, "ko", final=True, from_end=True)),
        "cer_live": round(character_error_rate(" ".join(r["text"] for r in speech_refs), hyp), 4),
        "captions_over_non_speech": len(over_noise), "over_non_speech": over_noise,
        "changed_once_shown": changed_once_shown(events),
        "cpu_share_of_2_cores": round(summary["cpu_share_of_one_core"] / 2, 3), "lag_s": summary["lag_s"],
        "skipped_s": summary["skipped_s"], "cheap_steps": summary["cheap_steps"], "decodes": summary["decodes"],
        "translation_failures": summary["translation_failures"] if english else None,
        "decode_cpu_s_median": summary["decode_cpu_s_median"], "decoded_alone": summary["decoded_alone"],
        "text_live": [f"{c['start_ms']}-{c['end_ms']} {c['text']}" for c in finals],
        "load_average": os.getloadavg(), "load_average_1min_during": loads.summary(),
        "ko_latency_by_onset": latency_by_onset(refs, events, t0, "ko"),
        "stages": stages(events, t0, written.samples) if written is not None else [],
    }


def _stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"n": len(values), "median": round(statistics.median(values), 2), "p95": round(p95, 2),
            "max": round(ordered[-1], 2), "each": [round(v, 2) for v in values]}


def offline_cer(sample: str, transcriber: WhisperTranscriber) -> float:
    from streamkit.job import OutputOptions
    from streamkit.pipeline import SubtitleJob, run_subtitle
    from streamkit.subtitles import read_subtitles
    from streamkit.translation.options import TranslateOptions

    out = WORK / "live" / f"{sample}-offline"
    job = SubtitleJob(input=SAMPLES / f"{sample}.mp4", translate=TranslateOptions(engine="none"),
                      outputs=OutputOptions(folder=out, mux=False, force=True, use_cache=False))
    result = run_subtitle(job, transcriber=transcriber)
    ko = next(f.path for f in result.files if f.language == "ko")
    text = " ".join(c.text.replace("\n", " ") for c in read_subtitles(ko).cues)
    refs = [t for _s, _e, t in load_reference_tsv(SAMPLES / f"{sample}.ref.tsv")]
    return round(character_error_rate(" ".join(refs), text), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default="fanlive:hls:en,fanlive:file,noisy:file",
                        help="comma-separated SAMPLE:MODE[:en|:whisper] (MODE hls, rtmp, srt or file; en: English via "
                             "libre; whisper: English from the speech)")
    parser.add_argument("--no-offline", action="store_true", help="skip the offline CER of fanlive")
    parser.add_argument("--simulate", default="", help="comma-separated samples to replay in virtual time too")
    parser.add_argument("--cores", default="2,1", help="virtual-time runs: decode = CPU time / each of these")
    parser.add_argument("--drift", type=float, default=0, metavar="MINUTES",
                        help="the drift run: fanlive repeated to MINUTES, published in real time (the issue: 30)")
    parser.add_argument("--hls-segment", type=float, default=1.0, metavar="SECONDS",
                        help="real-time HLS runs: the publisher's segment length")
    parser.add_argument("--segment", type=float, default=0.0, metavar="SECONDS",
                        help="virtual-time runs: the audio arrives in whole segments of this length (HLS)")
    parser.add_argument("--korean-only", action="store_true", help="virtual-time runs without English")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a LiveOptions field for the virtual-time runs (e.g. min_step_ms=500); repeatable")
    parser.add_argument("--fixed-cost", default="", metavar="A,B[,R]",
                        help="virtual-time runs: a decode of S seconds costs A + B*S CPU seconds, not what it measured "
                             "(the replay becomes deterministic: for comparing two versions; e.g. 0.3,0.13), and a "
                             f"stretch decoded alone in a full window R (default {RESCUE_CPU_S})")
    args = parser.parse_args()
    cost: tuple[float, float, float] | None = None
    if args.fixed_cost:
        a, b, *r = (float(x) for x in args.fixed_cost.split(","))
        cost = (a, b, r[0] if r else RESCUE_CPU_S)
    transcriber = WhisperTranscriber(resolve_model("base", device="cpu"))
    _ = transcriber.model
    report: dict[str, Any] = {"machine": machine(), "runs": []}
    for spec in filter(None, args.runs.split(",")):
        sample, mode, *rest = spec.split(":")
        run = one_run(sample, mode, transcriber, english=bool({"en", "whisper"} & set(rest)),
                      hls_segment_s=args.hls_segment, engine="whisper" if "whisper" in rest else "libre")
        print(json.dumps(run, ensure_ascii=False), flush=True)
        report["runs"].append(run)
    for sample in filter(None, args.simulate.split(",")):
        for cores in (float(c) for c in args.cores.split(",")):
            run = simulate(sample, transcriber, cores, _options(args.set), english=not args.korean_only,
                           segment_s=args.segment, cost=cost)
            print(json.dumps(run, ensure_ascii=False), flush=True)
            report["runs"].append(run)
    if args.drift:
        run = drift(args.drift, transcriber)
        print(json.dumps({k: v for k, v in run.items() if k not in ("ko_latency_by_onset", "stages")},
                         ensure_ascii=False), flush=True)
        report["runs"].append(run)
    if not args.no_offline:
        report["offline_cer_fanlive"] = offline_cer("fanlive", transcriber)
        print(json.dumps({"offline_cer_fanlive": report["offline_cer_fanlive"]}), flush=True)
    WORK.mkdir(parents=True, exist_ok=True)
    name = "live-drift.json" if args.drift else "live.json"
    (WORK / name).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")



# --------------------------------------------------------------------------- simulated quiet machine


def _english_worker(libre: LibreServer, shown: list[tuple[float, str, dict[str, Any]]]) -> TranslationWorker:
    """English through the test LibreTranslate server, phrase by phrase; captions noted at time -1 (set after)."""
    from streamkit.live.translation import translation_worker

    worker = translation_worker("libre", "en", lambda c: shown.append((-1.0, "caption", c.to_dict())),
                                TranslatorSettings(url=libre.url))
    assert worker is not None
    return worker



def _options(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings as LiveOptions fields (JSON values: 500, null, 1.5)."""
    return {k: json.loads(v) for k, v in (p.split("=", 1) for p in pairs)}


def simulate(sample: str, transcriber: WhisperTranscriber, cores: float,
             overrides: dict[str, Any] | None = None, english: bool = True, segment_s: float = 0.0,
             cost: tuple[float, float, float] | None = None) -> dict[str, Any]:
    """The same engine in virtual time: a decode takes its measured CPU time / ``cores`` of stream time.

    ``segment_s``: the audio arrives in whole segments of this length (HLS, each listed once complete);
    0: continuously, as from a followed file.

    ``cost``: ``(a, b, r)``: a decode of ``s`` seconds of audio costs ``a + b * s`` CPU seconds instead of what
    it measured, and a stretch decoded alone in a full 30 s window (``StepResult.rescued``, and each of
    ``StepResult.rereads``) ``r``. Decoding is
    deterministic (temperature 0), so the replay then is too: two versions of the code compared this way
    differ by what they do, not by when the machine let each decode run (measured CPU time moves each
    decode's moment, and with it the windows heard: `conversation`'s CER went from 47 to 70 % between two
    runs of the same code).

    On a shared machine wall-clock latency measures the other tenants; CPU time does not (much). This
    replays the sample through :class:`StreamingTranscriber` and :class:`SentenceBuilder` with a virtual
    clock: audio arrives at 1x, each decode advances the clock by its CPU seconds / ``cores``.
    """
    from streamkit.live import LiveOptions
    from streamkit.live.session import build_pipeline
    from streamkit.quality import QualityOptions

    refs = references(sample)
    raw = subprocess.run([ffmpeg(), "-v", "error", "-i", str(media(sample)), "-f", "s16le", "-ac", "1",
                          "-ar", "16000", "-"], capture_output=True, check=True).stdout
    audio = np.frombuffer(raw, np.int16).astype(np.float32) / 32768
    options = LiveOptions(**(overrides or {}))
    # What a live run builds (the quality filter with its speech and energy signals; no glossary, like the bench runs).
    engine, builder = build_pipeline(transcriber.model, options, QualityOptions())
    clock, fed, total = 0.0, 0, audio.size
    shown: list[tuple[float, str, dict[str, Any]]] = []
    libre = LibreServer().start() if english else None
    worker = _english_worker(libre, shown) if libre else None

    def show(caption: Caption) -> None:
        shown.append((clock, "caption", caption.to_dict()))
        if worker is not None:  # the request's own wall time on top of the virtual clock
            started = time.monotonic()
            worker.translate_now(caption)
            for i in range(len(shown) - 1, -1, -1):
                if shown[i][0] >= 0:
                    break
                shown[i] = (clock + time.monotonic() - started, *shown[i][1:])
    cpus: list[float] = []
    while fed < total:
        now = clock // segment_s * segment_s if segment_s else clock
        upto = min(total, int(now * 16000))
        if upto > fed:
            engine.feed(audio[fed:upto])
            fed = upto
        result = engine.step()
        for caption in builder.add(result.words, result.sentence_end):
            show(caption)
        spent = result.decode_cpu_ms / 1000
        if cost:
            window = cost[0] + cost[1] * result.decoded_ms / 1000 if result.decoded_ms else 0.0
            spent = (cost[2] if result.rescued else window) + cost[2] * result.rereads
        clock += spent / cores if result.decoded else 0.05
        if result.decode_cpu_ms:
            cpus.append(result.decode_cpu_ms / 1000)
    cpu = time.process_time()
    result = engine.finish()
    clock += (time.process_time() - cpu) / cores
    for caption in [*builder.add(result.words, result.sentence_end), *builder.close()]:
        show(caption)
    if libre is not None:
        libre.stop()
    ko = latency(refs, shown, 0.0, "ko")
    finals = [c for _t, _n, c in shown if c["final"] and c["language"] == "ko"]
    speech_refs = [r for r in refs if r["kind"] in SPOKEN]
    mode = (f"simulated, decode = ({cost[0]:g} + {cost[1]:g} s per s of audio) / {cores:g}" if cost
            else f"simulated, decode = CPU time / {cores:g}") + (f", {segment_s:g} s segments" if segment_s else "")
    return {"sample": sample, "mode": mode, "options": overrides or {},
            "utterances": len(speech_refs),
            "captioned": len(ko), "ko_latency_s": _stats(ko), "decodes": len(cpus),
            "decode_cpu_s_median": round(statistics.median(cpus), 2) if cpus else 0.0,
            # decoding's share of the 2 cores over the whole recording (VAD and the rest are a few %)
            "decode_share_of_2_cores": round(sum(cpus) / (total / 16000) / 2, 2),
            # English follows the final sentence by one local translation request (milliseconds).
            "ko_sentence_final_s": _stats(latency(refs, shown, 0.0, "ko", final=True)),
            "ko_sentence_final_after_end_s": _stats(latency(refs, shown, 0.0, "ko", final=True, from_end=True)),
            "cer_live": round(character_error_rate(" ".join(r["text"] for r in speech_refs),
                                                   " ".join(c["text"] for c in finals)), 4),
            "en_latency_s": _stats(latency(refs, shown, 0.0, "en")) if english else None,
            "en_final_after_end_s": _stats(latency(refs, shown, 0.0, "en", final=True, from_end=True)),
            "changed_once_shown": changed_once_shown(shown),
            "text_live": [f"{c['start_ms']}-{c['end_ms']} {c['text']}" for c in finals],
            "text_en": [c["text"] for _t, _n, c in shown if c["final"] and c["language"] == "en"],
            "over_non_speech": [f"{c['start_ms']}-{c['end_ms']} {c['text']}" for c in finals for r in refs
                                if r["kind"] not in SPOKEN
                                and r["start_ms"] <= (c["start_ms"] + c["end_ms"]) // 2 < r["end_ms"]],
            "dropped_invented": builder.dropped,
            "decoded_alone": engine.missed.decoded if engine.missed is not None else 0,
            "reread": engine.missed.reread_count if engine.missed is not None else 0}


if __name__ == "__main__":
    main()
