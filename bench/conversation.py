"""Conversational speech: what each decoder keeps of short turns between pauses, music and noise.

    python bench/conversation.py [--sets 7] [--configs bare-seq,bare-batched,streamkit,streamkit-seq,streamkit-en]
                                 [--no-sample] [--extra samples/noisy.mp4,...] [--json] [--reuse]
                                 [--levels=-1,0,1] [--why]

Sets: ``samples/conversation.mp4`` and ``--sets`` longer held-out-like recordings made by
``samples/make_conversation.py`` with other seeds (150, 210, 270 s, ...), cached as WAV + timeline in
``bench/.work/conversation/``. conv-101..103 are the sets the defaults were tuned on; conv-104..107 were first
measured after that (docs/benchmarks.md, "Four fresh conversational sets"), so the default measures both.
``--extra`` adds other samples with a ``start_ms end_ms kind text``
timeline (``noisy.mp4``) or a ``start_ms end_ms text`` one (``fanlive.mp4``: all speech).

Configurations, each run in its own process (wall time and peak memory of that process, model
load included):

``bare-seq``      faster-whisper ``base`` int8, ``WhisperModel.transcribe(vad_filter=True)``, everything
                  else faster-whisper's default (its README's way): segments as cues
``bare-batched``  ``BatchedInferencePipeline(model).transcribe(batch_size=8)`` (VAD on by default)
``bare-batched-words`` the same with ``word_timestamps=True``: the decoding streamkit's default runs (its
                  cue times come from word times), so the memory reference for "the decoding chosen"
``streamkit``     ``streamkit subtitle -t none --no-mux`` with the defaults; the Korean SRT
``streamkit-seq`` the same with ``[transcribe] batched = false`` (the path ``-t whisper`` uses)
``streamkit-turns`` the same with ``[transcribe] turns = true`` (turn-aware decoding, opt-in)
``streamkit-en``  ``streamkit subtitle -t whisper --no-mux`` (the offline English); its English SRT, measured
                  like the Korean but for CER and heard (English against Korean references: none) and checked by the
                  English rules

Measured per set and configuration, against the timeline:

- **CER**: all cue text against all reference phrases, in time order, without spaces and punctuation
  (``streamkit.evaluation.character_error_rate``);
- **covered**: reference utterances (``speech`` and ``reply`` rows) with a cue overlapping their voice;
  **replies** the same for the short replies only;
- **heard**: utterances with at least half of their characters (in order) in the text of the cues
  over them, within 1 s of the utterance, a cue's characters taken as evenly spread over its time
  (a 50-second segment covers every utterance but hears few of them);
- **on time**: utterances whose first overlapping cue starts within 0.5 s of the voice onset;
- **invented**: cues with less than 200 ms of any utterance under them, by the kind of the stretch
  they overlap most (music, silence, noise, babble, laughter, applause, pause; ``-`` for none);
- **hard**: errors of ``streamkit.checks.check_track`` (the subtitle rules) / number of cues;
- wall time and peak RSS of the process.

``--levels=-1,0,1`` measures each set also 1 dB quieter and louder (cached WAV copies): streamkit's output on one
recording swings with a level change that small, so one level is one draw.

``--why`` lists what each row misses, line by line (lost, early or late with the cue shown, invented with the
stretch under it): where to start looking.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "samples"))

from common import REPO, SAMPLES, WORK, run_measured  # noqa: E402

SETS_DIR = WORK / "conversation"
SET_SECONDS = (150.0, 210.0, 270.0)
CONFIGS = ("bare-seq", "bare-batched", "streamkit", "streamkit-seq")
#: The ``streamkit.toml`` of a configuration other than the defaults (any ``streamkit-*`` name here).
CONFIG_TABLES = {
    "streamkit-seq": "[transcribe]\nbatched = false\n",
    "streamkit-turns": "[transcribe]\nturns = true\n",
}
SPEECH = ("speech", "reply")
ONSET_MS = 500
INVENTED_MS = 200
HEARD = 0.5


@dataclass(frozen=True)
class Span:
    start_ms: int
    end_ms: int
    kind: str
    text: str = ""


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str


def read_timeline(path: Path) -> list[Span]:
    """Any ``samples/*.ref.tsv``: with a ``kind`` column, or all rows speech."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    spans = []
    for line in lines[1:]:
        if not line.strip():
            continue
        f = line.split("\t")
        if header[2] == "kind":
            spans.append(Span(int(f[0]), int(f[1]), f[2], f[3] if len(f) > 3 else ""))
        else:
            spans.append(Span(int(f[0]), int(f[1]), "speech", f[2]))
    return spans


def make_sets(n: int) -> list[Path]:
    """``n`` generated recordings (WAV + ``.ref.tsv``), made once and cached."""
    import make_conversation as mc

    paths = []
    for i in range(n):
        wav = SETS_DIR / f"conv-{101 + i}.wav"
        if not (wav.is_file() and wav.with_suffix(".ref.tsv").is_file()):
            mc.main(["--seed", str(101 + i), "--seconds", str(SET_SECONDS[i % len(SET_SECONDS)]), "--wav", str(wav)])
        paths.append(wav)
    return paths


def at_level(recording: Path, db: float) -> Path:
    """``recording``'s audio ``db`` louder (16 kHz mono WAV, its timeline beside it), made once and cached.

    A level change of 0.5-1 dB moves streamkit's CER on ``conversation.mp4`` between 36.8 and 57.9 % and its cues over
    music between 0 and 2 (docs/benchmarks.md): one recording at one level is one draw. ``--levels`` measures each set
    at several, so a change is judged on more than that draw."""
    import subprocess

    from common import ffmpeg

    if not db:
        return recording
    out = SETS_DIR / "levels" / f"{recording.stem}@{db:+g}dB.wav"
    ref = out.with_suffix(".ref.tsv")
    if not (out.is_file() and ref.is_file()):
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(recording), "-vn", "-ac", "1",
                        "-ar", "16000", "-af", f"volume={db:g}dB", str(out)], check=True)
        ref.write_text(recording.with_suffix(".ref.tsv").read_text(encoding="utf-8"), encoding="utf-8")
    return out


# --- one configuration in a child process ---------------------------------------------------------


def child(config: str, recording: str, out: str) -> None:
    """Run ``config`` on ``recording`` in this process; write its cues to ``out`` (JSON)."""
    from faster_whisper import BatchedInferencePipeline, WhisperModel
    from faster_whisper.audio import decode_audio

    from streamkit.modelstore import bundled_model_dir

    model = WhisperModel(str(bundled_model_dir()), device="cpu", compute_type="int8")
    audio = decode_audio(recording)
    if config == "bare-seq":
        segments, _ = model.transcribe(audio, language="ko", vad_filter=True)
    else:
        segments, _ = BatchedInferencePipeline(model).transcribe(audio, language="ko", batch_size=8,
                                                                 word_timestamps=config == "bare-batched-words")
    cues = [{"start_ms": round(s.start * 1000), "end_ms": round(s.end * 1000), "text": s.text.strip()}
            for s in segments]
    Path(out).write_text(json.dumps(cues, ensure_ascii=False), encoding="utf-8")


def run_config(config: str, recording: Path, out_dir: Path, *, reuse: bool = False) -> tuple[list[Any], dict[str, Any]]:
    """Cues (as read back from the SRT for streamkit) and the process's wall time and peak RSS.

    With ``reuse``, a run whose outputs are in ``out_dir`` from an earlier call is read, not repeated."""
    from streamkit.subtitles import RawCue, read_raw

    out_dir.mkdir(parents=True, exist_ok=True)
    record = out_dir / f"{config}.measured.json"
    bare = out_dir / f"{config}.json"
    srt = out_dir / config / f"{recording.stem}.{language(config)}.srt"
    if not (reuse and record.is_file()):
        if config.startswith("bare"):
            measured = run_measured([sys.executable, __file__, "--child", config, str(recording), str(bare)])
        else:
            engine = "whisper" if language(config) == "en" else "none"
            cmd = [sys.executable, "-m", "streamkit", "subtitle", str(recording), "-t", engine, "--no-mux",
                   "--force", "--no-cache", "-q", "-o", str(out_dir / config)]
            table = CONFIG_TABLES.get(config)
            if table:
                toml = out_dir / f"{config}.toml"
                toml.write_text(table, encoding="utf-8")
                cmd += ["--config", str(toml)]
            measured = run_measured(cmd)
        record.write_text(json.dumps(measured), encoding="utf-8")
    measured = json.loads(record.read_text(encoding="utf-8"))
    if config.startswith("bare"):
        raw = json.loads(bare.read_text(encoding="utf-8"))
        return [RawCue(i + 1, c["start_ms"], c["end_ms"], (c["text"],), 4 * i + 2) for i, c in enumerate(raw)], measured
    if not srt.read_text(encoding="utf-8").strip():  # no cue at all (read_raw refuses an empty file)
        return [], measured
    return list(read_raw(srt).cues), measured


# --- measures -------------------------------------------------------------------------------------


def overlap(a: Any, b: Any) -> int:
    return max(0, min(a.end_ms, b.end_ms) - max(a.start_ms, b.start_ms))


def text_near(cue: Any, span: Span) -> str:
    """The part of the cue's text spoken within 1 s of ``span``, taking its characters as evenly spread
    over the cue (so that a 50-second cue does not "hear" a short reply in a long text)."""
    from streamkit.evaluation import normalize_for_cer

    chars = normalize_for_cer(" ".join(cue.lines))
    length = max(cue.end_ms - cue.start_ms, 1)
    a = max(span.start_ms - 1000, cue.start_ms) - cue.start_ms
    b = min(span.end_ms + 1000, cue.end_ms) - cue.start_ms
    return chars[len(chars) * a // length : -(-len(chars) * b // length)]


def recall(reference: str, hypothesis: str) -> float:
    """Share of the reference's characters found, in order, in the hypothesis (spaces ignored)."""
    import difflib

    from streamkit.evaluation import normalize_for_cer

    ref, hyp = normalize_for_cer(reference), normalize_for_cer(hypothesis)
    matcher = difflib.SequenceMatcher(None, ref, hyp, autojunk=False)
    return sum(b.size for b in matcher.get_matching_blocks()) / max(len(ref), 1)


def invented_kind(cue: Any, speech: list[Span], other: list[Span]) -> str | None:
    """None for a cue over speech (``INVENTED_MS`` of it or more); else the kind of the stretch it overlaps most
    (``-`` for none)."""
    if sum(overlap(cue, s) for s in speech) >= INVENTED_MS:
        return None
    best = max(other, key=lambda s: overlap(cue, s), default=None)
    return best.kind if best is not None and overlap(cue, best) > 0 else "-"


def why(spans: list[Span], cues: list[Any]) -> list[str]:
    """What a configuration missed on one set, line by line: each utterance without a cue, each utterance whose
    first cue starts more than ``ONSET_MS`` from its voice (by how much, and that cue's text), each invented cue
    (the stretch it lies on, its text). Times in seconds."""
    cues = sorted(cues, key=lambda c: (c.start_ms, c.end_ms))
    speech = [s for s in spans if s.kind in SPEECH]
    other = [s for s in spans if s.kind not in SPEECH]
    out = []
    for s in speech:
        under = [c for c in cues if overlap(c, s) > 0]
        if not under:
            out.append(f"lost      {s.start_ms / 1000:8.2f}-{s.end_ms / 1000:.2f} {s.kind}: {s.text}")
        elif abs(under[0].start_ms - s.start_ms) > ONSET_MS:
            late = (under[0].start_ms - s.start_ms) / 1000
            out.append(f"{'late' if late > 0 else 'early':<9} {s.start_ms / 1000:8.2f} {late:+.2f} s: {s.text} | "
                       f"cue: {' / '.join(under[0].lines)}")
    for c in cues:
        if (kind := invented_kind(c, speech, other)) is not None:
            out.append(f"invented  {c.start_ms / 1000:8.2f}-{c.end_ms / 1000:.2f} over {kind}: {' / '.join(c.lines)}")
    return out


def language(config: str) -> str:
    """The language of the track a configuration is measured on."""
    return "en" if config == "streamkit-en" else "ko"


def measure(spans: list[Span], cues: list[Any], fps: Any, lang: str = "ko") -> dict[str, Any]:
    from streamkit.checks import check_track
    from streamkit.evaluation import character_error_rate
    from streamkit.segment import rules_for

    cues = sorted(cues, key=lambda c: (c.start_ms, c.end_ms))
    speech = [s for s in spans if s.kind in SPEECH]
    other = [s for s in spans if s.kind not in SPEECH]
    under = {id(s): [c for c in cues if overlap(c, s) > 0] for s in speech}
    covered = [s for s in speech if under[id(s)]]
    on_time = [s for s in covered if abs(under[id(s)][0].start_ms - s.start_ms) <= ONSET_MS]
    invented: dict[str, int] = {}
    for c in cues:
        if (kind := invented_kind(c, speech, other)) is not None:
            invented[kind] = invented.get(kind, 0) + 1
    replies = [s for s in speech if s.kind == "reply"]
    heard = [s for s in covered if recall(s.text, " ".join(text_near(c, s) for c in under[id(s)])) >= HEARD]
    errors = [p for p in check_track(cues, rules_for(lang), fps, lang) if p.severity == "error"]
    hypothesis = " ".join(" ".join(c.lines) for c in cues)
    return {
        "cer": round(character_error_rate(" ".join(s.text for s in speech), hypothesis), 4) if lang == "ko" else None,
        "utterances": len(speech),
        "covered": len(covered),
        "replies": len(replies),
        "replies_covered": sum(1 for s in replies if under[id(s)]),
        "heard": len(heard) if lang == "ko" else None,
        "on_time": len(on_time),
        "invented": invented,
        "cues": len(cues),
        "hard": len(errors),
        "lost": [s.text for s in speech if not under[id(s)]],
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| set | config | CER | covered | heard | replies covered | on time (0.5 s) | invented cues "
            "| hard / cues | wall s | peak MB |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
    body = ""
    for r in rows:
        n = max(r["utterances"], 1)
        inv = sum(r["invented"].values())
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(r["invented"].items()))
        cer = "—" if r["cer"] is None else f"{r['cer']:.1%}"
        heard = "—" if r["heard"] is None else f"{r['heard'] / n:.0%}"
        body += (f"| {r['set']} | {r['config']} | {cer} | {r['covered']}/{r['utterances']} "
                 f"({r['covered'] / n:.0%}) | {heard} | {r['replies_covered']}/{r['replies']} | "
                 f"{r['on_time'] / n:.0%} | "
                 f"{inv}{f' ({kinds})' if kinds else ''} | {r['hard']} / {r['cues']} | {r['wall_s']:.1f} | "
                 f"{r['peak_rss_mb']:.0f} |\n")
    return head + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, default=7,
                        help="generated held-out-like sets (default 7: the three tuned on and four fresh ones)")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--no-sample", action="store_true", help="skip samples/conversation.mp4")
    parser.add_argument("--extra", default="", help="more recordings with a .ref.tsv, comma-separated")
    parser.add_argument("--json", action="store_true", help="also print one JSON line per row")
    parser.add_argument("--reuse", action="store_true", help="score the outputs of an earlier run, do not rerun")
    parser.add_argument("--levels", default="0", metavar="DB,...",
                        help="measure every set at these level changes too, in dB (e.g. --levels=-1,0,1; default 0)")
    parser.add_argument("--why", action="store_true",
                        help="also list, per set and configuration, the lines lost, not on time, and invented cues")
    parser.add_argument("--child", nargs=3, metavar=("CONFIG", "RECORDING", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    from streamkit.media import probe
    from streamkit.segment import DEFAULT_FPS

    recordings = [] if args.no_sample else [SAMPLES / "conversation.mp4"]
    recordings += [Path(p) for p in args.extra.split(",") if p]
    recordings += make_sets(args.sets)
    levels = [float(x) for x in args.levels.split(",") if x.strip()] or [0.0]
    recordings = [at_level(r, db) for r in recordings for db in levels]
    rows = []
    for recording in recordings:
        spans = read_timeline(recording.with_suffix(".ref.tsv"))
        fps = probe(recording).fps or DEFAULT_FPS
        for config in args.configs.split(","):
            cues, measured = run_config(config, recording, SETS_DIR / "runs" / recording.stem, reuse=args.reuse)
            row = {"set": recording.stem, "seconds": spans[-1].end_ms / 1000, "config": config,
                   **measure(spans, cues, fps, language(config)), "wall_s": measured["wall_s"],
                   "peak_rss_mb": measured["peak_rss_mb"]}
            rows.append(row)
            if args.json:
                print(json.dumps(row, ensure_ascii=False), flush=True)
            else:
                cer = "—" if row["cer"] is None else f"{row['cer']:.1%}"
                print(f"{row['set']:<14} {config:<14} CER {cer}  covered {row['covered']}/"
                      f"{row['utterances']}  invented {sum(row['invented'].values())}  wall {row['wall_s']:.1f} s",
                      file=sys.stderr, flush=True)
            if args.why:
                for line in why(spans, cues):
                    print(f"  {recording.stem} {config}: {line}", file=sys.stderr, flush=True)
    print(table(rows))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
