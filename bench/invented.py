"""Invented text on longer stress recordings: cues over music, silence, noise and crowd, and speech kept.

    python bench/invented.py [--recordings 3] [--modes batched,sequential] [--zeroth DIR]

``samples/noisy.mp4`` is one 84-second recording, tuned so that Whisper invents text on it. This
builds ``--recordings`` longer ones (about 3 minutes each) from the same parts, each with its own
seeds, melodies, "vocal" clips and speech order, with the long stretches a livestream has: 30 s of
intro music, 10 s of dropped audio, 12 s of crowd, 20 s of background music, 8 s of noise, 40 s of
outro music, five real Zeroth speech clips between them, one of them over the music 14 dB down.
Music is synthesized in 10-second blocks (so the sung lead never stops), each with a
time-reversed, untranscribed Zeroth clip as its lead "singer" (see ``samples/make_noisy.py``).

Every recording runs through ``run_subtitle`` (``--translator none``, no mux), once per decoding
mode, with the invented-text filter and without (``--keep-invented``). Printed per recording and
mode, and summed: cues inside non-speech stretches (overlap > 300 ms, as ``tests/quality/test_clean.py``
counts them), by kind; the CER against the speech clips' transcripts; speech clips with no cue.
The WAVs and their timelines are cached in ``bench/.work/invented/``.
"""

from __future__ import annotations

import argparse
import array
import json
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "samples"))
sys.path.insert(0, str(REPO))

import make_noisy as mn  # noqa: E402  (samples/: the same parts noisy.mp4 is made of)

ms = mn.ms
RATE = mn.RATE
WORK = REPO / "bench" / ".work" / "invented"
INSIDE_MS = 300
BLOCK_S = 10.0
BED_DB = -14.0

#: (kind, seconds) of each stretch; "speech" takes the next clip, "speech-bgm" one over music.
LAYOUT: tuple[tuple[str, float], ...] = (
    ("music", 30.0), ("speech", 0), ("silence", 10.0), ("speech", 0), ("crowd", 12.0), ("speech", 0),
    ("music", 20.0), ("speech-bgm", 0), ("noise", 8.0), ("speech", 0), ("music", 40.0),
)  # fmt: skip


@dataclass(frozen=True)
class Stretch:
    kind: str
    start_ms: int
    end_ms: int
    text: str = ""


def _music(n: int, rng: random.Random, babble: list[array.array[int]]) -> list[float]:
    out: list[float] = []
    block = round(BLOCK_S * RATE)
    while len(out) < n:
        m = min(block, n - len(out))
        melody = rng.choice(tuple(mn.MELODIES))
        vocal = mn._vocal(m, babble[rng.randrange(len(babble))], rng.uniform(0, 4))
        out += mn.fade(mn.music(m, melody, rng.randrange(1 << 30), vocal), 0.02, 0.02)
    return out


def build(index: int, zeroth: Path, ffmpeg: str) -> tuple[Path, list[Stretch]]:
    wav = WORK / f"stress-{index}.wav"
    timeline = wav.with_suffix(".json")
    if wav.is_file() and timeline.is_file():
        return wav, [Stretch(**s) for s in json.loads(timeline.read_text())]
    rng = random.Random(1000 + index)
    clips = [c for c in ms.read_manifest(zeroth) if c.text]
    rng.shuffle(clips)
    babble = [ms.decode_pcm(ffmpeg, zeroth / "wavs" / f"{cid}.flac") for cid in mn.BABBLE_CLIPS]
    parts: list[tuple[str, list[float] | array.array[int], str]] = []
    for kind, seconds in LAYOUT:
        n = round(seconds * RATE)
        seed = rng.randrange(1 << 30)
        if kind in ("speech", "speech-bgm"):
            clip = clips.pop()
            pcm = ms.decode_pcm(ffmpeg, clip.path)
            if kind == "speech-bgm":
                speech = [v / 32768 for v in pcm]
                level_db = 20 * math.log10(mn.rms(speech)) + BED_DB
                bed = mn.to_db_level(_music(len(pcm), rng, babble), level_db)
                parts.append(("speech", [a + b for a, b in zip(speech, bed, strict=True)], clip.text))
            else:
                parts.append(("speech", pcm, clip.text))
        elif kind == "music":
            parts.append((kind, _music(n, rng, babble), ""))
        elif kind == "silence":
            parts.append((kind, mn.silence(n, seed), ""))
        elif kind == "noise":
            parts.append((kind, mn.fade(mn.noise(n, seed), 0.02, 0.02), ""))
        else:
            parts.append((kind, mn.fade(mn.crowd(n, seed, babble), 0.02, 0.02), ""))
    total = sum(len(p) for _, p, _ in parts)
    floor = ms.noise_floor(total, 7 + index)
    track = array.array("h", bytes(2 * total))
    stretches, pos = [], 0
    for kind, signal, text in parts:
        for j, v in enumerate(signal):
            x = v if isinstance(signal, array.array) else round(v * 32767)
            track[pos + j] = max(-32768, min(32767, (0 if kind == "silence" else floor[pos + j]) + x))
        stretches.append(Stretch(kind, round(pos * 1000 / RATE), round((pos + len(signal)) * 1000 / RATE), text))
        pos += len(signal)
    WORK.mkdir(parents=True, exist_ok=True)
    ms.write_wav(wav, track)
    timeline.write_text(json.dumps([s.__dict__ for s in stretches], ensure_ascii=False, indent=1))
    return wav, stretches


