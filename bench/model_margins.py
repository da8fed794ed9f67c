"""How much the model-output figures the tests assert on move with the CPU's kernels.

    python bench/model_margins.py [--variant native intel-mkl ct2-generic ct2-avx sse41] [--compute int8]

int8 kernels differ across CPUs: CTranslate2 multiplies int8 matrices with oneDNN on AMD and with
Intel MKL on Intel CPUs, each choosing kernels by instruction set. ``CT2_USE_MKL``,
``ONEDNN_MAX_CPU_ISA`` and ``CT2_FORCE_CPU_ISA`` make this machine run those other kernels. Each
(variant, compute type) runs in its own process and prints the figures tests/test_transcribe.py and
tests/quality/test_clean.py assert on: CER of short.mp4, streamkit vs bare faster-whisper on fanlive.mp4,
windowed vs one window, and the quality filter's CER change and cues left over noisy.mp4's music. The
margins in those tests are set from the spread seen here (docs/reliability.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def figures(compute: str) -> dict[str, float]:
    from streamkit.evaluation import character_error_rate, load_reference_tsv
    from streamkit.media import extract_audio, probe
    from streamkit.quality import clean_transcript, energy_profile, vad_profile
    from streamkit.segment import segment
    from streamkit.transcribe import TranscribeOptions, WhisperTranscriber, resolve_model

    samples = REPO / "samples"
    model = WhisperTranscriber(resolve_model("base", device="cpu", compute_type=compute))
    tmp = Path(tempfile.mkdtemp())

    def ref(name: str) -> str:
        return " ".join(t for _, _, t in load_reference_tsv((samples / name).with_suffix(".ref.tsv")))

    out: dict[str, float] = {}
    short = extract_audio(probe(samples / "short.mp4"), tmp / "short.wav")
    said = model.transcribe(short, TranscribeOptions())
    out["short_cer"] = character_error_rate(ref("short.mp4"), said.text)
    out["short_has_keyword"] = float("커피" in said.text)
    out["short_words"] = float(sum(len(u.words) for u in said.utterances))
    fan = extract_audio(probe(samples / "fanlive.mp4"), tmp / "fan.wav")
    ours = model.transcribe(fan, TranscribeOptions()).text
    segments, _ = model.model.transcribe(str(samples / "fanlive.mp4"), language="ko", vad_filter=True)
    bare = " ".join(s.text for s in segments)
    out["ours_cer"], out["bare_cer"] = character_error_rate(ref("fanlive.mp4"), ours), character_error_rate(
        ref("fanlive.mp4"), bare)
    out["ours_minus_bare"] = out["ours_cer"] - out["bare_cer"]
    whole = model.transcribe(fan, TranscribeOptions(window_ms=0, batched=False))
    windowed = model.transcribe(fan, TranscribeOptions(window_ms=20_000, batched=False))
    out["windowed_vs_whole_cer"] = character_error_rate(whole.text, windowed.text)
    out["whole_cer"] = character_error_rate(ref("fanlive.mp4"), whole.text)
    out["windowed_cer"] = character_error_rate(ref("fanlive.mp4"), windowed.text)
    timeline = (samples / "noisy.ref.tsv").read_text(encoding="utf-8").splitlines()[1:]
    noisy_ref = [ln.split("\t", 3) for ln in timeline if ln]
    speech = " ".join(r[3] for r in noisy_ref if len(r) > 3 and r[2] == "speech")
    noisy = extract_audio(probe(samples / "noisy.mp4"), tmp / "noisy.wav")
    fps = probe(samples / "noisy.mp4").fps
    quiet = [(int(r[0]), int(r[1])) for r in noisy_ref if r[2] != "speech"]
    for batched in (True, False):
        raw = model.transcribe(noisy, TranscribeOptions(batched=batched))
        cleaned, dropped = clean_transcript(raw, energy=energy_profile(noisy), speech=vad_profile(noisy))
        key = "batched" if batched else "sequential"
        out[f"noisy_dropped_{key}"] = float(len(dropped))
        for name, transcript in (("raw", raw), ("cleaned", cleaned)):
            cues = segment(transcript, fps=fps).cues
            # more than 300 ms inside a stretch without speech: tests/quality/test_clean.py's INSIDE_MS
            out[f"noisy_cues_in_music_{name}_{key}"] = float(sum(
                1 for c in cues for a, b in quiet if min(b, c.end_ms) - max(a, c.start_ms) > 300))
        out[f"noisy_filter_delta_{key}"] = character_error_rate(speech, cleaned.text) - character_error_rate(
            speech, raw.text)
    return out


#: Other CPUs' kernels on this one: int8 matrix products go to oneDNN on AMD and to Intel MKL on Intel
#: CPUs (CTranslate2 picks by vendor), each dispatching by instruction set.
VARIANTS: dict[str, dict[str, str]] = {
    "native": {},
    "intel-mkl": {"CT2_USE_MKL": "1"},
    "ct2-generic": {"CT2_FORCE_CPU_ISA": "GENERIC"},
    "ct2-avx": {"CT2_FORCE_CPU_ISA": "AVX"},
    "sse41": {"ONEDNN_MAX_CPU_ISA": "SSE41", "CT2_FORCE_CPU_ISA": "GENERIC"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--compute", nargs="+", default=["int8"])
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps({"variant": args.one[0], "compute": args.one[1],
                          **{k: round(v, 4) for k, v in figures(args.one[1]).items()}}), flush=True)
        return
    for variant in args.variant:
        for compute in args.compute:
            env = {**os.environ, **VARIANTS[variant]}
            subprocess.run([sys.executable, __file__, "--one", variant, compute], env=env, check=True)


if __name__ == "__main__":
    main()
