"""The replay pipeline: spec validation, state, lock, the local process pool and Ray, with the real model."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from streamkit.errors import StreamkitError
from streamkit.hookspecs import hookimpl
from streamkit.job import JobSettings, OutputOptions
from streamkit.plugins import get_plugin_manager
from streamkit.replay import (
    LocalExecutor,
    RecordingProgress,
    ReplayLock,
    ReplayLockedError,
    ReplaySpec,
    ReplayState,
    SpecError,
    load_spec,
    plan_recordings,
    replay_status,
    run_replay,
)
from streamkit.transcribe import TranscribeOptions
from streamkit.translation.options import TranslateOptions

from .conftest import REPO, SHORT

EXAMPLE = REPO / "pipelines" / "decade-of-kpop.toml"


def write_spec(folder: Path, body: str, name: str = "event.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def make_recordings(folder: Path, good: Sequence[str], corrupt: Sequence[str] = (),
                    source: Path = SHORT) -> Path:
    """Copies of one sample (identical content: identical outputs) and text files named .mp4."""
    rec = folder / "rec"
    rec.mkdir(parents=True, exist_ok=True)
    for name in good:
        shutil.copy(source, rec / name)
    for name in corrupt:
        (rec / name).write_text("not a video\n" * 40)
    return rec


def spec_text(*, engine: str = "none", workers: int = 2, extra: str = "") -> str:
    return f"""
        [job]
        inputs = ["rec/*.mp4"]
        output = "out"
        [translate]
        engine = "{engine}"
        [output]
        formats = ["srt"]
        [run]
        workers = {workers}
        {extra}
    """


class Recorder:
    """A real plugin in the driver: what the driver delivers (workers' events, re-fired in order)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    @hookimpl
    def stage_started(self, run_id: str, recording: str, stage: str) -> None:
        self.events.append(("stage_started", {"recording": recording, "stage": stage, "run_id": run_id}))

    @hookimpl
    def subtitle_written(self, run_id: str, recording: str, path: str, language: str, cues: int) -> None:
        self.events.append(("subtitle_written", {"recording": recording, "path": path}))

    @hookimpl
    def run_finished(self, run_id: str, recording: str, summary: dict[str, Any], error: str | None) -> None:
        self.events.append(("run_finished", {"recording": recording, "error": error}))

    def finished(self) -> dict[str, str | None]:
        return {Path(e["recording"]).name: e["error"] for k, e in self.events if k == "run_finished"}


@pytest.fixture
def recorder() -> Any:
    pm = get_plugin_manager()
    rec = Recorder()
    pm.register(rec, name="test-replay-recorder")
    yield rec
    pm.unregister(rec)


def by_key(report: Any) -> dict[str, Any]:
    return {r.key: r for r in report.recordings}


def notes(report_entry: Any) -> dict[str, str]:
    return {s["stage"]: s["note"] for s in report_entry.stages}


# --------------------------------------------------------------------------- the spec


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    spec_file = pipelines / EXAMPLE.name
    shutil.copy(EXAMPLE, spec_file)
    event = tmp_path / "recordings" / "decade-of-kpop"
    for rel in ("main-stage-2.mp4", "main-stage-1.mp4", "backstage/cam-a.mp4", "interviews/mc.mkv"):
        (event / rel).parent.mkdir(parents=True, exist_ok=True)
        (event / rel).write_bytes(b"x")
    spec = load_spec(spec_file)
    assert [p.relative_to(event).as_posix() for p in spec.inputs] == [
        "main-stage-1.mp4", "main-stage-2.mp4", "backstage/cam-a.mp4", "interviews/mc.mkv"]
    assert spec.output == tmp_path / "replays" / "decade-of-kpop"
    assert spec.event_log == spec.output / "events.jsonl"
    assert (spec.name, spec.workers, spec.executor, spec.formats) == ("decade-of-kpop", 2, "local", ("srt", "vtt"))
    assert [r.folder.name for r in plan_recordings(spec)] == ["main-stage-1", "main-stage-2", "cam-a", "mc"]


@pytest.mark.parametrize(
    ("body", "key", "says"),
    [
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[model]\nnmae="base"\n', "model.nmae", "unknown key model.nmae"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[jobs]\nx=1\n', "jobs", "unknown section [jobs]"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[run]\nworkers="2"\n', "run.workers",
         "must be an integer, not string ('2')"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[run]\nworkers=true\n', "run.workers", "must be an integer"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[output]\nformats="srt"\n', "output.formats",
         "must be a list of strings"),
        ('[job]\ninputs="rec/*.mp4"\noutput="o"\n', "job.inputs", "must be a list of strings"),
        ('[job]\ninputs=["rec/*.mp4"]\n', "job.output", "is required"),
        ('[job]\ninputs=["rec/*.mov"]\noutput="o"\n', "job.inputs", "glob 'rec/*.mov' matches no files"),
        ('[job]\ninputs=["rec/missing.mp4"]\noutput="o"\n', "job.inputs", "'rec/missing.mp4': no such file"),
        ('[job]\ninputs=["rec"]\noutput="o"\n', "job.inputs", "is a folder"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[run]\nexecutor="spark"\n', "run.executor",
         "'spark' is not one of local, ray"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[run]\nworkers=0\n', "run.workers", "at least 1"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[model]\ndevice="gpu"\n', "model.device", "'gpu' is not one of"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[output]\nformats=["ass"]\n', "output.formats", "unknown format"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[output]\nburn_in="ja"\n', "output.burn_in", "no such track"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[translate]\nengine="bing"\n', "translate.engine",
         "unknown translator 'bing'"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[hooks]\nwebhook="ftp://x"\n', "hooks.webhook", "not an http"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[glossary]\nfiles=["idols.toml"]\n', "glossary.files",
         "'idols.toml': no such file"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[transcribe]\nbeam_size=0\n', "transcribe.beam_size",
         "between 1 and 10"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[transcribe]\nbatched="yes"\n', "transcribe.batched",
         "must be true or false"),
        ('[job]\ninputs=["rec/*.mp4"]\noutput="o"\n[transcribe]\nbeam=2\n', "transcribe.beam", "unknown key"),
    ],
    ids=lambda v: v if isinstance(v, str) and "\n" not in v and " " not in v else None,
)
def test_a_bad_spec_is_refused_naming_the_file_and_key(tmp_path: Path, body: str, key: str, says: str) -> None:
    make_recordings(tmp_path, [], corrupt=["a.mp4"])
    spec_file = write_spec(tmp_path, body)
    with pytest.raises(SpecError) as info:
        load_spec(spec_file)
    err = info.value
    assert str(spec_file) in str(err) and key in str(err) and says in str(err), str(err)
    assert err.key == key and err.exit_code == 2


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    spec_file = write_spec(tmp_path, "[job]\ninputs = [\"a.mp4\"\noutput = 3 3\n")
    with pytest.raises(SpecError, match=r"event\.toml: not valid TOML .*line"):
        load_spec(spec_file)


