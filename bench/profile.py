"""Where the time of `streamkit subtitle` goes: a pyinstrument profile reduced to a table.

    pip install pyinstrument
    python bench/profile.py [--minutes 3] [--batched | --sequential]

Runs the pipeline in this process under pyinstrument (wall clock, so time the Python thread spends
waiting for CTranslate2's threads counts where it is spent) on the sample repeated to ``--minutes``,
then prints the seconds and share of the frames that matter (model load, VAD, encoder, decoder,
word alignment, audio decode, the invented-text filter, segmentation, mux) as JSON lines, and
writes the full tree to bench/.work/profile.txt.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WORK, long_recording, machine

#: (label, function names in the profile tree whose time is that part's).
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("model load", ("WhisperTranscriber._load",)),
    ("audio decode (ffmpeg)", ("extract_audio",)),
    ("probe (PyAV)", ("probe",)),
    ("voice activity (Silero)", ("get_speech_timestamps",)),
    ("encoder (CTranslate2)", ("WhisperModel.encode",)),
    ("decoder (CTranslate2)", ("WhisperModel.generate_with_fallback", "PyCapsule.generate")),
    ("word alignment", ("WhisperModel.add_word_timestamps",)),
    ("features (log-mel)", ("FeatureExtractor.__call__",)),
    ("quality profiles (energy, VAD)", ("energy_profile", "vad_profile")),
    ("invented-text filter", ("clean_transcript",)),
    ("glossary", ("load_glossary", "Glossary.apply_korean", "hints_for")),
    ("segment + write", ("segment", "write_subtitles")),
    ("mux", ("mux",)),
]


def _walk(frame: object, wanted: dict[str, str], totals: dict[str, float], inside: str | None = None) -> None:
    name = getattr(frame, "function", "") or ""
    owner = getattr(frame, "class_name", None)
    label = (wanted.get(f"{owner}.{name}") or wanted.get(name)) if inside is None else None
    if label is not None:
        totals[label] = totals.get(label, 0.0) + float(getattr(frame, "time", 0.0))
    for child in getattr(frame, "children", []):
        _walk(child, wanted, totals, inside or label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--batched", dest="batched", action="store_const", const=True, default=None)
    mode.add_argument("--sequential", dest="batched", action="store_const", const=False)
    args = parser.parse_args()
    try:
        from pyinstrument import Profiler
    except ImportError:
        sys.exit("bench/profile.py needs pyinstrument: pip install pyinstrument")

    from streamkit.job import OutputOptions
    from streamkit.pipeline import SubtitleJob, run_subtitle
    from streamkit.transcribe import TranscribeOptions
    from streamkit.translation.options import TranslateOptions

    video, _ = long_recording(args.minutes)
    out = WORK / "profile-out"
    shutil.rmtree(out, ignore_errors=True)
    options = TranscribeOptions(batched=args.batched)
    job = SubtitleJob(video, outputs=OutputOptions(folder=out, use_cache=False),
                      translate=TranslateOptions(engine="none"), decoding=options)
    profiler = Profiler(interval=0.005)
    profiler.start()
    result = run_subtitle(job)
    session = profiler.stop()
    (WORK / "profile.txt").write_text(profiler.output_text(show_all=False), encoding="utf-8")

    wanted = {name: label for label, names in PARTS for name in names}
    totals: dict[str, float] = {}
    root = session.root_frame()
    _walk(root, wanted, totals)
    total = session.duration
    for label, _ in PARTS:
        seconds = totals.get(label, 0.0)
        print(json.dumps({"part": label, "seconds": round(seconds, 2), "share": round(seconds / total, 3)}))
    known = sum(totals.values())
    print(json.dumps({"part": "everything else", "seconds": round(total - known, 2),
                      "share": round((total - known) / total, 3)}))
    print(json.dumps({"bench": "profile", "machine": machine(), "minutes": args.minutes,
                      "batched": args.batched, "wall_s": round(total, 2),
                      "stages": {t.stage: round(t.seconds, 2) for t in result.timings}}))


if __name__ == "__main__":
    main()
