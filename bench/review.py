"""The review page on a 3-hour show: 3,000 cues per language (the issue's target: open in <= 2 s).

    python bench/review.py [--cues 3000]

Times the server side (session, first check, a re-check after one edit, the names check warmed in
the background) and, with Debian's chromium, the page itself: navigation start to rows on screen.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SAMPLES, WORK, machine, timed


def _srt(n: int, text: str) -> str:
    def t(ms: int) -> str:
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return "".join(f"{i + 1}\n{t(i * 3600)} --> {t(i * 3600 + 3000)}\n{text} {i + 1}\n\n" for i in range(n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cues", type=int, default=3000)
    args = parser.parse_args()

    from streamkit.web import start_server
    from streamkit.web.review import create_app, open_review
    from streamkit.web.review.cues import parse_cues

    folder = WORK / "review"
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / "long.mp4"
    if not video.exists():
        os.symlink(SAMPLES / "fanlive.mp4", video)
    (folder / "long.ko.srt").write_text(_srt(args.cues, "오늘 무대 정말 좋았어요"), encoding="utf-8")
    (folder / "long.en.srt").write_text(_srt(args.cues, "Today's stage was really good"), encoding="utf-8")

    session, opened = timed(lambda: open_review(video))
    tracks = {t.language: parse_cues(t.cues_json()) for t in session.tracks.values()}
    _, first = timed(lambda: session.check(tracks, budget=0.0))
    tracks["ko"][args.cues // 2] = replace(tracks["ko"][args.cues // 2], lines=("방탄소년단 오늘",))
    _, again = timed(lambda: session.check(tracks, budget=0.0))
    _, warm = timed(session.warm)
    _, names = timed(lambda: session.check(tracks))
    result = {"bench": "review", "cues_per_language": args.cues, "open_s": round(opened, 3),
              "first_check_s": round(first, 3), "recheck_after_edit_s": round(again, 3),
              "names_warm_s": round(warm, 1), "recheck_with_names_s": round(names, 3)}

    try:
        from playwright.sync_api import sync_playwright

        from tests.browser import CHROMIUM_ARGS, chromium_path

        with start_server(create_app(session)) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            started = time.perf_counter()
            page.goto(server.url + "/")
            page.wait_for_selector("body[data-ready='1']")
            result["page_ready_s"] = round(time.perf_counter() - started, 3)
            result["page_ready_ms_in_page"] = page.evaluate("Number(document.body.dataset.readyMs)")
            result["rows_in_dom"] = page.locator("#rows .row").count()
            browser.close()
    except ImportError:
        result["page"] = "skipped: playwright is not installed"
    print(json.dumps({**result, **machine()}))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
