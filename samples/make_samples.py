#!/usr/bin/env python3
"""Build the demo media in ``samples/`` from the Zeroth-Korean clips.

Usage (from the repository root)::

    python samples/make_samples.py [--zeroth DIR] [--out DIR] [--ffmpeg PATH]

``--zeroth`` defaults to ``../shared/data/zeroth-korean`` relative to the repository root
(``/work/shared/data/zeroth-korean`` in the dev container); it must hold ``manifest.tsv``,
``ATTRIBUTION.md`` and ``wavs/*.flac``.  ``--out`` defaults to this script's folder.

What it writes (all overwritten on every run):

``fanlive.mp4``
    A ~55 s livestream-style demo: the first five transcribed clips of ``manifest.tsv``, in manifest
    order, separated by 1.0-1.5 s of very quiet noise, with 1 s of the same at the start and end.
``fanlive.ref.tsv``
    ``start_ms  end_ms  text``: where each clip sits in ``fanlive.mp4`` and its reference transcript.
``short.mp4`` / ``short.ref.tsv``
    One clip (104_003_0294, 6.9 s) with 0.3 s of quiet either side, for fast tests.
``ATTRIBUTION.md``, ``README.md``
    The CC BY 4.0 notice of the audio, the font licence note, and how the files were made.

Both videos: 640x360 H.264 (High profile, yuv420p, 30000/1001 fps, keyframe every 2 s) showing a slowly
turning two-colour gradient with a title drawn in Noto Sans KR; AAC-LC 48 kHz stereo 96 kbit/s;
``+faststart`` (moov atom first) so they stream and seek like a real upload.

How the audio is assembled: every clip is decoded by ffmpeg to 16 kHz mono s16 PCM and placed at an
exact sample offset in one PCM buffer; a constant noise floor (triangular white noise, about -62 dBFS
RMS, from a fixed-seed ``random.Random``) runs under the whole track, so the pauses are quiet but
never digital silence.  Clip samples are otherwise unchanged (no fades, no level change).  ffmpeg then
resamples that track to 48 kHz stereo while encoding AAC.  The ``start_ms``/``end_ms`` columns are the
clip file's first and last sample (rounded to ms), so they include the few hundred ms of room tone
each recording has before and after the speech.

Determinism: the noise seed, gradient seed, clip list and gap lengths are fixed, and ffmpeg runs with
``-bitexact`` flags and without metadata, so the same ffmpeg build gives byte-identical files.
(Another ffmpeg or x264 version may produce slightly different bytes, never different timings.)

Only the standard library and an ffmpeg binary are needed: the one bundled with ``imageio-ffmpeg``
when that package is importable, else ``ffmpeg`` on ``PATH`` (or ``--ffmpeg``).  ffmpeg needs
``libx264``, the ``gradients`` source and ``drawtext`` (libfreetype).  The Noto Sans KR font is taken
from the ``justmytype-intl-cjk`` package, or ``--font``.
"""

from __future__ import annotations

import argparse
import array
import dataclasses
import hashlib
import importlib.util
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
DEFAULT_ZEROTH = REPO_ROOT.parent / "shared" / "data" / "zeroth-korean"

# --- audio layout ---------------------------------------------------------------------------------
RATE = 16_000  # the Zeroth clips' rate; the track is assembled at this rate, AAC-encoded at 48 kHz
FANLIVE_CLIPS = 5  # the first N transcribed clips of manifest.tsv, in manifest order
FANLIVE_LEAD_S = 1.0
FANLIVE_TAIL_S = 1.0
FANLIVE_GAPS_S = (1.2, 1.4, 1.0, 1.3)  # pause after clip 1, 2, 3, 4 (all within 1.0-1.5 s)
SHORT_CLIP = "104_003_0294"
SHORT_PAD_S = 0.3
NOISE_SEED = 20_240_401
NOISE_PEAK = 64  # triangular noise in [-64, 64] of 32767: RMS ~26, about -62 dBFS

# --- video / encoding -----------------------------------------------------------------------------
WIDTH, HEIGHT = 640, 360
FPS = Fraction(30000, 1001)
GOP = 60  # a keyframe every ~2 s, like a live ingest
TITLE = "streamkit sample · 라이브"
AUDIO_BITRATE = "96k"
MAX_BYTES = 2_000_000
MAX_FANLIVE_S = 60.0
MIN_FANLIVE_S = 45.0

FONT_REL = Path("fonts") / "ofl" / "notosanskr" / "NotoSansKR[wght].ttf"


