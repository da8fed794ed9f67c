"""Decoding settings compared on long-form Korean: the 10 transcribed Zeroth clips, concatenated.

    python bench/zeroth_long.py [--zeroth ../shared/data/zeroth-korean] [--orders 3]

Builds ``--orders`` recordings, each the 10 clips in a different (seeded) order with 1.2 s of
faint noise between them (about 110 s, distinct long-form context for each order), and reports the
character error rate of each configuration per order and on average. ``bare`` is faster-whisper as
its README shows it (VAD on, everything else default); ``streamkit`` is TranscribeOptions().
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CONFIGS: dict[str, dict[str, Any]] = {
    "bare": {"vad_filter": True},
    "streamkit": {"vad_filter": True, "condition_on_previous_text": False, "word_timestamps": True},
    "bare+word_timestamps": {"vad_filter": True, "word_timestamps": True},
    "condition_off": {"vad_filter": True, "condition_on_previous_text": False},
    "streamkit+vad500": {"vad_filter": True, "condition_on_previous_text": False, "word_timestamps": True,
                         "vad_parameters": {"min_silence_duration_ms": 500}},
    # BatchedInferencePipeline (batch 8), as streamkit's CPU default decodes, at three beam widths
    "batched": {"batched": True, "word_timestamps": True},
    "batched-beam3": {"batched": True, "word_timestamps": True, "beam_size": 3},
    "batched-beam2": {"batched": True, "word_timestamps": True, "beam_size": 2},
    # turn-aware (streamkit's default since issue 12): regions found first (streamkit.turns), each decoded alone
    "turns-batched": {"batched": True, "turns": True, "word_timestamps": True},
    "turns-sequential": {"turns": True, "word_timestamps": True, "condition_on_previous_text": False},
}


def _turns(audio: Any, batched: bool) -> dict[str, Any]:
    """The clip arguments of turn-aware decoding for ``audio`` (as ``WhisperTranscriber`` passes them)."""
    from streamkit.transcribe import TranscribeOptions
    from streamkit.turns import window_regions

    regions = window_regions(audio, TranscribeOptions())
    if batched:
        return {"vad_filter": False, "clip_timestamps": [{"start": a / 1000, "end": b / 1000} for a, b in regions]}
    return {"vad_filter": False, "clip_timestamps": [t / 1000 for r in regions for t in r]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zeroth", type=Path, default=REPO.parent / "shared" / "data" / "zeroth-korean")
    parser.add_argument("--orders", type=int, default=3)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    args = parser.parse_args()

    import numpy as np
    from faster_whisper.audio import decode_audio

    from streamkit.evaluation import character_error_rate
    from streamkit.transcribe import WhisperTranscriber, resolve_model

    model = WhisperTranscriber(resolve_model("base", device="cpu")).model
    with open(args.zeroth / "manifest.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    clips = [(decode_audio(str(args.zeroth / r["audio"])), r["text_ko"]) for r in rows]
    rng = np.random.default_rng(0)
    recordings = []
    for seed in range(args.orders):
        order = list(range(len(clips)))
        random.Random(seed).shuffle(order)
        parts, ref = [], []
        for i in order:
            parts += [clips[i][0], (rng.standard_normal(int(16000 * 1.2)) * 0.0005).astype(np.float32)]
            ref.append(clips[i][1])
        recordings.append((np.concatenate(parts), " ".join(ref)))
    from faster_whisper import BatchedInferencePipeline

    for name in args.configs.split(","):
        kwargs = dict(CONFIGS[name])
        batched, turns = kwargs.pop("batched", False), kwargs.pop("turns", False)
        decoder: Any = BatchedInferencePipeline(model) if batched else model
        started = time.perf_counter()
        cers = []
        for audio, ref in recordings:
            clips = _turns(audio, batched) if turns else {}
            segments, _ = decoder.transcribe(audio, language="ko", **kwargs, **clips)
            cers.append(character_error_rate(ref, " ".join(s.text for s in segments)))
        print(json.dumps({"config": name, "cer_per_order": [round(c, 4) for c in cers],
                          "cer_mean": round(sum(cers) / len(cers), 4),
                          "wall_s": round(time.perf_counter() - started, 1)}), flush=True)


if __name__ == "__main__":
    main()
