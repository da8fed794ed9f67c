"""The driver: :func:`run_replay` plans the recordings, hands the ones not done and fresh to an
executor, and records what comes back.

Only the driver (the process that called :func:`run_replay`) writes the state, the report and
the hook events. A recording that runs again does so inside its managed folder, where
:class:`~streamkit.cache.StageCache` keeps finished stages: a changed translator re-translates
without transcribing again.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import time
from collections import Counter, deque
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..cache import file_digest
from ..errors import InputError, StreamkitError
from ..fsutil import atomic_write_text, ensure_writable_dir
from ..pipeline import RunManifest, SubtitleJob, check_existing_outputs, plan_outputs
from ..plugins import notify
from ..workspace import Workspace
from .local import LocalExecutor
from .ray import RayExecutor
from .report import RecordingProgress, RecordingReport, ReplayObserver, ReplayReport
from .spec import STAGE_WEIGHTS, Recording, ReplaySpec, plan_recordings
from .state import RecordingState, ReplayLock, ReplayState, _input_digest, _intact, _now, _staleness
from .tasks import Executor, Message, Outcome, Task

log = logging.getLogger("streamkit")

#: A recording whose worker died this many times is failed instead of retried.
MAX_WORKER_LOSSES = 2


def make_executor(spec: ReplaySpec) -> Executor:
    """The executor the spec asks for (``run.executor``)."""
    if spec.executor == "ray":
        return RayExecutor(spec)
    return LocalExecutor(spec)


class _View:
    """The driver's picture of every recording; tells the observer about every change."""

    def __init__(self, spec: ReplaySpec, observer: ReplayObserver | None) -> None:
        self.observer = observer
        self.stages = spec.stages()
        self.total_weight = sum(STAGE_WEIGHTS[s] for s in self.stages)
        self.items: dict[str, RecordingProgress] = {}

    def set(self, key: str, **changes: Any) -> None:
        current = self.items.get(key) or RecordingProgress(key, "pending")
        updated = replace(current, **changes)
        if updated.status == "running" and updated.stage in self.stages:
            before = sum(STAGE_WEIGHTS[s] for s in self.stages[: self.stages.index(updated.stage)])
            part = updated.done / updated.total if updated.total > 0 else 0.0
            fraction = (before + STAGE_WEIGHTS[updated.stage] * min(1.0, part)) / self.total_weight
            updated = replace(updated, fraction=max(current.fraction, min(1.0, fraction)))
        self.items[key] = updated
        if self.observer is not None:
            self.observer(updated)

    def message(self, message: Message) -> None:
        kind, key = message[0], message[1]
        if kind == "start" and key in self.items:
            self.set(key, worker=message[2], stage="", done=0.0, total=0.0)
        elif kind == "stage" and key in self.items:
            self.set(key, stage=message[2], done=0.0, total=0.0)
        elif kind == "progress" and key in self.items:
            self.set(key, stage=message[2], done=float(message[3]), total=float(message[4]))