def measure(wav: Path, stretches: list[Stretch], batched: bool, transcriber: Any) -> dict[str, Any]:
    from streamkit.evaluation import character_error_rate
    from streamkit.job import OutputOptions
    from streamkit.pipeline import SubtitleJob, run_subtitle
    from streamkit.quality import QualityOptions
    from streamkit.transcribe import TranscribeOptions
    from streamkit.translation.options import TranslateOptions

    row: dict[str, Any] = {}
    for label, quality in (("raw", None), ("filtered", QualityOptions())):
        out = WORK / f"{wav.stem}-{'batched' if batched else 'sequential'}-{label}"
        job = SubtitleJob(wav, outputs=OutputOptions(folder=out, mux=False, force=True, use_cache=True),
                          translate=TranslateOptions(engine="none"), quality=quality,
                          decoding=TranscribeOptions(batched=batched))
        cues = run_subtitle(job, transcriber=transcriber).tracks[0].cues
        inside = [(s.kind, c.text) for c in cues for s in stretches
                  if s.kind != "speech" and min(s.end_ms, c.end_ms) - max(s.start_ms, c.start_ms) > INSIDE_MS]
        speech = [s for s in stretches if s.kind == "speech"]
        row[label] = {
            "cues": len(cues),
            "inside": len(inside),
            "inside_by_kind": {k: sum(1 for kind, _ in inside if kind == k) for k in sorted({k for k, _ in inside})},
            "inside_text": [t for _, t in inside],
            "cer": round(character_error_rate(" ".join(s.text for s in speech),
                                              " ".join(c.text.replace("\n", " ") for c in cues)), 4),
            "speech_clips_without_cue": sum(
                1 for s in speech if not any(c.start_ms < s.end_ms and c.end_ms > s.start_ms for c in cues)),
        }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recordings", type=int, default=3)
    parser.add_argument("--modes", default="batched,sequential")
    parser.add_argument("--zeroth", type=Path, default=REPO.parent / "shared" / "data" / "zeroth-korean")
    args = parser.parse_args()

    from streamkit.transcribe import WhisperTranscriber, resolve_model

    ffmpeg = ms.find_ffmpeg(None)
    transcriber = WhisperTranscriber(resolve_model("base", device="cpu"))
    totals: dict[str, dict[str, int]] = {}
    for index in range(args.recordings):
        wav, stretches = build(index, args.zeroth.resolve(), ffmpeg)
        for mode in args.modes.split(","):
            row = measure(wav, stretches, mode == "batched", transcriber)
            print(json.dumps({"recording": wav.name, "seconds": stretches[-1].end_ms / 1000, "mode": mode, **row},
                             ensure_ascii=False), flush=True)
            for label in ("raw", "filtered"):
                t = totals.setdefault(f"{mode}/{label}", {"inside": 0, "speech_clips_without_cue": 0})
                t["inside"] += row[label]["inside"]
                t["speech_clips_without_cue"] += row[label]["speech_clips_without_cue"]
    print(json.dumps({"totals": totals}))


if __name__ == "__main__":
    main()
