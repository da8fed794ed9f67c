"""One builder of jobs from TOML (streamkit.jobconfig): the config file, replay specs and flags say the
same things the same way, merge in one place, and older spellings still work with a warning."""

from __future__ import annotations

import dataclasses
import logging
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamkit.config import load_config
from streamkit.errors import ConfigError
from streamkit.job import JobSettings, SubtitleJob
from streamkit.jobconfig import DECODING_KEYS, RUN_DECIDES, Layer, build_settings
from streamkit.replay import load_spec, plan_recordings
from streamkit.transcribe import TranscribeOptions
from streamkit.translation.options import DEFAULT_ENGINE, TranslatorSettings, settings_table

JOB_TOML = """
[model]
name = "base"
compute_type = "int8"
[transcribe]
beam_size = 2
batched = false
[translate]
engine = "none"
targets = ["ja", "en"]
[translator]
timeout = 7
[output]
formats = ["srt", "vtt"]
mux = false
"""


def _write(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _spec(tmp_path: Path, body: str = "", name: str = "event.toml") -> Path:
    (tmp_path / "rec").mkdir(exist_ok=True)
    (tmp_path / "rec" / "a.mp4").write_bytes(b"x")
    return _write(tmp_path / name, '[job]\ninputs = ["rec/*.mp4"]\noutput = "out"\n' + body)


def _parts(settings: JobSettings) -> dict[str, object]:
    """What decides the outputs (not the model's reason, which names its source)."""
    return {"decoding": settings.decoding, "translate": settings.translate, "outputs": settings.outputs,
            "model": dataclasses.replace(settings.model, reason=None)}


def test_decoding_keys_are_the_fields_of_transcribe_options() -> None:
    fields = [f.name for f in dataclasses.fields(TranscribeOptions)]
    assert list(DECODING_KEYS) == [f for f in fields if f not in RUN_DECIDES]
    assert DECODING_KEYS["beam_size"].kind == "int" and DECODING_KEYS["batched"].kind == "bool"
    assert DECODING_KEYS["temperature"].kind == "numbers"
    assert (DECODING_KEYS["beam_size"].low, DECODING_KEYS["beam_size"].high) == (1, 10)


def test_a_config_file_and_a_replay_spec_build_the_same_job(tmp_path: Path) -> None:
    from_config = build_settings([load_config(_write(tmp_path / "streamkit.toml", JOB_TOML)).layer()])
    spec = load_spec(_spec(tmp_path, JOB_TOML))
    assert _parts(from_config) == _parts(spec.job)
    assert from_config.decoding.beam_size == 2 and from_config.translate.targets == ("ja", "en")
    assert from_config.translate.settings.timeout == 7.0
    job = spec.job_for(plan_recordings(spec)[0])
    assert isinstance(job, SubtitleJob) and job.decoding == from_config.decoding


def test_one_default_engine_everywhere(tmp_path: Path) -> None:
    assert build_settings([]).translate.engine == DEFAULT_ENGINE == "google"
    assert load_spec(_spec(tmp_path)).job.translate.engine == "google"  # a replay's default was whisper


def test_flags_win_over_the_config_file_key_by_key(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path / "streamkit.toml", JOB_TOML)).layer()
    flags = Layer("command line", {"transcribe": {"batched": True}, "translate": {"engine": "whisper"},
                                   "model": {"name": "small"}}, named=False)
    settings = build_settings([config, flags])
    assert (settings.decoding.beam_size, settings.decoding.batched) == (2, True)  # beam from the file
    assert settings.translate.engine == "whisper" and settings.translate.targets == ("ja", "en")
    assert settings.model.name == "small" and settings.model.reason is None  # a flag: resolve_model says why
    from_file = build_settings([config])
    assert from_file.model.reason == f"config file {tmp_path / 'streamkit.toml'}: model.name = 'base'"


