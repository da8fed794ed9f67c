"""The config file: decoding settings a producer sets once, checked on load."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.config import load_config, transcribe_settings
from streamkit.errors import ConfigError
from streamkit.transcribe import TranscribeOptions


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "streamkit.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_transcribe_settings_become_options(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "[transcribe]\nbeam_size = 2\nbatched = false\nbatch_size = 16\n"))
    options = TranscribeOptions(**transcribe_settings(cfg))
    assert (options.beam_size, options.batched, options.batch_size) == (2, False, 16)
    assert TranscribeOptions(**transcribe_settings(load_config(_write(tmp_path, "")))) == TranscribeOptions()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("[transcribe]\nbeam_size = 0\n", "transcribe.beam_size: must be between 1 and 10, not 0"),
        ("[transcribe]\nbeam_size = 11\n", "transcribe.beam_size: must be between 1 and 10, not 11"),
        ("[transcribe]\nbeam_size = true\n", "transcribe.beam_size: must be an integer, not boolean (True)"),
        ("[transcribe]\nbeam_size = 2.5\n", "transcribe.beam_size: must be an integer, not float (2.5)"),
        ("[transcribe]\nbatched = 1\n", "transcribe.batched: must be true or false, not integer (1)"),
        ("[transcribe]\nbatch_size = 0\n", "transcribe.batch_size: must be between 1 and 64"),
        ("[transcribe]\nvad_min_silence_ms = -5\n", "transcribe.vad_min_silence_ms: must be between 0 and 10000"),
        ("[transcribe]\nbeam = 2\n", "transcribe.beam: unknown key, not a decoding setting (known: beam_size"),
        ("[subtitle]\nmux = 1\n", "subtitle.mux: must be true or false, not integer (1)"),
        ("[subtitle]\nmodel = true\n", "subtitle.model: must be a string, not boolean (True)"),
        ("[model]\ndevice = \"gpu\"\n", "model.device: 'gpu' is not one of auto, cpu, cuda"),
        ("[output]\ncontainer = \"avi\"\n", "output.container: 'avi' is not one of mp4, mkv"),
    ],
)
def test_bad_values_are_refused_on_load_naming_file_and_key(tmp_path: Path, body: str, says: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert says in str(info.value) and str(path) in str(info.value), str(info.value)
    assert info.value.exit_code == 2


def test_every_tunable_is_a_decoding_option() -> None:
    from streamkit.jobconfig import DECODING_KEYS

    fields = set(TranscribeOptions.__dataclass_fields__)
    tunable = {"beam_size", "batched", "batch_size", "vad_min_silence_ms", "turns"}  # the keys of the first config file
    assert tunable <= set(DECODING_KEYS) <= fields  # the keys are derived from the dataclass
