"""The review page in headless Chromium, on a real server: what an editor sees and does."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamkit.subtitles import read_raw
from streamkit.translation.drafts import load_record
from streamkit.web import EventBroker, RunningServer, start_server
from streamkit.web.review import ReviewSession, check_in_background, create_app, open_review

from ...conftest import FANLIVE, REPO

pytestmark = pytest.mark.browser


@pytest.fixture
def server(session: ReviewSession) -> Iterator[RunningServer]:
    broker = EventBroker()
    check_in_background(session, broker).join(60)
    with start_server(create_app(session, broker)) as running:
        yield running
        broker.close()


def _open(page: Any, url: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=10_000)
    page.wait_for_selector("body[data-checked]", timeout=10_000)  # the first check runs after ready


def _badges(page: Any, cue_id: str) -> list[str]:
    return list(page.locator(f".cell[data-id='{cue_id}'] .badge").all_inner_texts())


def _wait_badges(page: Any, cue_id: str, want: list[str]) -> None:
    page.wait_for_function(
        "([id, want]) => JSON.stringify([...document.querySelectorAll(`.cell[data-id='${id}'] .badge`)]"
        ".map(b => b.textContent)) === JSON.stringify(want)", arg=[cue_id, want], timeout=5000)


def test_the_page_says_when_its_first_check_has_landed(page: Any, server: RunningServer) -> None:
    """The check runs after the page is ready; a slow answer must not leave a test (or a script
    driving the page) reading the cues before their problems are shown."""
    def slow(route: Any) -> None:
        time.sleep(1.0)
        route.continue_()

    page.route("**/api/check", slow)
    _open(page, server.url)
    assert _badges(page, "ko-3") == ["line-too-long", "too-fast", "too-short"]


def test_edit_fix_retranslate_and_save(page: Any, server: RunningServer, show: Path) -> None:
    _open(page, server.url)
    assert _badges(page, "ko-3") == ["line-too-long", "too-fast", "too-short"]
    assert "3 errors" in page.inner_text("#counts") and "voiced, no cue" in page.inner_text("#counts")
    page.click(".cell[data-id='ko-3']")
    assert "too-fast" in page.inner_text("#ed-problems")

    page.fill("#ed-text", "신곡 무대 정말 좋아요")  # the editor corrects what was said
    _wait_badges(page, "ko-3", ["too-fast", "too-short"])  # short enough now, still too fast

    page.click("#retranslate")
    page.wait_for_selector(".cell.touched", timeout=10_000)
    assert page.inner_text(".cell.touched .text") == "New song stage really it's good"
    assert "re-translated 1 sentence" in page.inner_text("#status")
    page.click(".cell[data-id='ko-3']")
    page.screenshot(path=str(show.parent / "review.png"))
    if os.environ.get("STREAMKIT_SCREENSHOTS"):
        shutil.copy(show.parent / "review.png", REPO / "docs" / "review.png")

    page.click("button[data-action='fix']")
    _wait_badges(page, "ko-3", [])
    assert "flag-error" not in (page.get_attribute(".cell[data-id='ko-3']", "class") or "")
    assert page.inner_text("#ed-problems") == "no problems"

    page.keyboard.press("Control+s")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('saved')", timeout=5000)
    ko, en = read_raw(show.parent / "show.ko.srt").cues, read_raw(show.parent / "show.en.srt").cues
    assert ko[2].lines == ("신곡 무대 정말 좋아요",) and ko[2].end_ms == 14200
    assert ("New song stage really it's good",) in [c.lines for c in en]
    record = load_record(show.parent / "show.en.srt")
    assert record is not None and record.korean.cues[2].lines == ("신곡 무대 정말 좋아요",)

    page.click("#fix-all")  # every track; the last one reports
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('en: ')")


def test_two_pages_saving_the_same_file_give_a_conflict(page: Any, browser: Any, server: RunningServer,
                                                       show: Path) -> None:
    other = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        second = other.new_page()
        for pg in (page, second):
            _open(pg, server.url)
        page.click(".cell[data-id='ko-1']")
        page.fill("#ed-text", "안녕하세요 첫 번째 탭")
        page.keyboard.press("Control+s")
        page.wait_for_function("document.querySelector('#status').textContent.startsWith('saved')")

        second.click(".cell[data-id='ko-1']")
        second.fill("#ed-text", "안녕하세요 두 번째 탭")
        second.click("#save")
        second.wait_for_selector("#conflict[open]", timeout=5000)
        assert "show.ko.srt changed on disk" in second.inner_text("#conflict-msg")
        assert "첫 번째 탭" in second.inner_text("#conflict-list")
        assert read_raw(show.parent / "show.ko.srt").cues[0].lines == ("안녕하세요 첫 번째 탭",)

        second.click("#conflict button[value='theirs']")
        second.wait_for_function(
            "document.querySelector(\".cell[data-id='ko-1'] .text\").textContent === '안녕하세요 첫 번째 탭'")
    finally:
        other.close()


def test_play_pressed_twice_at_once_is_no_page_error(page: Any, server: RunningServer) -> None:
    """Ctrl+Space twice before playback starts: the browser rejects play() (AbortError), which the page
    left unhandled (a JavaScript error on a loaded machine in test_keyboard_shortcuts)."""
    seen: list[str] = []
    page.on("pageerror", lambda exc: seen.append(str(exc)))
    _open(page, server.url)
    # Right after a seek the video is not ready, so play() is still pending when the second press pauses.
    page.evaluate("""() => { document.querySelector('#video').currentTime = 40;
        for (let i = 0; i < 2; i++) document.dispatchEvent(new KeyboardEvent('keydown',
            {key: ' ', code: 'Space', ctrlKey: true, bubbles: true})); }""")
    page.wait_for_function("document.querySelector('#video').paused")
    page.wait_for_timeout(300)
    assert seen == []
    assert "cannot play" not in page.inner_text("#status")


def test_keyboard_shortcuts(page: Any, server: RunningServer) -> None:
    _open(page, server.url)
    assert "Alt+I" in page.inner_text("#keys-table")  # shown on the page
    page.click(".cell[data-id='ko-1']")
    page.keyboard.press("Alt+ArrowDown")
    assert "cue 2 of 4" in page.inner_text("#ed-lang")
    page.evaluate("v => { document.querySelector('#video').currentTime = v; }", 5.0)
    page.wait_for_function("Math.abs(document.querySelector('#video').currentTime - 5) < 0.01")
    page.keyboard.press("Alt+KeyI")
    assert page.input_value("#ed-in") == "00:00:05.000"
    page.keyboard.press("Alt+ArrowRight")  # one frame at 29.97 fps
    assert page.input_value("#ed-in") == "00:00:05.038"
    page.keyboard.press("Control+z")
    assert page.input_value("#ed-in") == "00:00:05.000"
    page.keyboard.press("Control+z")
    assert page.input_value("#ed-in") == "00:00:04.500"
    page.keyboard.press("Control+y")
    assert page.input_value("#ed-in") == "00:00:05.000"
    page.keyboard.press("Alt+ArrowUp")
    assert "cue 1 of 4" in page.inner_text("#ed-lang")
    page.keyboard.press("Control+Space")
    page.wait_for_function("!document.querySelector('#video').paused", timeout=5000)
    page.keyboard.press("Control+Space")
    page.wait_for_function("document.querySelector('#video').paused")

    page.click(".cell[data-id='ko-4']")
    page.evaluate("document.querySelector('#video').currentTime = 25")
    page.wait_for_function("Math.abs(document.querySelector('#video').currentTime - 25) < 0.01")
    page.keyboard.press("Alt+KeyS")  # split at the playhead, the text at the middle space
    assert "cue 4 of 5" in page.inner_text("#ed-lang") and page.input_value("#ed-text") == "팬 여러분"
    assert page.input_value("#ed-out") == "00:00:25.000"
    page.keyboard.press("Alt+KeyM")
    assert "cue 4 of 4" in page.inner_text("#ed-lang") and page.input_value("#ed-text") == "팬 여러분 고마워요"
    page.keyboard.press("Alt+Delete")
    assert "of 3" in page.inner_text("#ed-lang")
    page.keyboard.press("Alt+KeyN")  # the playhead (25 s) is free again: a new cue there
    assert "cue 4 of 4" in page.inner_text("#ed-lang") and page.input_value("#ed-in") == "00:00:25.000"
    page.keyboard.type("새 자막")
    page.wait_for_function("document.querySelector(\".cell[data-lang='ko'] .text\") !== null")
    assert "새 자막" in page.locator(".cell[data-lang='ko'] .text").all_inner_texts()


def _srt(n: int, text: str) -> str:
    return "".join(f"{i + 1}\n{_t(i * 3600)} --> {_t(i * 3600 + 3000)}\n{text} {i + 1}\n\n" for i in range(n))


def _t(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def test_a_three_hour_show_opens_with_a_virtualized_list(page: Any, tmp_path: Path) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    os.symlink(FANLIVE, folder / "long.mp4")
    (folder / "long.ko.srt").write_text(_srt(3000, "오늘 무대 정말 좋았어요"), encoding="utf-8")
    (folder / "long.en.srt").write_text(_srt(3000, "Today's stage was really good"), encoding="utf-8")
    with start_server(create_app(open_review(folder / "long.mp4"))) as running:
        started = time.perf_counter()
        _open(page, running.url)
        ready_ms = page.evaluate("Number(document.body.dataset.readyMs)")
        print(f"3,000 cues per language: page ready in {time.perf_counter() - started:.2f} s "
              f"({ready_ms} ms after navigation started)")
        assert page.locator(".cell[data-id='ko-1']").count() == 1
        shown = page.locator("#rows .row").count()
        assert 5 < shown < 60  # the DOM holds the rows in view, not 3,000
        assert page.evaluate("document.querySelector('#spacer').offsetHeight") == 3000 * 64
        page.evaluate("document.querySelector('#list').scrollTop = 1e9")
        page.wait_for_selector(".cell[data-id='en-3000']", timeout=5000)
        assert page.locator("#rows .row").count() < 60


@pytest.mark.slow
def test_mux_from_the_page_saves_first_and_shows_the_replay(page: Any, server: RunningServer, show: Path) -> None:
    _open(page, server.url)
    page.click(".cell[data-id='en-1']")
    page.fill("#ed-text", "Hello, everyone! Today was really fun")
    page.click("#mux")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('replay written')",
                           timeout=60_000)
    assert "show.subtitled.mp4" in page.inner_text("#status")
    assert read_raw(show.parent / "show.en.srt").cues[0].lines == ("Hello, everyone! Today was really fun",)
    assert (show.parent / "show.subtitled.mp4").stat().st_size > 100_000
