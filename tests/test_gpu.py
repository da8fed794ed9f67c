"""``streamkit doctor``'s GPU check: a CUDA device and the cuBLAS 12 / cuDNN 9 libraries CTranslate2 loads.

This machine has no GPU, so the reporting logic is tested with injected probe results (a
:class:`GpuProbe` built by hand: what the real probe sees on other machines); the real probe runs
too and must say "no CUDA device" cleanly here.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from streamkit.cli import app
from streamkit.gpu import CUBLAS, CUDNN, LD_FIX, PIP_FIX, GpuProbe, gpu_status, probe_gpu

ALL = {lib: True for lib in (*CUBLAS, *CUDNN)}


def test_the_real_probe_says_no_cuda_device_here() -> None:
    probe = probe_gpu()
    assert probe.devices == 0
    status = gpu_status(probe)
    assert not status.ready and status.summary.startswith("no CUDA device")
    assert "CPU" in status.summary


def test_a_ready_gpu() -> None:  # injected: a machine with one GPU and the CUDA 12 libraries
    status = gpu_status(GpuProbe(devices=1, libraries=ALL))
    assert status.ready and status.fix == "" and "1 CUDA device" in status.summary


def test_missing_cudnn_names_the_library_and_the_exact_fix() -> None:  # injected
    libs = {**ALL, "libcudnn_ops.so.9": False, "libcudnn_cnn.so.9": False}
    status = gpu_status(GpuProbe(devices=2, libraries=libs))
    assert not status.ready and status.missing == ("libcudnn_ops.so.9", "libcudnn_cnn.so.9")
    assert "cuDNN 9" in status.summary and "libcudnn_ops.so.9" in status.summary
    assert status.fix == f"{PIP_FIX}; {LD_FIX}"
    assert "pip install nvidia-cublas-cu12 nvidia-cudnn-cu12==9.*" in status.fix


def test_a_cuda_13_only_machine_is_told_what_it_has_and_what_is_needed() -> None:  # injected
    libs = {**ALL, "libcublas.so.12": False, "libcublasLt.so.12": False, "libcublas.so.13": True}
    status = gpu_status(GpuProbe(devices=1, libraries=libs))
    assert "cuBLAS 12" in status.summary and "libcublas.so.13" in status.summary and "CUDA 12" in status.summary
    assert PIP_FIX in status.fix


def test_libraries_installed_by_pip_but_not_on_the_library_path_need_only_the_path() -> None:  # injected
    libs = {lib: False for lib in ALL}
    status = gpu_status(GpuProbe(devices=1, libraries=libs, pip_packages=("nvidia.cublas", "nvidia.cudnn")))
    assert status.fix == LD_FIX and "before starting Python" in status.summary


def test_a_probe_that_cannot_ask_ctranslate2_says_why() -> None:  # injected
    status = gpu_status(GpuProbe(devices=None, libraries={}, error="ImportError: no ctranslate2"))
    assert not status.ready and "cannot tell" in status.summary and "no ctranslate2" in status.summary


def test_doctor_reports_the_gpu_path(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["doctor", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    gpu = json.loads(result.stdout)["gpu"]
    assert gpu["ready"] is False and gpu["cuda_devices"] == 0 and gpu["summary"].startswith("no CUDA device")
    table = CliRunner().invoke(app, ["doctor", "--offline"])
    assert "gpu:" in table.output and "no CUDA device" in table.output


@given(devices=st.one_of(st.none(), st.integers(0, 8)),
       loads=st.lists(st.booleans(), min_size=5, max_size=5),
       pip=st.sets(st.sampled_from(["nvidia.cublas", "nvidia.cudnn"])))
def test_every_probe_gets_a_verdict_and_a_fix_exactly_when_one_is_needed(
    devices: int | None, loads: list[bool], pip: set[str]
) -> None:  # injected probes: every combination a machine can show
    libraries = dict(zip((*CUBLAS, *CUDNN, "libcublas.so.13"), loads, strict=True))
    status = gpu_status(GpuProbe(devices, libraries, tuple(sorted(pip))))
    missing = [lib for lib in (*CUBLAS, *CUDNN) if not libraries[lib]]
    assert status.ready == bool(devices and not missing)
    assert bool(status.fix) == bool(devices and missing)
    assert all(lib in status.summary for lib in missing) if devices else "CPU" in status.summary
    assert "\n" not in status.summary
