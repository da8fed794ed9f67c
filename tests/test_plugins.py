"""The plugin manager: loading (built-ins, entry points, the allow-list) and bounded, reported notifications."""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from streamkit import plugins
from streamkit.cli import app
from streamkit.hookspecs import hookimpl
from streamkit.plugins import failures, get_plugin_manager, list_plugins, notify, registered, reset_plugin_manager

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "streamkit-example-plugin"
runner = CliRunner()


@pytest.fixture(autouse=True)
def fresh_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("STREAMKIT_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("STREAMKIT_HOOK_TIMEOUT", raising=False)
    reset_plugin_manager()
    yield
    reset_plugin_manager()


@pytest.fixture
def warnings_log() -> Iterator[list[str]]:
    """What streamkit logs at WARNING, whatever the CLI tests did to the logger's handlers."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("streamkit")
    handler, level = Collect(logging.WARNING), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    yield messages
    logger.removeHandler(handler)
    logger.setLevel(level)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.threads: set[str] = set()

    @hookimpl
    def stage_started(self, run_id: str, recording: str, stage: str) -> None:
        self.threads.add(threading.current_thread().name)
        self.events.append(("stage_started", {"run_id": run_id, "stage": stage}))

    @hookimpl
    def run_finished(self, run_id: str, error: str | None) -> None:  # a subset of the arguments is fine
        self.events.append(("run_finished", {"error": error}))


class Raises:
    @hookimpl
    def stage_started(self, stage: str) -> None:
        raise RuntimeError(f"dashboard is down during {stage}")


class Hangs:
    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    @hookimpl
    def stage_started(self, stage: str) -> None:
        self.calls += 1
        self.release.wait(30)


# --------------------------------------------------------------------------- notify


def test_builtins_are_registered_like_plugins_and_listed() -> None:
    infos = {p.name: p for p in list_plugins()}
    assert {"streamkit.translation.engines", "streamkit.viewer_sources"} <= set(infos)
    assert infos["streamkit.viewer_sources"].source == "built-in"
    assert infos["streamkit.viewer_sources"].hooks == ("register_viewer_sources",)
    assert infos["streamkit.translation.engines"].hooks == ("register_translators",)


def test_a_raising_plugin_is_reported_and_the_others_still_run() -> None:
    rec = Recorder()
    with registered(rec, "rec"), registered(Raises(), "raises"):
        notify("stage_started", run_id="r1", recording="x.mp4", stage="media")
        notify("run_finished", run_id="r1", recording="x.mp4", summary={}, error=None)
    assert rec.events == [("stage_started", {"run_id": "r1", "stage": "media"}), ("run_finished", {"error": None})]
    expected = plugins.HookFailure("raises", "stage_started", "RuntimeError: dashboard is down during media")
    assert failures() == [expected]
    assert all(name.startswith("streamkit-plugin-") for name in rec.threads)  # ran on its worker thread



class BrokenRegistrar:
    @hookimpl
    def register_translators(self, register: Any) -> None:
        register("half", object, "registered before the plugin broke")
        raise RuntimeError("registry down")

    @hookimpl
    def register_viewer_sources(self, register: Any) -> None:
        raise RuntimeError("registry down")


def test_a_plugin_raising_while_registering_leaves_the_built_in_engines_and_sources() -> None:
    from streamkit.translation.registry import available_engines
    from streamkit.viewer_sources import available_sources

    with registered(BrokenRegistrar(), "broken"):
        engines, sources = available_engines(), available_sources()
    assert {"google", "libre", "whisper"} <= set(engines) and sources
    assert {f.hook for f in failures()} == {"register_translators", "register_viewer_sources"}

def test_a_plugin_that_raises_while_registering_registers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamkit.viewer_sources import SOURCES, SourceContext

    class Good:
        @hookimpl
        def register_viewer_sources(self, register: Any) -> None:
            register("weverse", lambda context: ("weverse", context), "a plugin's source")

    with registered(BrokenRegistrar(), "broken"), registered(Good(), "good"):
        assert "half" not in plugins.collect_registrations("register_translators")  # registered, then raised
        found = SOURCES.available()
        assert {"youtube", "twitch", "x", "weverse"} <= set(found)
        assert found["weverse"].description == "a plugin's source"
        context = SourceContext(env={})
        assert SOURCES.create("weverse", context) == ("weverse", context)
        monkeypatch.setenv("STREAMKIT_HOOK_TIMEOUT", "0")  # inline calls follow the same rule
        assert "half" not in plugins.collect_registrations("register_translators")
        assert "weverse" in SOURCES.available()


def test_a_hung_plugin_is_bounded_reported_once_and_skipped_until_it_returns(
    monkeypatch: pytest.MonkeyPatch, warnings_log: list[str]
) -> None:
    monkeypatch.setenv("STREAMKIT_HOOK_TIMEOUT", "0.3")
    rec, hung = Recorder(), Hangs()
    with registered(rec, "rec"), registered(hung, "hangs"):
        started = time.monotonic()
        notify("stage_started", run_id="r", recording="x", stage="media")
        first = time.monotonic() - started
        started = time.monotonic()
        for stage in ("transcribe", "translate", "segment"):
            notify("stage_started", run_id="r", recording="x", stage=stage)
        rest = time.monotonic() - started
        assert 0.25 <= first < 1.5  # bounded by the timeout, not by the hung call
        assert rest < 0.5  # a stuck plugin is skipped at once, not waited for again
        assert hung.calls == 1
        assert [e[1]["stage"] for e in rec.events] == ["media", "transcribe", "translate", "segment"]
        hung_reports = [f for f in failures() if f.plugin == "hangs"]
        assert len(hung_reports) == 1 and "did not return within 0.3 s" in hung_reports[0].error
        assert sum("did not return" in m for m in warnings_log) == 1

        hung.release.set()  # it returns: it gets notifications again, and the recovery is logged
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any("returned from" in m for m in warnings_log):
            time.sleep(0.02)
        hung.release.clear()
        hung.release.set()
        notify("stage_started", run_id="r", recording="x", stage="mux")
        assert hung.calls == 2
    assert any("3 notification(s) were skipped" in m for m in warnings_log)


HUNG_AT_EXIT = """
import threading
from streamkit.hookspecs import hookimpl
from streamkit.plugins import failures, notify, register_plugin

class Hangs:
    @hookimpl
    def stage_started(self, stage):
        threading.Event().wait()  # never returns

register_plugin(Hangs(), "hangs")
notify("stage_started", run_id="r", recording="x", stage="media")
print(failures()[0].error, flush=True)
"""


def test_a_hung_plugin_does_not_keep_the_process_alive_at_exit() -> None:
    env = {**os.environ, "STREAMKIT_HOOK_TIMEOUT": "0.2", "STREAMKIT_LOAD_PLUGINS": "", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", HUNG_AT_EXIT], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "did not return within 0.2 s" in done.stdout


def test_plugins_run_concurrently_so_two_slow_ones_cost_one_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMKIT_HOOK_TIMEOUT", "0.3")
    a, b = Hangs(), Hangs()
    with registered(a, "a"), registered(b, "b"):
        started = time.monotonic()
        notify("stage_started", run_id="r", recording="x", stage="media")
        elapsed = time.monotonic() - started
        a.release.set()
        b.release.set()
    assert elapsed < 0.9
    assert {f.plugin for f in failures()} == {"a", "b"}


def test_a_notification_from_inside_a_hook_runs_inline() -> None:
    seen: list[str] = []

    class Nested:
        @hookimpl
        def run_finished(self, run_id: str) -> None:
            notify("stage_started", run_id=run_id, recording="x", stage="nested")

        @hookimpl
        def stage_started(self, stage: str) -> None:
            seen.append(stage)

    with registered(Nested(), "nested"):
        started = time.monotonic()
        notify("run_finished", run_id="r", recording="x", summary={}, error=None)
    assert seen == ["nested"] and time.monotonic() - started < 1  # no deadlock on its own worker
    assert failures() == []


def test_timeout_zero_calls_inline_and_a_bad_value_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder()
    monkeypatch.setenv("STREAMKIT_HOOK_TIMEOUT", "0")
    with registered(rec, "rec"), registered(Raises(), "raises"):
        notify("stage_started", run_id="r", recording="x", stage="media")
    assert rec.threads == {threading.current_thread().name}
    assert [f.plugin for f in failures()] == ["raises"]
    for bad in ("soon", "-1", "nan", "inf"):
        monkeypatch.setenv("STREAMKIT_HOOK_TIMEOUT", bad)
        assert plugins.hook_timeout() == plugins.DEFAULT_HOOK_TIMEOUT
    monkeypatch.setenv("STREAMKIT_HOOK_TIMEOUT", "2.5")
    assert plugins.hook_timeout() == 2.5


def test_registered_names_stay_unique_and_unregistering_twice_is_harmless() -> None:
    one, two = Recorder(), Recorder()
    assert plugins.register_plugin(one, "sink") == "sink"
    assert plugins.register_plugin(two, "sink") == "sink-2"
    plugins.unregister_plugin(one)
    plugins.unregister_plugin(one)
    plugins.unregister_plugin(two)
    assert not any(p.name.startswith("sink") for p in list_plugins())


def test_unknown_hooks_are_flagged() -> None:
    class Typo:
        @hookimpl
        def stage_start(self, stage: str) -> None: ...

    with registered(Typo(), "typo"):
        info = next(p for p in list_plugins() if p.name == "typo")
    assert info.unknown_hooks == ("stage_start",) and info.source == "registered"


# --------------------------------------------------------------------------- entry points


def _fake_distribution(root: Path, dist: str, module: str, source: str, entry: str | None = None) -> None:
    """A minimal installed distribution (dist-info + module) with one ``streamkit`` entry point."""
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[streamkit]\n{entry or module} = {module}\n", encoding="utf-8")
    (root / f"{module}.py").write_text(source, encoding="utf-8")


def test_a_plugin_that_fails_to_import_is_reported_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distribution(tmp_path, "broken-plugin", "sk_broken_plugin", "raise ImportError('needs numpy 9')\n",
                       entry="broken")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        names = [p.name for p in list_plugins()]
        assert "broken" not in names and "streamkit.translation.engines" in names
        (failure,) = [f for f in failures() if f.plugin == "broken"]
        assert failure.hook == "load" and "needs numpy 9" in failure.error and "broken-plugin 1.0" in failure.error
    finally:
        sys.modules.pop("sk_broken_plugin", None)


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin package, really installed (pip, through its pyproject) into a folder."""
    work = tmp_path_factory.mktemp("example-plugin")
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = work / "site"
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--target", str(target)]
    try:
        importlib.import_module("wheel")  # setuptools < 70.1 builds wheels with it: no network needed
        cmd.append("--no-build-isolation")
    except ImportError:
        pass
    done = subprocess.run([*cmd, str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "streamkit_example_plugin.py").is_file()
    return target


@pytest.fixture
def example_installed(example_site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(example_site))
    reset_plugin_manager()
    yield example_site
    reset_plugin_manager()
    sys.modules.pop("streamkit_example_plugin", None)


def test_the_example_plugin_loads_through_its_entry_point_and_receives_events(
    example_installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamkit.viewers import ViewerSample, ViewerStore, record_samples

    log = tmp_path / "example.jsonl"
    monkeypatch.setenv("STREAMKIT_EXAMPLE_LOG", str(log))
    info = next(p for p in list_plugins() if p.name == "example")
    assert info.source == "entry point"
    assert (info.distribution, info.version, info.target) == ("streamkit-example-plugin", "0.1.0",
                                                              "streamkit_example_plugin")
    assert info.hooks == ("register_viewer_sources", "run_finished", "viewer_sample_recorded")
    module = get_plugin_manager().get_plugin("example")
    assert module is not None and str(example_installed) in module.__file__

    notify("run_finished", run_id="run1", recording="fan live.mp4",
           summary={"outputs": [{"path": "fan live.en.srt"}]}, error=None)
    with ViewerStore(tmp_path / "v.sqlite") as store:
        sample = ViewerSample(datetime.now(UTC), "decade-live", "live", "ko", "youtube", "concurrent", 1234, "test")
        record_samples(store, [sample, sample])
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [x["event"] for x in lines] == ["run_finished", "viewer_sample_recorded"]  # once: stored once
    assert lines[0]["outputs"] == ["fan live.en.srt"] and lines[1]["value"] == 1234

    from streamkit.viewer_sources import available_sources

    assert {"youtube", "twitch", "x", "example"} <= set(available_sources())

    result = runner.invoke(app, ["plugins"])
    assert result.exit_code == 0, result.output
    assert "example" in result.output and "entry point" in result.output
    assert "streamkit-example-plugin" in result.output and "0.1.0" in result.output
    listed = json.loads(runner.invoke(app, ["plugins", "--json"]).output)
    assert any(p["name"] == "example" and p["source"] == "entry point" for p in listed["plugins"])


@pytest.mark.parametrize(("allow", "loaded"), [("", False), ("example", True), ("streamkit-example-plugin", True),
                                               ("other", False)])
def test_the_allow_list_decides_which_entry_points_load(
    example_installed: Path, monkeypatch: pytest.MonkeyPatch, allow: str, loaded: bool
) -> None:
    monkeypatch.setenv("STREAMKIT_LOAD_PLUGINS", allow)
    reset_plugin_manager()
    names = {p.name for p in list_plugins()}
    assert ("example" in names) is loaded
    assert {"streamkit.translation.engines", "streamkit.viewer_sources"} <= names  # built-ins always load
    if allow == "other":
        assert any(f.plugin == "other" and f.hook == "load" for f in failures())


def test_streamkit_plugins_in_a_real_process_sees_the_installed_plugin(example_site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(example_site)}
    env.pop("STREAMKIT_LOAD_PLUGINS", None)
    done = subprocess.run([sys.executable, "-m", "streamkit", "plugins", "--json"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    names = [p["name"] for p in json.loads(done.stdout)["plugins"]]
    assert "example" in names
    env["STREAMKIT_LOAD_PLUGINS"] = ""
    done = subprocess.run([sys.executable, "-m", "streamkit", "plugins", "--json"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert "example" not in [p["name"] for p in json.loads(done.stdout)["plugins"]]
