"""Decoding defaults chosen on every set together: conversation, noisy, the stress recordings, fanlive.

    python bench/decoding.py [--sets conversation,noisy,stress,fanlive] [--configs bare-seq,batched,...]

Each configuration runs the whole ``run_subtitle`` (``--translator none``, no mux, no cache) on
every set, bare faster-whisper beside it (its segments as cues), interleaved recording by recording
so a busy machine slows all alike. Per set and configuration: CER against the reference, spoken
lines under a cue, cues over non-speech (music, noise, crowd, laughter: overlap > 300 ms; silence:
> 1.5 s), cue in-times within 0.5 s of a line's voice onset, hard rule violations (``streamkit
check`` errors), wall seconds. References with kinds: ``samples/*.ref.tsv`` (start, end, kind,
text), the stress recordings' timelines (``bench/invented.py``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

WORK = REPO / "bench" / ".work" / "decoding"
SPEECH = ("speech", "reply")
CONFIGS: dict[str, dict[str, Any]] = {
    "bare-seq": {"bare": True},
    "bare-batched": {"bare": True, "batched": True},
    "batched": {"batched": True},  # by turns (the default): regions found first, each decoded alone
    "sequential": {"batched": False},
    "batched-chunks": {"batched": True, "turns": False},  # faster-whisper's own VAD chunks, decoded whole
    "sequential-chunks": {"batched": False, "turns": False},
    "batched-no-rescue": {"batched": True, "rescue": False},
    "sequential-no-rescue": {"batched": False, "rescue": False},
    "batched-vad500": {"batched": True, "vad_min_silence_ms": 500},
}


def _stretches(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [{"kind": r.get("kind") or "speech", "start_ms": int(r["start_ms"]), "end_ms": int(r["end_ms"]),
             "text": r.get("text", "")} for r in rows]


def recordings(sets: list[str]) -> list[tuple[str, Path, list[dict[str, Any]]]]:
    out = []
    for name in sets:
        if name == "stress":
            import invented

            for i in range(3):
                wav, st = invented.build(i, REPO.parent / "shared" / "data" / "zeroth-korean",
                                         invented.ms.find_ffmpeg(None))
                out.append((f"stress-{i}", wav, [s.__dict__ for s in st]))
        else:
            media = REPO / "samples" / f"{name}.mp4"
            if media.is_file():
                out.append((name, media, _stretches(media.with_suffix(".ref.tsv"))))
    return out


def score(cues: list[tuple[int, int, str]], stretches: list[dict[str, Any]]) -> dict[str, Any]:
    from streamkit.evaluation import character_error_rate

    def overlap(a0: int, a1: int, b0: int, b1: int) -> int:
        return min(a1, b1) - max(a0, b0)

    speech = [s for s in stretches if s["kind"] in SPEECH]
    inside = [(s["kind"], t) for c0, c1, t in cues for s in stretches if s["kind"] not in SPEECH and (
        overlap(c0, c1, s["start_ms"], s["end_ms"]) > (1500 if s["kind"] in ("silence", "pause") else 300))]
    covered = [s for s in speech if any(overlap(c0, c1, s["start_ms"], s["end_ms"]) > 0 for c0, c1, _ in cues)]
    onset = [s for s in speech if any(abs(c0 - s["start_ms"]) <= 500 for c0, _, _ in cues)]
    return {"cer": round(character_error_rate(" ".join(s["text"] for s in speech), " ".join(t for *_, t in cues)), 4),
            "covered": f"{len(covered)}/{len(speech)}", "onset_0.5s": round(len(onset) / max(len(speech), 1), 3),
            "inside": len(inside), "inside_text": [t for _, t in inside][:4],
            "lost": [s["text"] for s in speech if s not in covered]}


def run(config: dict[str, Any], media: Path, transcriber: Any, label: str) -> tuple[list[tuple[int, int, str]], int]:
    from streamkit.checks import check_file
    from streamkit.job import OutputOptions
    from streamkit.pipeline import SubtitleJob, run_subtitle
    from streamkit.transcribe import TranscribeOptions
    from streamkit.translation.options import TranslateOptions

    if config.get("bare"):
        from faster_whisper import BatchedInferencePipeline

        batched = config.get("batched", False)
        decoder = BatchedInferencePipeline(transcriber.model) if batched else transcriber.model
        segments, _ = decoder.transcribe(str(media), language="ko", vad_filter=True,
                                         **({"batch_size": 8} if batched else {}))
        return [(round(s.start * 1000), round(s.end * 1000), s.text.strip()) for s in segments], -1
    opts = {k: v for k, v in config.items() if k != "rescue"}
    job = SubtitleJob(media, outputs=OutputOptions(folder=WORK / label, mux=False, force=True, use_cache=False),
                      translate=TranslateOptions(engine="none"), rescue=config.get("rescue", True),
                      decoding=TranscribeOptions(**opts))
    result = run_subtitle(job, transcriber=transcriber)
    cues = [(c.start_ms, c.end_ms, c.text.replace("\n", " ")) for c in result.tracks[0].cues]
    return cues, check_file(result.files[0].path, fps=result.media.fps).errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="conversation,noisy,stress,fanlive")
    parser.add_argument("--configs", default="bare-seq,batched,sequential")
    args = parser.parse_args()
    from streamkit.transcribe import WhisperTranscriber, resolve_model

    transcriber = WhisperTranscriber(resolve_model("base", device="cpu"))
    for name, media, stretches in recordings(args.sets.split(",")):
        for config in args.configs.split(","):
            started = time.perf_counter()
            cues, errors = run(CONFIGS[config], media, transcriber, f"{name}-{config}")
            print(json.dumps({"set": name, "config": config, "wall_s": round(time.perf_counter() - started, 1),
                              "rule_errors": errors, **score(cues, stretches)}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