def test_globs_are_sorted_deduplicated_and_never_reach_into_the_output(tmp_path: Path) -> None:
    make_recordings(tmp_path, [], corrupt=["b.mp4", "a.mp4", "c.mkv"])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.subtitled.mp4").write_text("an output")
    spec_file = write_spec(tmp_path, '[job]\ninputs = ["rec/c.mkv", "rec/*.mp4", "**/*.mp4", "rec/a.mp4"]\n'
                                     'output = "out"\n')
    spec = load_spec(spec_file)
    assert [p.name for p in spec.inputs] == ["c.mkv", "a.mp4", "b.mp4"]


def test_inputs_with_the_same_name_get_their_own_folders_and_flat_layout_refuses_them(tmp_path: Path) -> None:
    for rel in ("main/cam1.mp4", "backstage/cam1.mp4", "main/show.mp4", "main/show.mkv", "main/solo.mp4"):
        (tmp_path / "rec" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "rec" / rel).write_bytes(b"x")
    spec = load_spec(write_spec(tmp_path, '[job]\ninputs = ["rec/**/*.mp4", "rec/**/*.mkv"]\noutput = "out"\n'))
    keys = {r.input.relative_to(tmp_path / "rec").as_posix(): r.folder.name for r in plan_recordings(spec)}
    assert keys == {"backstage/cam1.mp4": "backstage__cam1", "main/cam1.mp4": "main__cam1",
                    "main/show.mp4": "main__show-mp4", "main/show.mkv": "main__show-mkv", "main/solo.mp4": "solo"}
    flat = write_spec(tmp_path, '[job]\ninputs = ["rec/**/*.mp4"]\noutput = "out"\n[output]\nlayout = "flat"\n',
                      name="flat.toml")
    with pytest.raises(SpecError, match=r"output\.layout: flat layout but several inputs have the same name"):
        load_spec(flat)


