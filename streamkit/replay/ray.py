"""The Ray executor: Ray actors as workers, on a cluster or a local Ray instance.

Ray workers write into a temporary folder of their own and return the files, which the driver
writes. Ray is an optional dependency, imported only when this executor is made
(:func:`_import_ray`).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError, OutputError
from ..fsutil import atomic_path, write_problem
from ..workspace import Workspace
from .spec import Recording, ReplaySpec
from .tasks import Message, Outcome, Task, WorkerSetup, _Finished, _setup
from .worker import _Worker

#: Files larger than this travel between worker and driver as a list of object-store chunks.
RAY_CHUNK_BYTES = 32 * 1024 * 1024


def _import_ray() -> Any:
    try:
        return importlib.import_module("ray")
    except ImportError as exc:
        raise ConfigError("the ray executor needs Ray, which is not installed", key="run.executor",
                          hint="pip install 'streamkit[ray]'  (or use --executor local)") from exc


def _remap(value: Any, mapping: dict[str, str]) -> Any:
    """``value`` with every string path under a key of ``mapping`` moved under its value."""
    if isinstance(value, str):
        for old, new in mapping.items():
            if value == old or value.startswith(old + os.sep):
                return new + value[len(old):]
        return value
    if isinstance(value, dict):
        return {k: _remap(v, mapping) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_remap(v, mapping) for v in value)
    return value


class RayWorker:
    """The body of a Ray actor: loads the model once and runs one recording at a time in a temp folder.

    It writes nothing outside its temp folder: the recording's files (subtitles, the replay
    video, stage cache entries, the run manifest) go back to the driver, which writes them.
    """

    def __init__(self, setup: WorkerSetup, chunk_bytes: int = RAY_CHUNK_BYTES) -> None:
        self.chunk_bytes = chunk_bytes
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self.ray = _import_ray()
        label = f"{self.ray.util.get_node_ip_address()}:{os.getpid()}"
        self.worker = _Worker(setup, self._send, label)

    def _send(self, message: Message) -> None:
        with self._lock:
            self._messages.append(message)

    def poll(self) -> list[Message]:
        with self._lock:
            messages, self._messages = self._messages, []
        return messages

    def run(self, task: Task) -> Outcome:
        final_dir = str(task.job.output_dir)
        original = str(task.job.input)
        with tempfile.TemporaryDirectory(prefix="streamkit-replay-") as tmp:
            work = Path(tmp)
            out = work / "out"
            cache = Workspace(out).cache
            cache.mkdir(parents=True)
            for name, data in task.cache_files.items():
                (cache / name).write_bytes(data)
            source = task.job.input
            if task.media:  # shipped through the object store: no shared storage needed
                source = work / "in" / task.job.input.name
                source.parent.mkdir()
                with open(source, "wb") as f:
                    for ref in task.media:
                        f.write(self.ray.get(ref))
            job = replace(task.job, input=source, out_dir=out, force=True)
            outcome = self.worker.execute(task, job)
            mapping = {str(out): final_dir, str(source): original}
            outcome.summary = _remap(outcome.summary, mapping)
            outcome.events = _remap(outcome.events, mapping)
            if outcome.error is not None:
                # the message may name the temporary paths; keep the error's type and hint
                outcome.error_text = outcome.message
            for old, new in mapping.items():
                outcome.error_text = outcome.error_text.replace(old, new)
            for path in sorted(p for p in out.rglob("*") if p.is_file()):
                rel = path.relative_to(out).as_posix()
                if Workspace(out).is_cache_entry(path) and path.name in task.cache_files:
                    continue  # the driver has it
                outcome.files[rel] = self._pack(path)
        return outcome

    def _pack(self, path: Path) -> Any:
        if path.stat().st_size <= self.chunk_bytes:
            return path.read_bytes()
        refs = []
        with open(path, "rb") as f:
            while block := f.read(self.chunk_bytes):
                refs.append(self.ray.put(block))
        return refs


class RayExecutor:
    """Ray actors as workers: one per slot, each with ``gpus_per_worker`` GPUs, loading the model once.

    The driver (this process) connects to ``address`` (or ``$RAY_ADDRESS``; with neither, a
    local Ray instance starts). Recordings are read by workers from the same path (shared
    storage) unless ``ship_media``, which sends each input through the object store.
    """

    name = "ray"

    def __init__(self, spec: ReplaySpec, workers: int | None = None, *, address: str | None = None,
                 ship_media: bool | None = None, chunk_bytes: int = RAY_CHUNK_BYTES) -> None:
        self.spec = spec
        self.slots = workers or spec.workers
        self.address = address or spec.address
        self.ship_media = spec.ship_media if ship_media is None else ship_media
        self.chunk_bytes = chunk_bytes
        threads = spec.cpu_threads_per_worker or max(1, int(spec.cpus_per_worker))
        self.setup = _setup(spec, threads)
        self.ray = _import_ray()
        self._owns = False
        self._actor_class: Any = None
        self._idle: list[Any] = []
        self._running: dict[Any, tuple[str, Any]] = {}
        self._media: dict[str, list[Any]] = {}
        self._last_poll = 0.0

    def _start(self) -> None:
        ray = self.ray
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.WARNING)
            except (ImportError, ValueError) as exc:  # ray:// needs Ray Client (grpcio); a malformed address
                where = self.address or os.environ.get("RAY_ADDRESS")
                raise ConfigError(f"cannot connect to the Ray cluster at {where}: {exc}", key="run.address",
                                  hint="ray:// addresses need pip install 'streamkit[ray]' with Ray Client "
                                  "(ray[client])") from exc
            except ConnectionError as exc:
                raise ConfigError(f"cannot connect to the Ray cluster ({exc})", key="run.address",
                                  hint="check --address / RAY_ADDRESS and that `ray start --head` runs there") from exc
            self._owns = True
        gpus = float(ray.cluster_resources().get("GPU", 0))
        if self.spec.gpus_per_worker > gpus:
            raise ConfigError(f"run.gpus_per_worker = {self.spec.gpus_per_worker:g} but the Ray cluster has "
                              f"{gpus:g} GPU(s)", key="run.gpus_per_worker", source=str(self.spec.path),
                              hint="set gpus_per_worker = 0 to run on CPUs, or add GPU workers")
        self._actor_class = ray.remote(RayWorker)
        self._idle = [self._new_actor() for _ in range(self.slots)]

    def _new_actor(self) -> Any:
        # Ray sets OMP_NUM_THREADS = num_cpus in its workers; at 1 it makes numpy's share of the
        # audio features (OpenBLAS) single-threaded: ~1.5x slower transcription than a local worker.
        # Unless cpu_threads_per_worker bounds it explicitly, a worker gets the libraries' defaults,
        # as local workers do.
        omp = str(self.spec.cpu_threads_per_worker) if self.spec.cpu_threads_per_worker else ""
        return self._actor_class.options(
            num_gpus=self.spec.gpus_per_worker, num_cpus=self.spec.cpus_per_worker, max_concurrency=2,
            runtime_env={"env_vars": {"OMP_NUM_THREADS": omp}},
        ).remote(self.setup, self.chunk_bytes)

    def prepare(self, task: Task, recording: Recording) -> Task:
        cache = Workspace(recording.folder).cache
        files = {p.name: p.read_bytes() for p in sorted(cache.glob("*.json"))} if cache.is_dir() else {}
        media: list[Any] = []
        if self.ship_media:
            if self._actor_class is None:
                self._start()
            with open(recording.input, "rb") as f:
                while block := f.read(self.chunk_bytes):
                    media.append(self.ray.put(block))
            self._media[task.key] = media
        return replace(task, cache_files=files, media=tuple(media))

    def submit(self, task: Task) -> None:
        if self._actor_class is None:
            self._start()
        actor = self._idle.pop()
        ref = actor.run.remote(task)
        self._running[ref] = (task.key, actor)

    def busy(self) -> int:
        return len(self._running)

    def wait(self, timeout: float) -> list[_Finished]:
        if not self._running:
            return []
        ray = self.ray
        ready, _ = ray.wait(list(self._running), num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(list(self._running), num_returns=len(self._running), timeout=0)
        finished: list[_Finished] = []
        for ref in ready:
            key, actor = self._running.pop(ref)
            self._media.pop(key, None)
            try:
                outcome: Outcome = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:  # raised in the worker outside the pipeline: a bug
                self._idle.append(actor)
                finished.append(_Finished(key, Outcome(key, error_text=f"internal error: {exc}".splitlines()[0])))
                continue
            except ray.exceptions.RayError as exc:  # the actor or its node died
                with contextlib.suppress(Exception):
                    ray.kill(actor, no_restart=True)
                self._idle.append(self._new_actor())
                finished.append(_Finished(key, None, f"the Ray worker died ({type(exc).__name__})"))
                continue
            self._idle.append(actor)
            finished.append(_Finished(key, outcome))
        return finished

    def messages(self) -> list[Message]:
        now = time.monotonic()
        if not self._running or now - self._last_poll < 0.5:
            return []
        self._last_poll = now
        actors = [actor for _, actor in self._running.values()]
        refs = [a.poll.remote() for a in actors]
        ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=2.0)
        found: list[Message] = []
        for ref in ready:
            with contextlib.suppress(Exception):
                found.extend(self.ray.get(ref))
        return found

    def materialize(self, outcome: Outcome, recording: Recording) -> None:
        """Write the files a worker returned into the recording's folder (atomically, one by one)."""
        for rel, content in outcome.files.items():
            target = recording.folder / rel
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(target) as tmp, open(tmp, "wb") as f:
                    if isinstance(content, bytes):
                        f.write(content)
                    else:
                        for ref in content:
                            f.write(self.ray.get(ref))
            except OSError as exc:  # a full disk on the driver: this recording fails, the others go on
                problem, hint = write_problem(exc)
                raise OutputError(target, problem, hint=hint) from exc
        outcome.files = {}

    def close(self, *, interrupted: bool = False) -> None:
        ray = self.ray
        if not ray.is_initialized():
            return
        for actor in [*self._idle, *(a for _, a in self._running.values())]:
            with contextlib.suppress(Exception):
                ray.kill(actor, no_restart=True)
        self._idle.clear()
        self._running.clear()
        self._media.clear()
        if self._owns:
            ray.shutdown()
            self._owns = False