@dataclasses.dataclass(frozen=True)
class Clip:
    clip_id: str  # e.g. "104_003_0294"
    path: Path
    text: str


@dataclasses.dataclass(frozen=True)
class Placed:
    clip: Clip
    start_sample: int
    n_samples: int

    @property
    def start_ms(self) -> int:
        return round(self.start_sample * 1000 / RATE)

    @property
    def end_ms(self) -> int:
        return round((self.start_sample + self.n_samples) * 1000 / RATE)


# --- helpers --------------------------------------------------------------------------------------


def find_ffmpeg(explicit: str | None) -> str:
    if explicit:
        return explicit
    if importlib.util.find_spec("imageio_ffmpeg") is not None:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    found = shutil.which("ffmpeg")
    if found is None:
        sys.exit("make_samples: no ffmpeg (install imageio-ffmpeg, put ffmpeg on PATH, or pass --ffmpeg)")
    return found


def find_font(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("justmytype_intl_cjk")
    if spec is not None and spec.submodule_search_locations:
        for base in spec.submodule_search_locations:
            candidate = Path(base) / FONT_REL
            if candidate.is_file():
                return candidate
    sys.exit("make_samples: Noto Sans KR not found (install justmytype-intl-cjk or pass --font)")


def run(cmd: Sequence[str], *, cwd: Path | None = None) -> bytes:
    proc = subprocess.run(list(cmd), cwd=cwd, capture_output=True, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-15:]
        sys.exit("make_samples: ffmpeg failed:\n  " + shlex.join(cmd) + "\n" + "\n".join(tail))
    return proc.stdout


def read_manifest(zeroth: Path) -> list[Clip]:
    """Rows of manifest.tsv (``audio  duration_s  text_ko``) in file order."""
    manifest = zeroth / "manifest.tsv"
    if not manifest.is_file():
        sys.exit(f"make_samples: {manifest} not found (pass --zeroth DIR)")
    lines = manifest.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    if header[:3] != ["audio", "duration_s", "text_ko"]:
        sys.exit(f"make_samples: unexpected manifest header {header!r}")
    clips = []
    for line in lines[1:]:
        if not line.strip():
            continue
        audio, _duration, text = line.split("\t", 2)
        clips.append(Clip(Path(audio).stem, zeroth / audio, text.strip()))
    return clips


def decode_pcm(ffmpeg: str, path: Path) -> array.array[int]:
    """The clip as 16 kHz mono signed 16-bit samples (the Zeroth FLACs already are; this is lossless)."""
    cmd = [ffmpeg, "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0"]
    raw = run([*cmd, "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-acodec", "pcm_s16le", "-"])
    pcm = array.array("h")
    pcm.frombytes(raw)
    if sys.byteorder == "big":
        pcm.byteswap()
    return pcm


def noise_floor(n: int, seed: int) -> array.array[int]:
    """Deterministic triangular white noise, peak ``NOISE_PEAK`` (about -62 dBFS RMS)."""
    rng = random.Random(seed)
    rand = rng.random
    return array.array("h", (round((rand() - rand()) * NOISE_PEAK) for _ in range(n)))


def assemble(
    ffmpeg: str, clips: Sequence[Clip], lead_s: float, gaps_s: Sequence[float], tail_s: float, seed: int
) -> tuple[array.array[int], list[Placed]]:
    """One PCM track: lead, clip, gap, clip, ..., clip, tail, over a constant noise floor."""
    assert len(gaps_s) == len(clips) - 1
    pcms = [decode_pcm(ffmpeg, c.path) for c in clips]
    placed: list[Placed] = []
    pos = round(lead_s * RATE)
    for i, (clip, pcm) in enumerate(zip(clips, pcms, strict=True)):
        placed.append(Placed(clip, pos, len(pcm)))
        pos += len(pcm)
        if i < len(gaps_s):
            pos += round(gaps_s[i] * RATE)
    total = pos + round(tail_s * RATE)
    track = noise_floor(total, seed)
    for p, pcm in zip(placed, pcms, strict=True):
        s = p.start_sample
        for j, v in enumerate(pcm):
            track[s + j] = max(-32768, min(32767, track[s + j] + v))
    return track, placed


def write_wav(path: Path, pcm: array.array[int]) -> None:
    data = pcm
    if sys.byteorder == "big":
        data = array.array("h", pcm)
        data.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data.tobytes())


