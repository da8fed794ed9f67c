"""The job (streamkit.job): typed parts, checked on construction, the same settings for every recording."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from streamkit import SubtitleJob
from streamkit.errors import ConfigError
from streamkit.job import JobSettings, OutputOptions
from streamkit.translation.options import TranslateOptions


def test_settings_make_a_job_per_recording_with_its_own_folder() -> None:
    settings = JobSettings(outputs=OutputOptions(formats=("vtt",)), translate=TranslateOptions(targets=("ja",)))
    job = settings.job_for(Path("/rec/a.mp4"), folder=Path("/out/a"), force=True, use_cache=False)
    assert job.input == Path("/rec/a.mp4") and job.output_dir == Path("/out/a")
    assert (job.outputs.formats, job.outputs.force, job.outputs.use_cache) == (("vtt",), True, False)
    assert job.translate == settings.translate and job.languages == ("ko", "ja")
    assert settings.job_for(Path("/rec/b.mp4")).output_dir == Path("/rec")  # next to the recording
    assert job.with_outputs(force=False).outputs.force is False and job.outputs.force is True


def test_a_job_survives_pickling_for_process_pools_and_ray() -> None:
    job = JobSettings(translate=TranslateOptions(engine="none")).job_for(Path("/rec/a.mp4"))
    assert pickle.loads(pickle.dumps(job)) == job


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: OutputOptions(container="avi"), "unknown container 'avi'"),
        (lambda: OutputOptions(formats=()), "unknown subtitle format (none)"),
        (lambda: JobSettings(translate=TranslateOptions(targets=("en", "xx"))), "unknown language 'xx'"),
        (lambda: SubtitleJob(Path("x.mp4"), outputs=OutputOptions(default_track="ja")), "--default-track ja"),
    ],
)
def test_a_bad_part_is_refused_when_the_job_is_made(make: object, says: str) -> None:
    with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(")", r"\)")):
        make()  # type: ignore[operator]
