"""Stretches decoded together (``streamkit.clips``): read in groups, no more clips at once than chunks."""

from __future__ import annotations

from streamkit.transcribe import TranscribeOptions


def test_clips_are_read_in_groups_within_a_window() -> None:
    from streamkit.clips import _clip_groups

    assert _clip_groups([(0, 1000), (5000, 6000), (700_000, 701_000)], 600_000) == [
        [(0, 1000), (5000, 6000)], [(700_000, 701_000)]]


def test_the_rescue_decodes_no_more_clips_at_once_than_the_track_has_chunks() -> None:
    from streamkit.clips import rescue_batch

    o = TranscribeOptions()
    # a minute of speech: conversation.mp4 took 1.04 GB with 8 clips at once, 0.62 GB with 3
    assert rescue_batch(o, 62_419) == 3
    assert rescue_batch(o, 10_000) == 1
    assert rescue_batch(o, 3_600_000) == o.batch_size


def test_the_rescue_decodes_two_clips_at_once_on_the_cpu_and_the_whole_batch_on_a_gpu() -> None:
    """Each clip is a 30 s encoder window: on the CPU a batch of them peaked above the first pass (conv-105)."""
    from types import SimpleNamespace

    from streamkit.clips import CPU_CLIP_BATCH, clip_batch, rescue_batch

    o = TranscribeOptions()
    cpu, gpu = (SimpleNamespace(choice=SimpleNamespace(device=d)) for d in ("cpu", "cuda"))
    assert CPU_CLIP_BATCH == 2
    assert clip_batch(o, 3_600_000, cpu) == 2
    assert clip_batch(o, 10_000, cpu) == 1
    assert clip_batch(o, 3_600_000, gpu) == rescue_batch(o, 3_600_000) == o.batch_size