def encode(ffmpeg: str, wav: Path, font: Path, out: Path, n_samples: int, workdir: Path) -> None:
    """Generated picture + the WAV track -> H.264/AAC MP4 with faststart."""
    # drawtext gets the font and the text as plain file names in ``workdir`` (the font's real file
    # name contains ``[wght]``, and the title a '·', both awkward to escape inside a filter graph).
    shutil.copyfile(font, workdir / "title-font.ttf")
    (workdir / "title.txt").write_text(TITLE, encoding="utf-8")
    (workdir / "badge.txt").write_text("● LIVE", encoding="utf-8")
    n_frames = -(-n_samples * FPS.numerator // (RATE * FPS.denominator))  # ceil(duration * fps)
    video = (
        f"gradients=s={WIDTH}x{HEIGHT}:r={FPS.numerator}/{FPS.denominator}"
        ":c0=0x1b2a4a:c1=0x6a2c70:nb_colors=2:type=linear:speed=0.002:seed=7,"
        "drawtext=fontfile=title-font.ttf:textfile=title.txt:fontsize=38:fontcolor=white"
        ":x=(w-text_w)/2:y=h*0.40:shadowx=2:shadowy=2:shadowcolor=black@0.6,"
        "drawtext=fontfile=title-font.ttf:textfile=badge.txt:fontsize=18:fontcolor=white"
        ":box=1:boxcolor=0xd0213a:boxborderw=6:x=18:y=18,"
        "format=yuv420p"
    )
    # fmt: off
    cmd = [
        ffmpeg, "-nostdin", "-y", "-v", "error",
        "-f", "lavfi", "-i", video,
        "-i", wav.name,
        "-map", "0:v:0", "-map", "1:a:0",
        "-frames:v", str(n_frames),
        "-c:v", "libx264", "-preset", "medium", "-profile:v", "high", "-crf", "28",
        "-maxrate", "400k", "-bufsize", "800k", "-g", str(GOP), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", "48000", "-ac", "2",
        "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-movflags", "+faststart",
        str(out.resolve()),
    ]
    # fmt: on
    run(cmd, cwd=workdir)


_DURATION = re.compile(rb"Duration: (\d+):(\d+):(\d+\.\d+)")


def probe_duration(ffmpeg: str, path: Path) -> float:
    """Container duration as ffmpeg reports it (centisecond resolution): a sanity check only."""
    proc = subprocess.run(
        [ffmpeg, "-nostdin", "-hide_banner", "-i", str(path)], capture_output=True, check=False
    )
    m = _DURATION.search(proc.stderr)
    if m is None:
        sys.exit(f"make_samples: cannot read the duration of {path}")
    return int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])


def write_ref_tsv(path: Path, placed: Sequence[Placed]) -> None:
    rows = ["start_ms\tend_ms\ttext"]
    rows += [f"{p.start_ms}\t{p.end_ms}\t{p.clip.text}" for p in placed]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def build(
    ffmpeg: str,
    font: Path,
    clips: Sequence[Clip],
    out_mp4: Path,
    lead_s: float,
    gaps_s: Sequence[float],
    tail_s: float,
    seed: int,
) -> tuple[list[Placed], int, float]:
    track, placed = assemble(ffmpeg, clips, lead_s, gaps_s, tail_s, seed)
    with tempfile.TemporaryDirectory(prefix="streamkit-samples-") as tmp:
        workdir = Path(tmp)
        wav = workdir / "track.wav"
        write_wav(wav, track)
        encode(ffmpeg, wav, font, out_mp4, len(track), workdir)
    write_ref_tsv(out_mp4.with_suffix(".ref.tsv"), placed)
    return placed, len(track), probe_duration(ffmpeg, out_mp4)


# --- documents ------------------------------------------------------------------------------------