def _outputs(summary: dict[str, Any], recording: Recording, output: Path) -> dict[str, dict[str, Any]]:
    """The recording's outputs, relative to the output folder, with the sha256 the pipeline recorded."""
    manifest = RunManifest(recording.folder, recording.input.stem)
    found: dict[str, dict[str, Any]] = {}
    for o in summary.get("outputs", []):
        path = Path(o["path"])
        st = path.stat()
        sha = manifest.files.get(path.name) or file_digest(path)
        found[path.relative_to(output).as_posix()] = {"sha256": sha, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    return found


def _preflight(job: SubtitleJob, rs: RecordingState | None, output: Path) -> SubtitleJob:
    """Decide ``force`` for a recording that runs again; refuse outputs someone else changed.

    Outputs the replay itself wrote (same sha256 as in the state, or as in the recording's run
    manifest when the driver died before the state said so) may be replaced; untouched
    drafts of an unfinished run are resumed; anything else (an editor's correction, a file
    from another tool) is refused without ``--force``, exactly as ``streamkit subtitle`` does.
    """
    if job.force:
        return job
    planned = plan_outputs(job)
    existing = [p for p in planned.values() if p.exists()]
    ours = rs.outputs if rs is not None else {}
    manifest = RunManifest(job.output_dir, job.input.stem)

    def replays_own(path: Path) -> bool:
        rel = path.relative_to(output).as_posix()
        # In the state, or (the driver was killed before the state recorded a finished recording)
        # exactly the bytes the pipeline wrote, by the run manifest's sha256.
        return (rel in ours and _intact(output, rel, ours[rel])) or manifest.untouched(path)

    if existing and all(replays_own(p) for p in existing):
        return replace(job, force=True)
    check_existing_outputs(planned, False, manifest)
    return replace(job, force=True)  # nothing left to protect: drafts of an unfinished run at most


def _remove_part_files(recording: Recording) -> None:
    """Temporary files a killed worker could not remove (never used: they are only ever renamed into place)."""
    if not recording.folder.is_dir():
        return
    for path in recording.folder.glob(f".{glob.escape(recording.input.stem)}.*.part*"):
        with contextlib.suppress(OSError):
            path.unlink()


def _protected(spec: ReplaySpec, recordings: list[Recording]) -> list[Path]:
    """Every file the replay reads or writes: never the event log (``hooks.event_log``)."""
    kept = Workspace(spec.output)
    paths = [spec.path, spec.output / "replay-report.json", kept.replay_state, kept.lock("replay")]
    for rec in recordings:
        paths += [rec.input, *plan_outputs(spec.job_for(rec)).values()]
    return paths


def _open_sinks(spec: ReplaySpec, recordings: list[Recording]) -> list[Any]:
    if spec.event_log is None and spec.webhook is None:
        return []
    from ..sinks import ENV_WEBHOOK_SECRET, configure_sinks

    return list(configure_sinks(spec.event_log, spec.webhook, os.environ.get(ENV_WEBHOOK_SECRET),
                                protected=_protected(spec, recordings)))


def _close_sinks(sinks: list[Any]) -> None:
    if sinks:
        from ..sinks import unregister_sinks

        unregister_sinks(sinks)


def run_replay(
    spec: ReplaySpec,
    *,
    force: bool = False,
    executor: Executor | None = None,
    observer: ReplayObserver | None = None,
) -> ReplayReport:
    """Run every recording of ``spec`` that is not done and fresh; return what happened.

    Holds the output folder's lock for the whole run (:class:`ReplayLockedError` if another
    replay holds it). A recording that fails is reported and the others go on. ``force``
    redoes everything, ignoring the state and the stage cache. Ctrl-C stops the workers, saves
    the state and re-raises :class:`KeyboardInterrupt`: the same call resumes.
    """
    started_at, started = _now(), time.perf_counter()
    recordings = plan_recordings(spec)
    if spec.event_log is not None:  # refused before anything is locked or planned
        from ..sinks import check_event_log

        check_event_log(spec.event_log, _protected(spec, recordings))
    ensure_writable_dir(spec.output, option="job.output in the spec")
    with ReplayLock(spec.output, command=f"streamkit replay {spec.path}"):
        state = ReplayState(spec.output)
        params = spec.fingerprint()
        view = _View(spec, observer)
        reports: dict[str, RecordingReport] = {}
        todo: deque[Task] = deque()
        refused: list[tuple[str, str]] = []
        by_key = {r.key: r for r in recordings}
        for rec in recordings:
            prior = state.get(rec.key)
            try:
                size, mtime_ns, digest = _input_digest(rec.input, prior)
            except OSError as exc:  # gone or unreadable since the spec was loaded
                problem = InputError(rec.input, f"cannot be read ({exc.strerror or exc})")
                reports[rec.key] = RecordingReport(rec.key, str(rec.input), "failed", str(rec.folder),
                                                   error=str(problem), hint="check the file and run again")
                refused.append((str(rec.input), str(problem)))
                view.set(rec.key, status="failed", error=str(problem), fraction=1.0)
                continue
            why = "--force" if force else _staleness(prior, digest, params, spec.output)
            if not why and prior is not None:
                reports[rec.key] = RecordingReport(rec.key, str(rec.input), "skipped", str(rec.folder),
                                                   reason="done and fresh", seconds=prior.seconds,
                                                   attempts=prior.attempts, worker=prior.worker,
                                                   outputs=tuple(prior.outputs), stages=tuple(prior.stages))
                view.set(rec.key, status="skipped", fraction=1.0)
                continue
            rs = RecordingState(rec.key, str(rec.input), size, mtime_ns, digest, params,
                                outputs=prior.outputs if prior else {})
            state.recordings[rec.key] = rs
            job = spec.job_for(rec, force=force, use_cache=not force)
            try:
                job = _preflight(job, prior, spec.output)
            except StreamkitError as exc:
                rs.status, rs.error, rs.hint, rs.finished = "failed", str(exc), exc.hint, _now()
                reports[rec.key] = _report(rec, rs, why)
                refused.append((str(rec.input), str(exc)))
                view.set(rec.key, status="failed", error=str(exc), fraction=1.0)
                continue
            todo.append(Task(rec.key, job))
            view.set(rec.key, status="pending")
            reports[rec.key] = _report(rec, rs, why)  # replaced when it finishes
        state.save()

        runner = executor or (make_executor(spec) if todo else None)
        sinks = _open_sinks(spec, recordings)
        try:
            for recording, error in refused:
                notify("run_finished", run_id="", recording=recording, summary={}, error=error)
            if runner is not None:
                _drive(spec, runner, todo, state, by_key, reports, view)
        except BaseException:
            for rs in state.recordings.values():
                if rs.status == "running":
                    rs.status, rs.error = "pending", "interrupted"
            state.save()
            if runner is not None:
                runner.close(interrupted=True)
            raise
        finally:
            _close_sinks(sinks)
        if runner is not None:
            runner.close()
        state.save()
        report = ReplayReport(str(spec.path), spec.name, str(spec.output),
                              runner.name if runner else spec.executor,
                              runner.slots if runner else spec.workers, started_at,
                              time.perf_counter() - started, tuple(reports[r.key] for r in recordings))
        atomic_write_text(spec.output / "replay-report.json",
                          json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        return report


def _report(rec: Recording, rs: RecordingState, reason: str) -> RecordingReport:
    status = {"done": "done", "failed": "failed"}.get(rs.status, "failed")
    return RecordingReport(rec.key, str(rec.input), status, str(rec.folder), reason=reason,
                           error=rs.error, hint=rs.hint, seconds=rs.seconds, attempts=rs.attempts,
                           worker=rs.worker, outputs=tuple(rs.outputs), stages=tuple(rs.stages))


def _drive(spec: ReplaySpec, runner: Executor, todo: deque[Task], state: ReplayState,
           by_key: dict[str, Recording], reports: dict[str, RecordingReport], view: _View) -> None:
    reasons = {k: r.reason for k, r in reports.items()}
    jobs = {t.key: t.job for t in todo}
    losses: Counter[str] = Counter()
    while todo or runner.busy():
        while todo and runner.busy() < runner.slots:
            task = todo.popleft()
            rec = by_key[task.key]
            rs = state.recordings[task.key]
            rs.status, rs.error, rs.hint, rs.started = "running", "", "", _now()
            rs.attempts += 1
            _remove_part_files(rec)
            runner.submit(runner.prepare(replace(task, attempt=rs.attempts), rec))
            state.save()
            view.set(task.key, status="running", attempt=rs.attempts, stage="", done=0.0, total=0.0, fraction=0.0)
        for finished in runner.wait(0.2):
            rec, rs = by_key[finished.key], state.recordings[finished.key]
            outcome = finished.outcome
            if outcome is None:
                losses[finished.key] += 1
                if losses[finished.key] < MAX_WORKER_LOSSES:
                    log.warning("%s: %s; running it again", rec.key, finished.lost)
                    rs.status, rs.error = "pending", finished.lost
                    todo.appendleft(Task(rec.key, jobs[rec.key]))
                    view.set(rec.key, status="retrying", error=finished.lost)
                else:
                    rs.status, rs.finished = "failed", _now()
                    rs.error = f"{finished.lost} ({losses[finished.key]} times while running it)"
                    rs.hint = "a worker was killed or ran out of memory; run the same command again to resume"
                    notify("run_finished", run_id="", recording=str(rec.input), summary={}, error=rs.error)
                    view.set(rec.key, status="failed", error=rs.error, fraction=1.0)
                    reports[rec.key] = _report(rec, rs, reasons.get(rec.key, ""))
                state.save()
                continue
            _finish(spec, runner, rec, rs, outcome)
            reports[rec.key] = _report(rec, rs, reasons.get(rec.key, ""))
            state.save()
            view.set(rec.key, status=rs.status, error=rs.error, fraction=1.0)
        for message in runner.messages():
            view.message(message)


def _finish(spec: ReplaySpec, runner: Executor, rec: Recording, rs: RecordingState, outcome: Outcome) -> None:
    """Record one recording's outcome: write returned files, fire its events, update its state."""
    try:
        runner.materialize(outcome, rec)
    except StreamkitError as exc:
        outcome.summary, outcome.error = None, exc
    for hook, kwargs in outcome.events:
        notify(hook, **kwargs)
    rs.finished, rs.seconds, rs.worker = _now(), round(outcome.seconds, 3), outcome.worker
    if outcome.ok and outcome.summary is not None:
        rs.status, rs.error, rs.hint = "done", "", ""
        rs.stages = list(outcome.summary.get("stages", []))
        rs.outputs = _outputs(outcome.summary, rec, spec.output)
    else:
        rs.status = "failed"
        rs.error = outcome.error_text or outcome.message
        rs.hint = outcome.error.hint if outcome.error is not None else "this is a streamkit bug; see the log"
        stages = [e for h, e in outcome.events if h == "stage_finished"]
        rs.stages = [{"stage": e["stage"], "seconds": round(e["seconds"], 3), "note": "", "error": e["error"]}
                     for e in stages]
        if outcome.detail:
            log.debug("%s failed:\n%s", rec.key, outcome.detail)
