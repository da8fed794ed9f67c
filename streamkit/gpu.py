"""The GPU path of faster-whisper, for ``streamkit doctor``: a CUDA device, and the libraries CTranslate2 loads.

CTranslate2 4.x (what faster-whisper runs on) is built against CUDA 12 and loads cuBLAS 12
(``libcublas.so.12``, ``libcublasLt.so.12``) and cuDNN 9 (``libcudnn_ops.so.9``,
``libcudnn_cnn.so.9``) when a model is put on the GPU, not at import: a machine with a GPU but
without them (a CUDA-13-only machine is the common case) fails only once transcription starts.
:func:`probe_gpu` asks CTranslate2 for CUDA devices and tries to load each library with
``ctypes``; :func:`gpu_status` (pure) turns what it found into one line and the exact fix, which
is faster-whisper's documented one (README, "GPU": the NVIDIA pip wheels, then
``LD_LIBRARY_PATH`` set before Python starts).
"""

from __future__ import annotations

import ctypes
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["CUBLAS", "CUDNN", "LD_FIX", "PIP_FIX", "GpuProbe", "GpuStatus", "gpu_status", "probe_gpu"]

#: The CUDA 12 libraries CTranslate2 4.x loads, by family.
CUBLAS = ("libcublas.so.12", "libcublasLt.so.12")
CUDNN = ("libcudnn_ops.so.9", "libcudnn_cnn.so.9")  # cuDNN 8 called it libcudnn_ops_infer.so.8
#: Libraries of a newer CUDA that do not stand in for CUDA 12's (probed to explain a CUDA-13-only machine).
NEWER = ("libcublas.so.13",)
#: The NVIDIA wheels that carry the libraries, as Python packages (import names).
PIP_PACKAGES = ("nvidia.cublas", "nvidia.cudnn")
PIP_FIX = "pip install nvidia-cublas-cu12 nvidia-cudnn-cu12==9.*"
LD_FIX = ("export LD_LIBRARY_PATH=`python3 -c 'import os; import nvidia.cublas.lib; import nvidia.cudnn.lib; "
          "print(os.path.dirname(nvidia.cublas.lib.__file__) + \":\" + "
          "os.path.dirname(nvidia.cudnn.lib.__file__))'`")


@dataclass(frozen=True)
class GpuProbe:
    """What the machine has: CUDA devices CTranslate2 sees (``None``: it could not tell), loadable libraries."""

    devices: int | None
    libraries: Mapping[str, bool] = field(default_factory=dict)
    #: Which of :data:`PIP_PACKAGES` are installed (their libraries may still be off the library path).
    pip_packages: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class GpuStatus:
    """One line for ``doctor`` and the exact fix ("" when there is nothing to fix)."""

    ready: bool
    summary: str
    fix: str = ""
    devices: int | None = None
    missing: tuple[str, ...] = ()


def _loads(library: str) -> bool:
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def probe_gpu() -> GpuProbe:
    """The real probe: ``ctranslate2.get_cuda_device_count()`` and a ``ctypes`` load of each library."""
    try:
        import ctranslate2

        devices: int | None = int(ctranslate2.get_cuda_device_count())
        error = ""
    except Exception as exc:  # a broken CUDA install raises here; doctor reports it, never crashes
        devices, error = None, f"{type(exc).__name__}: {exc}"
    libraries = {lib: _loads(lib) for lib in (*CUBLAS, *CUDNN, *NEWER)}
    return GpuProbe(devices, libraries, tuple(m for m in PIP_PACKAGES if _installed(m)), error)


def gpu_status(probe: GpuProbe) -> GpuStatus:
    """What ``probe`` means for ``--device cuda``, with the exact fix."""
    if probe.devices is None:
        return GpuStatus(False, f"cannot tell whether there is a CUDA device ({probe.error}): transcription runs "
                         "on the CPU")
    if probe.devices == 0:
        return GpuStatus(False, "no CUDA device (CTranslate2 sees none): transcription runs on the CPU (int8); "
                         "with an NVIDIA GPU, check its driver (nvidia-smi)", devices=0)
    count = f"{probe.devices} CUDA device{'s' if probe.devices > 1 else ''}"
    missing = tuple(lib for lib in (*CUBLAS, *CUDNN) if not probe.libraries.get(lib, False))
    if not missing:
        return GpuStatus(True, f"{count}; cuBLAS 12 and cuDNN 9 load: --device cuda works", devices=probe.devices)
    families = [name for name, libs in (("cuBLAS 12", CUBLAS), ("cuDNN 9", CUDNN)) if set(libs) & set(missing)]
    summary = f"{count}, but CTranslate2 cannot load {' and '.join(families)} ({', '.join(missing)}): " \
              "--device cuda would fail"
    if set(CUBLAS) & set(missing) and any(probe.libraries.get(lib, False) for lib in NEWER):
        newer = ", ".join(lib for lib in NEWER if probe.libraries.get(lib, False))
        summary += f"; found {newer} (CUDA 13), but CTranslate2 needs CUDA 12's libraries beside it"
    if set(PIP_PACKAGES) <= set(probe.pip_packages):
        summary += "; the NVIDIA pip packages are installed but not on LD_LIBRARY_PATH (set it before starting Python)"
        return GpuStatus(False, summary, LD_FIX, probe.devices, missing)
    return GpuStatus(False, summary, f"{PIP_FIX}; {LD_FIX}", probe.devices, missing)