def test_the_fingerprint_follows_what_changes_outputs_not_how_they_run(tmp_path: Path) -> None:
    spec = ReplaySpec(tmp_path / "s.toml", "s", (), tmp_path / "out")
    fp = spec.fingerprint()
    assert ReplaySpec(tmp_path / "s.toml", "s", (), tmp_path / "out", workers=4, executor="ray").fingerprint() == fp
    assert ReplaySpec(tmp_path / "s.toml", "s", (), tmp_path / "out",
                      job=JobSettings(translate=TranslateOptions(engine="none"))).fingerprint() != fp
    assert ReplaySpec(tmp_path / "s.toml", "s", (), tmp_path / "out",
                      job=JobSettings(outputs=OutputOptions(formats=("vtt",)))).fingerprint() != fp
    assert ReplaySpec(tmp_path / "s.toml", "s", (), tmp_path / "out",
                      job=JobSettings(decoding=TranscribeOptions(beam_size=2))).fingerprint() != fp


def test_transcribe_settings_reach_every_recordings_job(tmp_path: Path) -> None:
    make_recordings(tmp_path, ["a.mp4"])
    spec = load_spec(write_spec(tmp_path, spec_text(extra="[transcribe]\nbeam_size = 2\nbatched = false\n")))
    options = spec.job_for(plan_recordings(spec)[0]).decoding
    assert (options.beam_size, options.batched, options.batch_size) == (2, False, 8)


def test_errors_survive_pickling_for_process_pools_and_ray(tmp_path: Path) -> None:
    spec_err = pickle.loads(pickle.dumps(SpecError(tmp_path / "s.toml", "run.workers", "must be an integer")))
    assert isinstance(spec_err, SpecError) and spec_err.key == "run.workers" and str(tmp_path) in str(spec_err)
    locked = pickle.loads(pickle.dumps(ReplayLockedError(tmp_path / "replay.lock", "pid 7 on host")))
    assert isinstance(locked, ReplayLockedError) and locked.holder == "pid 7 on host" and locked.exit_code == 3


# --------------------------------------------------------------------------- lock and state


def test_a_second_replay_on_the_same_output_is_refused_naming_the_lock(tmp_path: Path) -> None:
    make_recordings(tmp_path, [], corrupt=["a.mp4"])
    spec = load_spec(write_spec(tmp_path, spec_text()))
    with ReplayLock(spec.output) as held:
        holder_now = ReplayLock.holder(spec.output)
        assert holder_now is not None and holder_now.startswith(f"pid {os.getpid()} on ")
        with pytest.raises(ReplayLockedError) as info:
            run_replay(spec)
        assert str(held.path) in str(info.value) and f"pid {os.getpid()}" in str(info.value)
        rows, holder = replay_status(spec)  # --status never needs the lock
        assert holder is not None and [r.status for r in rows] == ["pending"]
    assert ReplayLock.holder(spec.output) is None
    with ReplayLock(spec.output):  # released: can be taken again
        pass


def test_an_unreadable_state_is_ignored_not_trusted(tmp_path: Path) -> None:
    state_file = tmp_path / ".streamkit" / "replay-state.json"
    state_file.parent.mkdir()
    state_file.write_text("{ half written")
    assert ReplayState(tmp_path).recordings == {}


# --------------------------------------------------------------------------- the local pool, real model


