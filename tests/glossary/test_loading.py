"""streamkit/glossary/loading.py: bad files named by file, line and entry; all or nothing; the built-in folder;
the documented event file; optional_glossary."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from streamkit.errors import ConfigError
from streamkit.glossary import GlossaryError, builtin_dir, check_glossary, load_glossary, optional_glossary

from ..conftest import REPO

# --------------------------------------------------------------------------- errors


def _write(tmp_path: Path, text: str, name: str = "event.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "entry", "words"),
    [
        ('[[guest]]\nid = "a"\nenglish = "A"\nkorean = ["에이"\n', 4, "a", "invalid TOML"),
        ('[[guest]]\nid = "a"\nenglish = "A"\nenglish = "B"\nkorean = ["에이"]\n', 4, "a", "duplicate key"),
        ('[[guest]]\nid = "a"\nkorean = ["에이"]\n', 2, "a", "no English form"),
        ('[[guest]]\nid = "a"\nenglish = "A"\n', 2, "a", "no Korean form"),
        ('[[guest]]\nid = "a"\nenglish = "A"\nkorean = ["A"]\n', 2, "a", "has no Hangul"),
        ('[[guest]]\nid = "a"\nenglish = "A"\nkorean = "에이"\n\n[[song]]\nid = "a"\nenglish = "B"\nkorean = "비"\n',
         7, "a", "duplicate id (first at line 2)"),
        ('[[guest]]\nid = "a"\nenglish = "A"\nkorean = "에이"\nenglsh = "x"\n', 5, "a", "unknown field 'englsh'"),
        ('[[guest]]\nid = "a"\nenglish = "A"\nkorean = "에이"\ngroup = "nope"\n', 2, "a", "group 'nope'"),
        ('[[guests]]\nid = "a"\n', 1, None, "unknown table [[guests]]"),
        ('[[group]]\nid = "g"\nenglish = "G"\nkorean = "지"\nmembers = [\n  { id = "x", korean = ["엑스"] },\n]\n',
         6, "g.x", "no English form"),
        ('[[guest]]\nid = "Bad Id"\nenglish = "A"\nkorean = "에이"\n', 2, "Bad Id", "bad id"),
    ],
)
def test_bad_files_name_file_line_and_entry(tmp_path: Path, text: str, line: int, entry: str | None,
                                            words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(GlossaryError) as caught:
        load_glossary([path], builtin=False)
    error = caught.value
    assert isinstance(error, ConfigError) and error.exit_code == 2
    assert (error.file, error.line, error.entry) == (str(path), line, entry)
    assert str(error).startswith(f"{path}:{line}: ") and words in str(error) and "\n" not in str(error)
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again), again.file, again.line, again.entry, again.hint) == (
        GlossaryError, str(error), error.file, error.line, error.entry, error.hint)


def test_loading_is_all_or_nothing(tmp_path: Path) -> None:
    good = _write(tmp_path, '[[guest]]\nid = "a"\nenglish = "A"\nkorean = "에이"\n', "good.toml")
    bad = _write(tmp_path, '[[guest]]\nid = "b"\nkorean = "비"\n', "bad.toml")
    with pytest.raises(GlossaryError):
        load_glossary([good, bad])
    glossary, problems = check_glossary([bad, _write(tmp_path, "x = [", "worse.toml")], builtin=False)
    assert glossary is None and [p.file for p in problems] == [str(bad), str(tmp_path / "worse.toml")]
    with pytest.raises(GlossaryError, match="no such file"):
        load_glossary([tmp_path / "missing.toml"])


def test_builtin_dir_is_the_repository_folder() -> None:
    assert builtin_dir() == REPO / "glossary"


def test_the_documented_event_file_loads_and_works(tmp_path: Path) -> None:
    doc = (REPO / "docs" / "glossary.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(# my-event\.toml.*?)```", doc, re.S)
    assert block is not None
    event = _write(tmp_path, block.group(1), "my-event.toml")
    glossary = load_glossary([event])
    assert [e.id for e in glossary.hints_for("", limit=3)] == ["mc-jang-doyeon", "thunder", "love-money-fame"]
    assert glossary.enforce_english("the random play dance with Jang Doyeon") == \
        "the Random Play Dance with Jang Do-yeon"
    assert glossary.enforce_english_for("Seventeen sang Thunder", "세븐틴이 썬더 불렀어") == "SEVENTEEN sang THUNDER"
    assert glossary.find_korean("천둥 썬더 치는 날") == []
    assert glossary.by_id["seventeen.hoshi"].group == "seventeen"


# --------------------------------------------------------------------------- one loader for the commands


def test_optional_glossary_is_what_glossary_and_no_glossary_mean(tmp_path: Path) -> None:
    event = _write(tmp_path, '[[guest]]\nid = "mc-kim"\nenglish = "MC Kim"\nkorean = ["김엠씨"]\n')
    both = optional_glossary([event])
    assert both is not None and "mc-kim" in both.by_id and "bts" in both.by_id
    assert set(optional_glossary([event], builtin=False).by_id) == {"mc-kim"}
    assert optional_glossary((), disabled=True) is None
    with pytest.raises(ConfigError, match="--glossary and --no-glossary contradict each other") as refused:
        optional_glossary([event], disabled=True)
    assert refused.value.key == "glossary" and not isinstance(refused.value, GlossaryError)
    with pytest.raises(GlossaryError, match="no such file"):
        optional_glossary([tmp_path / "missing.toml"])