def test_a_replay_spec_inherits_a_config_file(tmp_path: Path) -> None:
    _write(tmp_path / "streamkit.toml", JOB_TOML + '[glossary]\nfiles = ["guests.toml"]\n')
    _write(tmp_path / "guests.toml", "")
    spec = load_spec(_spec(tmp_path, 'config = "streamkit.toml"\n[translate]\nengine = "whisper"\n'))
    assert spec.job.translate.engine == "whisper"  # the spec's own say wins
    assert spec.job.decoding.beam_size == 2 and spec.job.translate.targets == ("ja", "en")  # inherited
    assert spec.glossary == (tmp_path / "guests.toml",)  # relative to the config file
    assert spec.model_reason is not None and "streamkit.toml" in spec.model_reason
    plain = load_spec(_spec(tmp_path, '[translate]\nengine = "whisper"\n', name="plain.toml"))
    assert plain.fingerprint() != spec.fingerprint()
    with pytest.raises(ConfigError, match=r"job\.config: 'missing\.toml': no such file"):
        load_spec(_spec(tmp_path, 'config = "missing.toml"\n', name="bad.toml"))


def test_older_spellings_are_read_with_a_warning_naming_the_new_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = '[subtitle]\ntranslator = "none"\nmodel = "base"\nformats = ["vtt"]\nout = "subs"\n'
    with caplog.at_level(logging.WARNING, logger="streamkit"):
        config = load_config(_write(tmp_path / "streamkit.toml", old))
    said = caplog.text
    assert "[subtitle] translator is deprecated, write [translate] engine" in said
    assert "[subtitle] out is deprecated, write [output] folder" in said
    assert config.get("subtitle", "translator") == config.get("translate", "engine") == "none"
    settings = build_settings([config.layer()])
    assert settings.translate.engine == "none" and settings.outputs.formats == ("vtt",)
    assert settings.outputs.folder == tmp_path / "subs"  # relative to the config file
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="streamkit"):
        spec = load_spec(_spec(tmp_path, '[translate]\nengine = "none"\ntarget = "ja"\n'
                                         '[translate.settings]\nurl = "http://127.0.0.1:9"\n'))
    assert "[translate] target is deprecated, write [translate] targets" in caplog.text
    assert spec.job.translate.targets == ("ja",) and spec.job.translate.settings.url == "http://127.0.0.1:9"


def test_the_new_key_wins_over_its_older_spelling(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path / "streamkit.toml", '[subtitle]\ntranslator = "none"\n'
                                                             '[translate]\nengine = "whisper"\n'))
    assert build_settings([config.layer()]).translate.engine == "whisper"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('[model]\ndevice = "gpu"\n', "model.device: 'gpu' is not one of auto, cpu, cuda"),
        ("[transcribe]\nseed = -1\n", "transcribe.seed: must be at least 0, not -1"),
        ("[transcribe]\ntemperature = [0.0, \"hot\"]\n", "transcribe.temperature: must be a list of numbers"),
        ("[output]\nfolder = 3\n", "output.folder: must be a string"),
        ("[hooks]\nwebhook = 3\n", "hooks.webhook: must be a string"),
    ],
)
def test_the_one_schema_refuses_bad_values_in_the_config_file(tmp_path: Path, body: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path / "streamkit.toml", body))
    assert says in str(info.value) and str(tmp_path) in str(info.value), str(info.value)


def test_a_spec_has_no_output_folder_its_job_output_is_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"output\.folder: unknown key"):
        load_spec(_spec(tmp_path, '[output]\nfolder = "x"\n'))


_values = st.one_of(st.text(min_size=1, max_size=5), st.integers(0, 9), st.booleans())


@given(
    timeout=st.none() | st.floats(0.1, 60),
    cache=st.booleans(),
    url=st.none() | st.text(min_size=1, max_size=8),
    engines=st.dictionaries(st.sampled_from(["deepl", "libre", "myplug"]),
                            st.dictionaries(st.sampled_from(["api_key", "url", "model"]), _values, min_size=1),
                            max_size=2),
)
def test_engine_settings_survive_the_table_the_engines_read(
    timeout: float | None, cache: bool, url: str | None, engines: dict[str, dict[str, object]]
) -> None:
    settings = TranslatorSettings(timeout=timeout, cache=cache, url=url, engines=engines)  # type: ignore[arg-type]
    assert TranslatorSettings.from_table(settings_table(settings)) == settings


def test_the_subtitle_command_reads_an_older_config_with_a_warning(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from streamkit.cli import app

    from .conftest import SHORT

    config = _write(tmp_path / "streamkit.toml", '[subtitle]\ntranslator = "bing"\n')
    result = CliRunner().invoke(app, ["subtitle", str(SHORT), "--config", str(config), "-o", str(tmp_path / "out")])
    said = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "[subtitle] translator is deprecated, write [translate] engine instead" in said
    assert "unknown translator 'bing'" in said  # the older key still decides the engine