@pytest.mark.slow
def test_resume_skips_done_recordings_and_a_changed_translator_does_not_retranscribe(
    tmp_path: Path, recorder: Recorder
) -> None:
    make_recordings(tmp_path, ["a.mp4", "b.mp4"], corrupt=["c.mp4"])
    spec_file = write_spec(tmp_path, spec_text(engine="none"))
    spec = load_spec(spec_file)

    # 1. three recordings, two workers, one corrupt: the others finish
    first = run_replay(spec)
    assert not first.ok and first.counts() == {"done": 2, "skipped": 0, "failed": 1}
    runs = by_key(first)
    assert "not a media file" in runs["c"].error and runs["c"].hint
    assert runs["a"].worker != runs["b"].worker  # the two ran side by side
    state = json.loads((tmp_path / "out" / ".streamkit" / "replay-state.json").read_text())["recordings"]
    assert {k: v["status"] for k, v in state.items()} == {"a": "done", "b": "done", "c": "failed"}
    assert sorted(state["a"]["outputs"]) == ["a/a.ko.srt", "a/a.subtitled.mp4"]
    srt = (tmp_path / "out" / "a" / "a.ko.srt").read_bytes()
    assert "커피" in srt.decode() and srt == (tmp_path / "out" / "b" / "b.ko.srt").read_bytes()
    assert recorder.finished() == {"a.mp4": None, "b.mp4": None, "c.mp4": runs["c"].error}
    report = json.loads((tmp_path / "out" / "replay-report.json").read_text())
    assert report["counts"] == {"done": 2, "skipped": 0, "failed": 1} and report["ok"] is False

    # 2. the same again: done recordings are skipped (nothing runs for them), the failed one is retried
    stamp = (tmp_path / "out" / "a" / "a.ko.srt").stat().st_mtime_ns
    recorder.events.clear()
    again = run_replay(spec)
    assert {r.key: r.status for r in again.recordings} == {"a": "skipped", "b": "skipped", "c": "failed"}
    assert (tmp_path / "out" / "a" / "a.ko.srt").stat().st_mtime_ns == stamp
    assert set(recorder.finished()) == {"c.mp4"}

    # 3. a changed setting: translated now, without transcribing again
    spec_file.write_text(spec_text(engine="whisper"))
    changed = run_replay(load_spec(spec_file))
    for key in ("a", "b"):
        entry = by_key(changed)[key]
        assert entry.status == "done" and entry.reason == "settings changed"
        assert "reused cached result" in notes(entry)["transcribe"]
        assert "reused cached result" not in notes(entry)["translate"]
    assert (tmp_path / "out" / "a" / "a.en.srt").is_file()
    assert (tmp_path / "out" / "a" / "a.ko.srt").read_bytes() == srt

    # 4. an output removed by hand is redone; an edited one is never overwritten without --force
    (tmp_path / "out" / "b" / "b.en.srt").unlink()
    (tmp_path / "out" / "a" / "a.ko.srt").write_text("1\n00:00:00,500 --> 00:00:02,000\n편집자가 고친 자막\n")
    rows, _ = replay_status(load_spec(spec_file))
    assert {r.key: r.status for r in rows} == {"a": "stale", "b": "stale", "c": "failed"}
    edited = run_replay(load_spec(spec_file))
    assert by_key(edited)["b"].status == "done" and (tmp_path / "out" / "b" / "b.en.srt").is_file()
    assert by_key(edited)["a"].status == "failed" and "already exists" in by_key(edited)["a"].error
    assert "편집자가" in (tmp_path / "out" / "a" / "a.ko.srt").read_text()

    # 5. --force redoes everything from scratch (no cached stage)
    spec_file.write_text(spec_text(engine="none"))
    forced = run_replay(load_spec(spec_file), force=True)
    for key in ("a", "b"):
        entry = by_key(forced)[key]
        assert entry.status == "done" and entry.reason == "--force"
        assert "reused cached result" not in notes(entry)["transcribe"]
    assert (tmp_path / "out" / "a" / "a.ko.srt").read_bytes() == srt


