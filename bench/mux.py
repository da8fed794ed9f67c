"""Target 4: muxing subtitles into a long recording vs a plain `ffmpeg -c copy` of the same file.

    python bench/mux.py [--minutes 60]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WORK, ffmpeg, long_recording, machine, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import subprocess

    from streamkit.media import probe
    from streamkit.models import Cue, SubtitleFile, SubtitleTrack
    from streamkit.mux import mux
    from streamkit.subtitles import write_subtitles

    video, _ = long_recording(args.minutes)
    info = probe(video)
    cues = tuple(Cue(t, t + 2000, (f"자막 {i}",)) for i, t in enumerate(range(0, info.duration_ms - 2000, 3000)))
    subs = [write_subtitles(SubtitleTrack(lang, cues), WORK / f"bench.{lang}.srt") for lang in ("en", "ko")]
    subs = [SubtitleFile(s.path, s.language, s.format, s.cues) for s in subs]
    plain, ours = [], []
    for _ in range(args.repeats):
        copy = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(video), "-map", "0", "-c", "copy",
                str(WORK / "plain-copy.mp4")]
        _, t = timed(lambda copy=copy: subprocess.run(copy, check=True))  # type: ignore[misc]
        plain.append(t)
        _, t = timed(lambda: mux(info, subs, WORK / "muxed.mp4", container="mp4"))
        ours.append(t)
        time.sleep(0.2)
    print(json.dumps({"bench": "mux", "minutes": args.minutes, "machine": machine(),
                      "plain_copy_s": round(min(plain), 3), "streamkit_mux_s": round(min(ours), 3),
                      "ratio": round(min(ours) / min(plain), 3)}))


if __name__ == "__main__":
    main()
