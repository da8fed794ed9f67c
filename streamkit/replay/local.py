"""The local executor: a pool of spawned worker processes on this machine.

Local workers write a recording's outputs into its folder themselves (atomically: same machine,
same disk). The worker process's globals (its :class:`~.worker._Worker`, whether it is inside a
task) and its signal handlers live here, set by the pool's initializer.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import signal
import socket
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from .spec import Recording, ReplaySpec
from .tasks import Message, Outcome, Task, WorkerSetup, _Finished, _setup
from .worker import _Worker

_local: _Worker | None = None
_in_task = False


def _on_sigterm(signum: int, frame: object) -> None:
    if _in_task:
        raise KeyboardInterrupt  # unwinds the stage: temp files and .part files are removed
    os._exit(0)


_PR_SET_PDEATHSIG = 1
#: After the driver died and SIGTERM was sent to unwind a task, how long before a hard exit.
_UNWIND_S = 10.0


def _orphaned(driver: int) -> None:
    """The driver is gone: unwind a running task (SIGTERM: temp and .part files removed), then exit."""
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(_UNWIND_S)
    os._exit(1)


def _watch_parent(driver: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != driver:  # the driver died (kill -9): do not go on writing alone
            _orphaned(driver)


def _die_with_driver(driver: int) -> None:
    """Never outlive the driver, whatever phase this worker is in.

    On Linux the kernel sends SIGTERM when the driver dies (``PR_SET_PDEATHSIG``); everywhere a
    thread watches the parent pid. Both are set up first thing, right after the imports a spawned
    process cannot skip: a driver that died during them is noticed here (the parent is then no
    longer ``driver``: compared with the pid the driver passed, not with whatever ``getppid()``
    says now, which was PID 1 and made orphans watch init for good). The kernel's "parent" is the
    thread that spawned the worker: the driver's one driving thread (``run_replay``), which
    outlives the pool.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != driver:
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(driver,), daemon=True, name="streamkit-watch-driver").start()


def _init_local_worker(setup: WorkerSetup, channel: Any, driver: int) -> None:
    global _local
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's; it stops workers with SIGTERM
    signal.signal(signal.SIGTERM, _on_sigterm)
    _die_with_driver(driver)
    label = f"{socket.gethostname()}:{os.getpid()}"

    def send(message: Message) -> None:
        with contextlib.suppress(Exception):
            channel.put_nowait(message)

    send(("hello", label, os.getpid()))
    _local = _Worker(setup, send, label)


def _run_local_task(task: Task) -> Outcome:
    global _in_task
    if _local is None:
        raise RuntimeError("worker not initialised")
    _in_task = True
    try:
        return _local.execute(task)
    except KeyboardInterrupt:
        os._exit(130)
    finally:
        _in_task = False


def _cpu_threads(spec: ReplaySpec, workers: int) -> int:
    if spec.cpu_threads_per_worker:
        return spec.cpu_threads_per_worker
    return max(1, (os.cpu_count() or 1) // workers)


class LocalExecutor:
    """A pool of worker processes on this machine; each loads the model once, at start.

    Processes are spawned (not forked: the driver has threads). One recording per worker at a
    time; a worker that dies (killed, out of memory) breaks the pool: its recordings come back
    as lost, and the next submit starts a new pool.
    """

    name = "local"

    def __init__(self, spec: ReplaySpec, workers: int | None = None) -> None:
        self.slots = workers or spec.workers
        self.setup = _setup(spec, _cpu_threads(spec, self.slots))
        self._pool: ProcessPoolExecutor | None = None
        self._channel: Any = None
        self._running: dict[Future[Outcome], str] = {}
        self._pids: set[int] = set()

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._channel = ctx.Queue()
            self._pool = ProcessPoolExecutor(self.slots, mp_context=ctx, initializer=_init_local_worker,
                                             initargs=(self.setup, self._channel, os.getpid()))
        return self._pool

    def prepare(self, task: Task, recording: Recording) -> Task:
        return task

    def submit(self, task: Task) -> None:
        future = self._ensure_pool().submit(_run_local_task, task)
        self._running[future] = task.key

    def busy(self) -> int:
        return len(self._running)

    def wait(self, timeout: float) -> list[_Finished]:
        if not self._running:
            return []
        done, _ = wait_futures(list(self._running), timeout=timeout, return_when=FIRST_COMPLETED)
        finished: list[_Finished] = []
        broken = False
        for future in done:
            key = self._running.pop(future)
            try:
                finished.append(_Finished(key, future.result()))
            except BrokenProcessPool:
                broken = True
                finished.append(_Finished(key, None, "the worker process died"))
            except Exception as exc:  # e.g. a result that could not be sent back
                finished.append(_Finished(key, Outcome(key, error_text=f"internal error: {type(exc).__name__}: "
                                                                       f"{exc}")))
        if broken:
            # One worker died; the pool has stopped the others. Their recordings are lost too.
            for future, key in list(self._running.items()):
                future.cancel()
                finished.append(_Finished(key, None, "its worker was stopped when another worker died"))
            self._running.clear()
            self._discard_pool()
        return finished

    def messages(self) -> list[Message]:
        found: list[Message] = []
        while self._channel is not None:
            try:
                message = self._channel.get_nowait()
            except (queue.Empty, OSError, EOFError, ValueError):
                break
            if message[0] == "hello":
                self._pids.add(message[2])
            found.append(message)
        return found

    def materialize(self, outcome: Outcome, recording: Recording) -> None:
        """Local workers wrote the recording's folder themselves."""

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self._channel = None
        self._pids.clear()

    def close(self, *, interrupted: bool = False) -> None:
        if self._pool is None:
            return
        if interrupted:
            self.messages()  # learn every worker's pid
            for pid in self._pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while self._pids and time.monotonic() < deadline:
                self._pids = {p for p in self._pids if _alive(p)}
                time.sleep(0.1)
            for pid in self._pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            self._pool.shutdown(wait=False, cancel_futures=True)
        else:
            self._pool.shutdown(wait=True)
        self._pool = None
        self._running.clear()


def _alive(pid: int) -> bool:
    """``pid`` runs (a zombie counts as gone; it is not reaped here: the pool reaps its workers)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