@pytest.mark.slow
def test_a_worker_killed_mid_stage_is_redone_and_nothing_half_written_is_used(
    tmp_path: Path, recorder: Recorder
) -> None:
    make_recordings(tmp_path, ["a.mp4", "b.mp4"])
    spec = load_spec(write_spec(tmp_path, spec_text(engine="none")))
    killed: list[int] = []

    def kill_b_while_transcribing(p: RecordingProgress) -> None:
        if p.key == "b" and p.stage == "transcribe" and p.worker and not killed:
            pid = int(p.worker.rsplit(":", 1)[1])
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)

    report = run_replay(spec, observer=kill_b_while_transcribing)
    assert killed, "the worker was never seen transcribing"
    entries = by_key(report)
    assert report.ok and entries["b"].status == "done" and entries["b"].attempts == 2
    assert "reused cached result" not in notes(entries["b"])["transcribe"]  # the killed stage was redone
    assert str(killed[0]) not in entries["b"].worker
    out = tmp_path / "out"
    assert (out / "b" / "b.ko.srt").read_bytes() == (out / "a" / "a.ko.srt").read_bytes()
    assert not [p for p in out.rglob("*") if ".part" in p.name]
    # the driver delivered each recording's events once: from the attempt that finished
    assert recorder.finished() == {"a.mp4": None, "b.mp4": None}
    assert sum(1 for k, e in recorder.events if k == "stage_started" and e["stage"] == "media") == 2


def test_outputs_that_are_not_the_replays_are_refused_before_any_work(tmp_path: Path, recorder: Recorder) -> None:
    make_recordings(tmp_path, ["a.mp4"])
    spec = load_spec(write_spec(tmp_path, spec_text(workers=1)))
    (tmp_path / "out" / "a").mkdir(parents=True)
    (tmp_path / "out" / "a" / "a.ko.srt").write_text("1\n00:00:00,500 --> 00:00:02,000\n다른 도구\n")

    class NeverUsed(LocalExecutor):
        def submit(self, task: Any) -> None:
            raise AssertionError("nothing should run")

    report = run_replay(spec, executor=NeverUsed(spec))
    assert by_key(report)["a"].status == "failed" and "already exists" in by_key(report)["a"].error
    assert "--force" in by_key(report)["a"].hint
    assert recorder.finished() == {"a.mp4": by_key(report)["a"].error}  # hook consumers hear of it too


# --------------------------------------------------------------------------- Ray


@pytest.fixture(scope="module")
def local_ray() -> Any:
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'streamkit[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_the_same_spec_on_a_local_ray_instance(tmp_path: Path, local_ray: Any, recorder: Recorder) -> None:
    from streamkit.replay import RayExecutor

    make_recordings(tmp_path, ["a.mp4", "b.mp4"], corrupt=["c.mp4"])
    spec = load_spec(write_spec(tmp_path, spec_text(engine="none", extra='executor = "ray"')))
    # media through the object store, and files back in small chunks: no shared storage is used
    executor = RayExecutor(spec, ship_media=True, chunk_bytes=64 * 1024)
    report = run_replay(spec, executor=executor)
    entries = by_key(report)
    assert report.executor == "ray" and {k: e.status for k, e in entries.items()} == {
        "a": "done", "b": "done", "c": "failed"}
    assert "not a media file" in entries["c"].error and "streamkit-replay-" not in entries["c"].error
    out = tmp_path / "out"
    assert "커피" in (out / "a" / "a.ko.srt").read_text()
    assert (out / "a" / "a.ko.srt").read_bytes() == (out / "b" / "b.ko.srt").read_bytes()
    video = out / "a" / "a.subtitled.mp4"
    assert video.stat().st_size > 64 * 1024  # came back as several chunks
    assert list((out / "a" / ".streamkit" / "cache").glob("transcribe-*.json"))  # so a re-run resumes
    # events and summaries name the final paths, never a worker's temporary folder
    written = [e["path"] for k, e in recorder.events if k == "subtitle_written"]
    assert sorted(written) == [str(out / "a" / "a.ko.srt"), str(out / "b" / "b.ko.srt")]
    assert entries["a"].outputs == ("a/a.ko.srt", "a/a.subtitled.mp4")
    # resumable exactly like the local executor (the state is the driver's), and the stage cache
    # travels with the task: a lost output is redone on a worker without transcribing again
    (tmp_path / "rec" / "c.mp4").unlink()
    (out / "b" / "b.ko.srt").unlink()
    spec = load_spec(spec.path)
    again = run_replay(spec, executor=RayExecutor(spec))
    assert {r.key: r.status for r in again.recordings} == {"a": "skipped", "b": "done"}
    assert "reused cached result" in notes(by_key(again)["b"])["transcribe"]
    assert (out / "b" / "b.ko.srt").read_bytes() == (out / "a" / "a.ko.srt").read_bytes()