def write_attribution(out: Path, zeroth: Path, fan: Sequence[Placed], short: Sequence[Placed]) -> None:
    notice = (zeroth / "ATTRIBUTION.md").read_text(encoding="utf-8").rstrip()
    quoted = "\n".join(f"> {line}".rstrip() for line in notice.splitlines())
    fan_ids = ", ".join(p.clip.clip_id for p in fan)
    short_ids = ", ".join(p.clip.clip_id for p in short)
    text = f"""# Attribution of the sample media

## Audio: Zeroth-Korean (CC BY 4.0)

The speech in `fanlive.mp4` and `short.mp4` comes from the Zeroth-Korean corpus. The notice of the
clips as they were received (copied verbatim from `shared/data/zeroth-korean/ATTRIBUTION.md`):

{quoted}

**Changes made** (by `samples/make_samples.py`): the clips were decoded and concatenated in the order
listed below, with 1.0-1.5 s pauses between them (1 s before the first and after the last in
`fanlive.mp4`; 0.3 s either side in `short.mp4`); a constant very low-level noise floor (about
-62 dBFS) was mixed under the whole track so the pauses are not digital silence; the track was
resampled to 48 kHz stereo, re-encoded to AAC (96 kbit/s) and muxed over a generated picture
(gradient and title) into MP4. The speech itself was not edited, shortened or level-changed.
The transcripts in `*.ref.tsv` are the corpus transcripts (morpheme-segmented spacing), unchanged.

- `fanlive.mp4`: {fan_ids}
- `short.mp4`: {short_ids}

The adapted audio is likewise offered under CC BY 4.0, https://creativecommons.org/licenses/by/4.0/.

## Font: Noto Sans KR (SIL Open Font License 1.1)

The title text drawn into the picture ("{TITLE}" and the "● LIVE" badge) is set in
Noto Sans KR (variable font `NotoSansKR[wght].ttf`, from the `justmytype-intl-cjk` package),
Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source', licensed under
the SIL Open Font License, Version 1.1 (https://openfontlicense.org). The font file itself is not
redistributed here; only text rendered with it appears in the video frames.

## Picture

The background is generated by ffmpeg's `gradients` source; no third-party imagery is used.
"""
    (out / "ATTRIBUTION.md").write_text(text, encoding="utf-8")


def _mb(n: int) -> str:
    return f"{n:,} bytes ({n / 1_000_000:.2f} MB)"


def write_readme(
    out: Path,
    fan: Sequence[Placed],
    fan_s: float,
    short: Sequence[Placed],
    short_s: float,
    ffmpeg_version: str,
) -> None:
    fan_mb, short_mb = _mb((out / "fanlive.mp4").stat().st_size), _mb((out / "short.mp4").stat().st_size)
    fan_tsv, short_tsv = (out / "fanlive.ref.tsv").stat().st_size, (out / "short.ref.tsv").stat().st_size
    text = (
        f"""# Sample media

Small, redistributable Korean speech videos for demos and tests. Generated by
`samples/make_samples.py`; regenerate with (from the repository root):

```sh
python samples/make_samples.py            # default --zeroth ../shared/data/zeroth-korean
```

| file | what | duration | size |
|---|---|---|---|
| `fanlive.mp4` | livestream-style demo: {len(fan)} read-news clips, one speaker | {fan_s:.3f} s | {fan_mb} |
| `fanlive.ref.tsv` | where each clip sits in `fanlive.mp4` + its transcript | | {fan_tsv:,} bytes |
| `short.mp4` | one clip ({short[0].clip.clip_id}) for fast tests | {short_s:.3f} s | {short_mb} |
| `short.ref.tsv` | same, for `short.mp4` | | {short_tsv:,} bytes |
| `ATTRIBUTION.md` | CC BY 4.0 notice of the speech, what was changed, font licence note | | |
| `make_samples.py` | the generator (stdlib + ffmpeg only) | | |

Durations are of the audio track (exact, from the sample count); the video track has the same
length rounded up to a whole frame.

## Format (both videos)

- video: H.264 High, 640x360, yuv420p, 30000/1001 fps, keyframe every 60 frames; a slowly turning
  gradient with the title "{TITLE}" (Noto Sans KR) and a "● LIVE" badge
- audio: AAC-LC, 48 kHz, stereo, 96 kbit/s
- MP4 with `+faststart` (moov first), no metadata, ffmpeg `-bitexact`: re-running the script with
  the same ffmpeg build reproduces the files byte for byte (built with {ffmpeg_version})

## Reference transcripts (`*.ref.tsv`)

UTF-8, tab-separated, header row `start_ms	end_ms	text`, one row per clip. `start_ms`/`end_ms` are
the first and last sample of the clip's audio in the video (rounded to ms), so they include the short
room-tone lead-in/out each recording has; speech starts a little after `start_ms`. Read them with
`streamkit.evaluation.load_reference_tsv`.

The text is the Zeroth-Korean transcript as is: **morpheme-segmented spacing** (`동료 인`,
`위촉 되면서`) and **numbers spelled out in Hangul** (`삼 월`, `이천 십 팔 년`), whereas Whisper
writes normal spacing and digits (`3월`, `2018년`). `streamkit.evaluation.normalize_for_cer` removes
whitespace and punctuation, which takes care of the spacing, but number spelling is deliberately not
converted, so clips with numbers carry a few "errors" that are only spelling differences. Compare CER
values with each other, not with published benchmarks.

## Audio layout

- `fanlive.mp4`: {FANLIVE_LEAD_S:.1f} s of quiet, then the clips with pauses of
  {", ".join(f"{g:.1f}" for g in FANLIVE_GAPS_S)} s between them, then {FANLIVE_TAIL_S:.1f} s of quiet.
- `short.mp4`: {SHORT_PAD_S:.1f} s of quiet, the clip, {SHORT_PAD_S:.1f} s of quiet.
- "Quiet" is triangular white noise at about -62 dBFS RMS (fixed seed), also present under the
  speech, so there is no digital silence anywhere (as in a real stream).

| file | clip | start_ms | end_ms |
|---|---|---|---|
"""
        + "".join(
            f"| {name} | {p.clip.clip_id} | {p.start_ms} | {p.end_ms} |\n"
            for name, group in (("fanlive", fan), ("short", short))
            for p in group
        )
        + """
Licences: see `ATTRIBUTION.md` (speech CC BY 4.0, Zeroth-Korean; font OFL 1.1, Noto Sans KR).
"""
    )
    (out / "README.md").write_text(text, encoding="utf-8")


