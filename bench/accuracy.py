"""Speed and accuracy of each transcription configuration tried, on the same file, in one run.

    python bench/accuracy.py [--minutes 3] [--configs bare-seq,streamkit,...]

Prints one row per configuration: wall time, real-time factor (wall / audio), character error
rate against the reference, and number of segments. The audio is decoded once (as both sides
would) and every configuration gets the same model instance.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import long_recording, machine, timed


def configs() -> dict[str, dict[str, Any]]:
    return {
        # bare faster-whisper as its README shows it: sequential, VAD, defaults
        "bare-seq": {"kind": "bare", "kwargs": {"vad_filter": True}},
        "bare-batched": {"kind": "bare-batched", "kwargs": {"batch_size": 8}},
        "streamkit-seq": {"kind": "streamkit", "opts": {"batched": False}},
        "streamkit-seq-greedy": {"kind": "streamkit", "opts": {"batched": False, "beam_size": 1}},
        "streamkit-batched": {"kind": "streamkit", "opts": {"batched": True}},
        "streamkit-batched-greedy": {"kind": "streamkit", "opts": {"batched": True, "beam_size": 1}},
        "streamkit-batched-beam3": {"kind": "streamkit", "opts": {"batched": True, "beam_size": 3}},
        "streamkit-batched-beam2": {"kind": "streamkit", "opts": {"batched": True, "beam_size": 2}},
        "streamkit-batched-b16": {"kind": "streamkit", "opts": {"batched": True, "batch_size": 16}},
        "streamkit-batched-b4": {"kind": "streamkit", "opts": {"batched": True, "batch_size": 4}},
        "streamkit-default": {"kind": "streamkit", "opts": {}},
        # what a producer runs: `streamkit subtitle --translator none` (probe, audio decode, VAD and
        # energy profiles, the invented-text filter, segmentation, SRT, mux); CER of the Korean SRT
        "streamkit-pipeline": {"kind": "pipeline"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--configs", default=",".join(configs()))
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from faster_whisper import BatchedInferencePipeline

    from streamkit.evaluation import character_error_rate
    from streamkit.job import OutputOptions
    from streamkit.media import extract_audio, probe, read_pcm
    from streamkit.pipeline import SubtitleJob, run_subtitle
    from streamkit.transcribe import TranscribeOptions, WhisperTranscriber, resolve_model
    from streamkit.translation.options import TranslateOptions

    video, reference = long_recording(args.minutes)
    info = probe(video)
    audio = extract_audio(info, video.with_suffix(".wav")) if not video.with_suffix(".wav").exists() else None
    if audio is None:
        from streamkit.models import AudioTrack

        audio = AudioTrack(video.with_suffix(".wav"), video, info.duration_ms)
    transcriber = WhisperTranscriber(resolve_model("base", device="cpu"), cpu_threads=args.threads)
    model = transcriber.model
    seconds = audio.duration_ms / 1000

    def run_config(cfg: dict[str, Any]) -> str:
        if cfg["kind"] == "bare":
            segs, _ = model.transcribe(read_pcm(audio), language="ko", **cfg["kwargs"])
            return " ".join(s.text for s in segs)
        if cfg["kind"] == "bare-batched":
            segs, _ = BatchedInferencePipeline(model).transcribe(read_pcm(audio), language="ko", **cfg["kwargs"])
            return " ".join(s.text for s in segs)
        if cfg["kind"] == "pipeline":
            out = video.parent / "accuracy-pipeline"
            shutil.rmtree(out, ignore_errors=True)
            job = SubtitleJob(video, outputs=OutputOptions(folder=out, use_cache=False),
                              translate=TranslateOptions(engine="none"))
            result = run_subtitle(job, transcriber=transcriber)
            return " ".join(c.text.replace("\n", " ") for c in result.tracks[0].cues)
        return transcriber.transcribe(audio, TranscribeOptions(**cfg["opts"])).text

    rows = []
    for name in args.configs.split(","):
        cfg = configs()[name]
        text, wall = timed(lambda cfg=cfg: run_config(cfg))  # type: ignore[misc]
        row = {"config": name, "audio_s": round(seconds, 1), "wall_s": round(wall, 2),
               "rtf": round(wall / seconds, 4), "cer": round(character_error_rate(reference, text), 4)}
        rows.append(row)
        print(json.dumps(row) if args.json else
              f"{name:<26} wall {wall:7.1f} s  RTF {wall / seconds:.3f}  CER {row['cer']:.2%}", flush=True)
    if args.json:
        print(json.dumps({"machine": machine(), "rows": rows}))


if __name__ == "__main__":
    main()