def test_the_ray_executor_without_ray_says_how_to_install_it(tmp_path: Path, monkeypatch: Any) -> None:
    from streamkit.replay import RayExecutor

    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed

    make_recordings(tmp_path, [], corrupt=["a.mp4"])
    spec = load_spec(write_spec(tmp_path, spec_text(extra='executor = "ray"')))
    with pytest.raises(StreamkitError, match="needs Ray") as info:
        RayExecutor(spec)
    assert "pip install 'streamkit[ray]'" in info.value.hint



def test_a_spec_lists_targets_like_dash_dash_to(tmp_path: Path) -> None:
    """Issue 16: ``[translate] targets`` makes every recording's job translate into each language."""
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "a.mp4").write_bytes(b"x")
    base = '[job]\ninputs = ["rec/*.mp4"]\noutput = "out"\n[translate]\nengine = "libre"\n'
    spec = load_spec(write_spec(tmp_path, base + 'targets = ["ja", "zh-CN", "en"]\n[output]\nburn_in = "ja"\n'))
    assert spec.job.translate.targets == ("ja", "zh-Hans", "en") and spec.job.target_language == "ja"
    job = spec.job_for(plan_recordings(spec)[0])
    assert job.translate.targets == ("ja", "zh-Hans", "en") and job.outputs.burn_in == "ja"
    plain = load_spec(write_spec(tmp_path, base, name="plain.toml"))
    assert plain.job.translate.targets == ("en",) and plain.fingerprint() != spec.fingerprint()
    with pytest.raises(SpecError, match=r"translate\.targets.*unknown language 'xx'"):
        load_spec(write_spec(tmp_path, base + 'targets = ["en", "xx"]\n', name="bad.toml"))


def test_the_event_log_is_never_a_recording_an_output_or_the_spec(tmp_path: Path) -> None:
    rec = make_recordings(tmp_path, ["a.mp4"])
    recording = rec / "a.mp4"
    before = recording.read_bytes()
    for target, says in ((recording, "input or output"), (tmp_path / "out" / "a" / "a.ko.srt", "input or output"),
                         (tmp_path / "event.toml", "input or output")):
        spec = load_spec(write_spec(tmp_path, spec_text(extra=f"[hooks]\nevent_log = {str(target)!r}")))
        with pytest.raises(StreamkitError, match=says) as info:
            run_replay(spec)
        assert str(target) in str(info.value)
    assert recording.read_bytes() == before
    assert not (tmp_path / "out").exists()  # refused before anything was written


# --------------------------------------------------------------------------- kill -9 of the driver

_DRIVER = """
import os, signal, sys
from streamkit.hookspecs import hookimpl
from streamkit.plugins import get_plugin_manager
from streamkit.replay import load_spec, run_replay

class DieWhenARecordingFinishes:
    # In the driver: a worker has finished and its outputs are written; the state does not say so yet.
    @hookimpl
    def run_finished(self, run_id, recording, summary, error):
        if sys.argv[2] == "finished":
            os.kill(os.getpid(), signal.SIGKILL)

get_plugin_manager().register(DieWhenARecordingFinishes(), name="die")
print("driver", os.getpid(), flush=True)
run_replay(load_spec(sys.argv[1]))
"""


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _start_driver(spec_file: Path, when: str) -> Any:
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", _DRIVER, str(spec_file), when], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _gone_within(pids: list[int], seconds: float) -> list[int]:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    return [p for p in pids if _alive(p)]