# --- main -----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--zeroth",
        type=Path,
        default=DEFAULT_ZEROTH,
        help=f"Zeroth-Korean sample folder (default: {DEFAULT_ZEROTH})",
    )
    parser.add_argument("--out", type=Path, default=HERE, help=f"output folder (default: {HERE})")
    parser.add_argument("--ffmpeg", help="ffmpeg binary (default: imageio-ffmpeg's, else PATH)")
    parser.add_argument("--font", help="Noto Sans KR .ttf (default: from justmytype-intl-cjk)")
    args = parser.parse_args(argv)

    zeroth: Path = args.zeroth.resolve()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    ffmpeg = find_ffmpeg(args.ffmpeg)
    font = find_font(args.font)
    version_line = run([ffmpeg, "-nostdin", "-version"]).decode("utf-8", "replace").splitlines()[0]
    ffmpeg_version = " ".join(version_line.split()[:3])

    manifest = read_manifest(zeroth)
    by_id = {c.clip_id: c for c in manifest}
    fan_clips = manifest[:FANLIVE_CLIPS]
    if len(fan_clips) < FANLIVE_CLIPS or SHORT_CLIP not in by_id:
        sys.exit(f"make_samples: {zeroth / 'manifest.tsv'} lacks the expected clips")

    fan, fan_samples, fan_probe = build(
        ffmpeg,
        font,
        fan_clips,
        out / "fanlive.mp4",
        FANLIVE_LEAD_S,
        FANLIVE_GAPS_S,
        FANLIVE_TAIL_S,
        NOISE_SEED,
    )
    short, short_samples, short_probe = build(
        ffmpeg, font, [by_id[SHORT_CLIP]], out / "short.mp4", SHORT_PAD_S, (), SHORT_PAD_S, NOISE_SEED + 1
    )
    fan_s, short_s = fan_samples / RATE, short_samples / RATE

    problems = []
    if not MIN_FANLIVE_S <= fan_s <= MAX_FANLIVE_S or fan_probe > MAX_FANLIVE_S:
        problems.append(f"fanlive.mp4 lasts {fan_s:.3f} s (container {fan_probe:.2f} s)")
    for name in ("fanlive.mp4", "short.mp4"):
        if (out / name).stat().st_size >= MAX_BYTES:
            problems.append(f"{name} is {(out / name).stat().st_size} bytes (limit {MAX_BYTES})")
    if problems:
        sys.exit("make_samples: " + "; ".join(problems))

    write_attribution(out, zeroth, fan, short)
    write_readme(out, fan, fan_s, short, short_s, ffmpeg_version)

    for name in ("fanlive.mp4", "fanlive.ref.tsv", "short.mp4", "short.ref.tsv"):
        p = out / name
        digest = hashlib.sha256(p.read_bytes()).hexdigest()[:16]
        print(f"{p}  {p.stat().st_size:>9,} B  sha256:{digest}")
    print(f"fanlive: {fan_s:.3f} s audio ({fan_probe:.2f} s container), {len(fan)} clips")
    print(f"short:   {short_s:.3f} s audio ({short_probe:.2f} s container)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
