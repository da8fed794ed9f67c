"""The live pages: the API through an ASGI client, and the overlay and captions pages in headless Chromium,
fed by a real run (growing file, real model) and by published captions."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from streamkit.live import Caption, LiveJob, LiveOptions, layout, parse_source, run_live
from streamkit.models import Utterance
from streamkit.transcribe import WhisperTranscriber
from streamkit.web import start_server
from streamkit.web.live import LiveBoard, create_app

from ...conftest import SHORT
from ...live.publish import growing_file_args, start, wait_for


def caption(language: str, sentence: int, text: str, start_ms: int, *, final: bool = True) -> dict[str, Any]:
    cues = layout(Utterance(start_ms, start_ms + 3000, text), language)
    return Caption(language, sentence, text, cues[-1].lines, start_ms, start_ms + 3000, final,
                   cues if final else ()).to_dict()


def test_pages_static_files_and_state() -> None:
    board = LiveBoard()
    client = TestClient(create_app(board))
    for path in ("/", "/overlay", "/static/live.js", "/static/live.css"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "EventSource" in client.get("/static/live.js").text
    assert "transparent" in client.get("/static/live.css").text
    board.publish("caption", caption("ko", 1, "안녕하세요 여러분", 0, final=False))
    board.publish("caption", caption("ko", 1, "안녕하세요 여러분 오늘", 0))
    board.publish("status", {"lag_ms": 800, "received_ms": 5000, "cheap": False})
    state = client.get("/api/state").json()
    assert state["last_id"] == 3
    assert [c["text"] for c in state["captions"]] == ["안녕하세요 여러분 오늘"]
    assert state["status"]["status"]["lag_ms"] == 800


def _lines(page: Any, lang: str) -> list[str]:
    return list(page.locator(f'.lang[data-lang="{lang}"] .line').all_inner_texts())


@pytest.mark.browser
def test_the_overlay_is_transparent_and_shows_at_most_two_lines_per_language_in_order(page: Any) -> None:
    board = LiveBoard()
    with start_server(create_app(board)) as server:
        page.goto(server.url + "/overlay?lang=en,ko&lines=2")
        page.wait_for_selector('.lang[data-lang="ko"]', state="attached")
        time.sleep(0.5)
        backgrounds = page.evaluate("[getComputedStyle(document.documentElement).backgroundColor,"
                                    " getComputedStyle(document.body).backgroundColor]")
        assert backgrounds == ["rgba(0, 0, 0, 0)", "rgba(0, 0, 0, 0)"]
        long_ko = ("지난해 삼월 김 전 장관의 동료인 장동련 홍익대 교수가 민간 자문단장으로 위촉되면서 "
                   "본격적인 공모와 개발 작업에 들어갔다")
        sentences = ["첫 번째 문장입니다", "두 번째 문장입니다", long_ko]
        for i, text in enumerate(sentences, start=1):
            board.publish("caption", caption("ko", i, text, i * 4000, final=False))
            page.wait_for_function(f"document.querySelector('.lang[data-lang=\"ko\"]').innerText.replace(/\\s+/g, '')"
                                   f".includes({text.split()[-1]!r})", timeout=5000)
            assert 1 <= len(_lines(page, "ko")) <= 2
        english = ("Last March, Professor Jang Dong-ryun of Hongik University, a colleague of former minister Kim, "
                   "was appointed head of the civilian advisory group, and the contest and development work began.")
        board.publish("caption", caption("en", 3, english, 12000))
        page.wait_for_function("document.querySelectorAll('.lang[data-lang=\"en\"] .line').length > 0", timeout=5000)
        for _ in range(10):
            assert len(_lines(page, "en")) <= 2 and len(_lines(page, "ko")) <= 2
            time.sleep(0.2)
        board.broker.close()


@pytest.mark.browser
def test_every_translated_language_has_its_line_on_both_pages(page: Any, browser: Any) -> None:
    """``--to en,ja``: the captions page keeps one line per language under each Korean sentence (a second
    language used to overwrite the first), and the overlay a box per language asked for."""
    board = LiveBoard()
    with start_server(create_app(board)) as server:
        page.goto(server.url + "/")
        page.wait_for_selector("#history", state="attached")
        overlay = browser.new_page()
        overlay.goto(server.url + "/overlay?lang=en,ja,ar,ko&lines=2")
        overlay.wait_for_selector('.lang[data-lang="ja"]', state="attached")
        board.publish("caption", caption("ko", 1, "안녕하세요 여러분", 0))
        board.publish("caption", caption("en", 1, "Hello, everyone.", 0, final=False))
        board.publish("caption", caption("ja", 1, "皆さん、こんにちは。", 0))
        board.publish("caption", caption("en", 1, "Hello, everyone!", 0))
        board.publish("caption", caption("ar", 1, "مرحبا بالجميع", 0))
        page.wait_for_function("document.querySelectorAll('#history li .dst > span').length === 3", timeout=5000)
        page.wait_for_function("document.querySelector('#history li .dst > span[lang=\"en\"]').innerText"
                               " === 'Hello, everyone!'", timeout=5000)
        cells = page.evaluate("[...document.querySelectorAll('#history li .dst > span')]"
                              ".map((el) => [el.lang, el.innerText, el.classList.contains('partial')])")
        assert cells == [["en", "Hello, everyone!", False], ["ja", "皆さん、こんにちは。", False],
                         ["ar", "مرحبا بالجميع", False]]
        # Arabic reads right to left on both pages (dir=auto: the text's own direction)
        assert page.evaluate("getComputedStyle(document.querySelector('#history li .dst > span[lang=\"ar\"]'))"
                             ".direction") == "rtl"
        assert page.locator("#history li .src").all_inner_texts() == ["안녕하세요 여러분"]
        overlay.wait_for_function("document.querySelector('.lang[data-lang=\"ja\"]').innerText.includes('皆さん')"
                                  " && document.querySelector('.lang[data-lang=\"ar\"] .line')", timeout=5000)
        assert overlay.evaluate("getComputedStyle(document.querySelector('.lang[data-lang=\"ar\"] .line'))"
                                ".direction") == "rtl"
        for lang, word in (("en", "everyone"), ("ko", "여러분")):
            overlay.wait_for_function(f"document.querySelector('.lang[data-lang=\"{lang}\"]').innerText"
                                      f".includes({word!r})", timeout=5000)
        overlay.close()
        board.broker.close()


@pytest.mark.browser
def test_a_final_sentence_never_steps_back_to_cues_already_read(page: Any) -> None:
    """The overlay plays a final sentence from the cue holding what the partial showed last. When those last
    letters straddle two of the final's cues ("여러 | 차례"), no cue held them and the whole sentence was played
    again from its first cue: the viewer saw lines already read (likely how the real-run test below once
    failed its order check)."""
    board = LiveBoard()
    with start_server(create_app(board)) as server:
        page.goto(server.url + "/overlay?lang=ko&lines=2")
        page.wait_for_selector('.lang[data-lang="ko"]', state="attached")
        partial = {"language": "ko", "sentence": 1, "text": "첫째 줄 글자들 둘째 줄 여러 차례",
                   "lines": ["줄 여러 차례"], "start_ms": 0, "end_ms": 6000, "final": False, "cues": []}
        board.publish("caption", partial)
        page.wait_for_function("document.querySelector('.lang[data-lang=\"ko\"]').innerText.includes('차례')",
                               timeout=5000)
        page.evaluate("""() => { window.seen = [];
            new MutationObserver(() => window.seen.push(document.querySelector('.lang[data-lang="ko"]').innerText))
            .observe(document.getElementById('captions'), {childList: true, subtree: true}); }""")
        cues = [{"start_ms": 0, "end_ms": 2000, "lines": ["첫째 줄 글자들"]},
                {"start_ms": 2000, "end_ms": 4000, "lines": ["둘째 줄 여러"]},
                {"start_ms": 4000, "end_ms": 8000, "lines": ["차례의 공정을 거쳐야 한다"]}]
        board.publish("caption", {**partial, "text": "첫째 줄 글자들 둘째 줄 여러 차례의 공정을 거쳐야 한다",
                                  "lines": cues[-1]["lines"], "end_ms": 8000, "final": True, "cues": cues})
        page.wait_for_function("window.seen.some((t) => t.includes('공정을'))", timeout=5000)
        time.sleep(1.5)
        seen = page.evaluate("window.seen")
        board.broker.close()
    assert not any("첫째" in t or "둘째" in t for t in seen), seen


@pytest.mark.slow
@pytest.mark.browser
def test_a_real_run_reaches_the_overlay_and_the_captions_page_in_order(
    page: Any, browser: Any, tmp_path: Path, transcriber: WhisperTranscriber, ffmpeg_exe: str
) -> None:
    growing = tmp_path / "show.ts"
    board = LiveBoard()
    publisher = start(growing_file_args(SHORT, growing))
    try:
        wait_for(growing)
        with start_server(create_app(board)) as server:
            page.goto(server.url + "/overlay?lang=ko&lines=2")
            page.evaluate("""() => { window.seen = []; window.maxLines = 0;
                new MutationObserver(() => { const box = document.querySelector('.lang[data-lang="ko"]');
                  const n = box.querySelectorAll('.line').length; window.maxLines = Math.max(window.maxLines, n);
                  if (n) window.seen.push(box.innerText.replace(/\\s+/g, ' ').trim()); })
                .observe(document.getElementById('captions'), {childList: true, subtree: true}); }""")
            history = browser.new_page()
            history.goto(server.url + "/")
            job = LiveJob(parse_source(str(growing)), tmp_path, "show", target=None, idle_timeout_s=2.0,
                          options=LiveOptions(cheap_lag_ms=60_000, skip_lag_ms=120_000), ffmpeg=ffmpeg_exe)
            done = threading.Event()
            result = run_live(job, transcriber, board.publish, done)
            page.wait_for_function("window.seen.length > 0", timeout=10000)
            seen = page.evaluate("window.seen")
            assert page.evaluate("window.maxLines") <= 2
            history.wait_for_function("document.querySelectorAll('#history li').length > 0", timeout=10000)
            rows = history.locator("#history li .src").all_inner_texts()
            history.close()
            board.broker.close()
    finally:
        publisher.kill()
        publisher.wait()
    assert result.sentences["ko"] >= 1
    final = " ".join(c["text"] for c in board.state()["captions"] if c["final"])
    assert "".join(rows).replace(" ", "") == final.replace(" ", "")
    # Every state shown is in the order of the text: each shown line occurs in the final text, in order.
    flat = final.replace(" ", "")
    at = 0
    for shown in seen:
        at = flat.find(shown.replace(" ", "")[-4:], at)
        assert at >= 0, f"shown {shown!r} is not in the final text in order: {seen!r} -> {final!r}"
