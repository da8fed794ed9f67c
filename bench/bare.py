"""Bare faster-whisper on one file, with streamkit's decoding settings: the baseline process.

    python bench/bare.py RECORDING [--model DIR] [--print-text]

Decodes the audio (faster-whisper's own PyAV decoder), loads the same model, transcribes with the
same settings as streamkit's defaults (batched when words are timed, as streamkit decodes on
CPU), and consumes every segment. No segmentation, no files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("recording")
    parser.add_argument("--model", default=None)
    parser.add_argument("--print-text", action="store_true")
    args = parser.parse_args()

    import ctranslate2
    from faster_whisper import BatchedInferencePipeline, WhisperModel
    from faster_whisper.audio import decode_audio

    from streamkit.modelstore import bundled_model_dir
    from streamkit.transcribe import TranscribeOptions, decodes_batched

    o = TranscribeOptions()
    model = WhisperModel(args.model or str(bundled_model_dir()), device="cpu", compute_type="int8")
    audio = decode_audio(args.recording)
    ctranslate2.set_random_seed(o.seed)
    # streamkit's default decoder on this machine: batched when words are timed, else sequential.
    batched = {"batch_size": o.batch_size} if decodes_batched(o, "cpu") else {}
    decoder = BatchedInferencePipeline(model) if batched else model
    segments, _ = decoder.transcribe(
        audio,
        **batched,
        language=o.language,
        beam_size=o.beam_size,
        temperature=list(o.temperature),
        condition_on_previous_text=o.condition_on_previous_text,
        word_timestamps=o.word_timestamps,
        vad_filter=o.vad,
        vad_parameters={"min_silence_duration_ms": o.vad_min_silence_ms} if o.vad_min_silence_ms else None,
    )
    text = " ".join(s.text for s in segments)
    if args.print_text:
        print(text)


if __name__ == "__main__":
    main()