@pytest.mark.slow
def test_after_kill_9_between_a_finished_worker_and_the_state_the_rerun_accepts_its_own_outputs(
    tmp_path: Path,
) -> None:
    """The driver dies (SIGKILL) right when a recording's result comes back: outputs written, state
    still 'running'. The rerun must take them as the replay's own (their sha256 is in the run
    manifest), not refuse them as an editor's; and the idle workers must not outlive the driver."""
    make_recordings(tmp_path, ["a.mp4"])
    spec_file = write_spec(tmp_path, spec_text(engine="none", workers=1))
    driver = _start_driver(spec_file, "finished")
    assert driver.stdout is not None
    pid = int(driver.stdout.readline().split()[1])
    workers: set[int] = set()
    while driver.poll() is None:
        workers |= {c for c in _children(pid) if "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text()}
    driver.wait(timeout=30)
    assert driver.returncode == -signal.SIGKILL
    out = tmp_path / "out"
    state = json.loads((out / ".streamkit" / "replay-state.json").read_text())["recordings"]
    assert state["a"]["status"] == "running" and (out / "a" / "a.subtitled.mp4").is_file()
    assert workers and _gone_within(sorted(workers), 15) == []  # no orphan worker left

    again = run_replay(load_spec(spec_file))
    entry = by_key(again)["a"]
    assert entry.status == "done", entry.error
    # an editor's change is still refused: only streamkit's own bytes are taken over
    srt = out / "a" / "a.ko.srt"
    state_file = out / ".streamkit" / "replay-state.json"
    data = json.loads(state_file.read_text())
    data["recordings"]["a"].update(status="running", outputs={})
    state_file.write_text(json.dumps(data))
    srt.write_text("1\n00:00:00,500 --> 00:00:02,000\n편집자가 고친 자막\n", encoding="utf-8")
    edited = by_key(run_replay(load_spec(spec_file)))["a"]
    assert edited.status == "failed" and "already exists" in edited.error
    assert "편집자가" in srt.read_text(encoding="utf-8")


@pytest.mark.slow
def test_workers_still_importing_when_the_driver_is_killed_do_not_survive(tmp_path: Path) -> None:
    """kill -9 of the driver while its spawned workers are still importing streamkit: before, they
    took PID 1 for their parent, watched it for good, loaded the model and waited forever."""
    make_recordings(tmp_path, ["a.mp4", "b.mp4"])
    spec_file = write_spec(tmp_path, spec_text(engine="none", workers=2))
    driver = _start_driver(spec_file, "never")
    assert driver.stdout is not None
    pid = int(driver.stdout.readline().split()[1])
    workers: list[int] = []
    while driver.poll() is None and len(workers) < 2:
        workers = [c for c in _children(pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]
    assert len(workers) == 2, "the workers never started"
    os.kill(pid, signal.SIGKILL)  # the workers are importing now (that takes seconds)
    driver.wait(timeout=30)  # not communicate(): orphans would hold its pipes open
    survivors = _gone_within(workers, 45)
    for p in survivors:  # do not leave them running on the machine
        os.kill(p, signal.SIGKILL)
    assert survivors == []


# --------------------------------------------------------------------------- repeatable decoding (issue 13)


@pytest.mark.slow
def test_a_replay_decodes_every_recording_as_a_subtitle_run_of_its_own(tmp_path: Path) -> None:
    """One worker decoding three copies of a recording that provokes Whisper's temperature fallback (the
    music intro of samples/noisy.mp4 and its first sentence) writes, for each, exactly what `streamkit
    subtitle` writes in a process of its own.

    Before: CTranslate2's sampling generator lives in the loaded model's threads, seeded once; the
    worker's third decoding sampled on from where the first two left it and wrote an invented
    "잘 모르겠습니다." over the music (found 2026-12-03). Now each recording gets a freshly loaded model."""
    import subprocess

    from .conftest import run_ffmpeg_cmd

    rec = tmp_path / "rec"
    rec.mkdir()
    run_ffmpeg_cmd("-i", str(SHORT.with_name("noisy.mp4")), "-t", "18", "-c", "copy", str(rec / "a.mp4"))
    for name in ("b.mp4", "c.mp4"):
        shutil.copy(rec / "a.mp4", rec / name)
    alone = tmp_path / "alone"
    done = subprocess.run([sys.executable, "-m", "streamkit", "subtitle", str(rec / "a.mp4"), "--out", str(alone),
                           "-t", "none", "--no-mux", "--no-cache", "-q"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    expected = (alone / "a.ko.srt").read_text(encoding="utf-8")
    assert "-->" in expected

    spec = load_spec(write_spec(tmp_path, spec_text(workers=1, extra="").replace(
        'formats = ["srt"]', 'formats = ["srt"]\n        mux = false')))
    report = run_replay(spec, force=True)  # --force: no stage cache, every copy is decoded
    assert report.ok, [r.error for r in report.recordings]
    assert len({r.worker for r in report.recordings}) == 1
    for key in ("a", "b", "c"):
        assert (tmp_path / "out" / key / f"{key}.ko.srt").read_text(encoding="utf-8") == expected, key
