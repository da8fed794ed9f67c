"""streamkit/glossary/kpopnet.py: the girl-groups file is what the kpopnet.json import makes."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from streamkit.glossary import import_kpopnet, load_glossary

from ..conftest import REPO

KPOPNET = REPO.parent / "shared" / "data" / "kpopnet.json"


@pytest.mark.skipif(not KPOPNET.is_file(), reason="../shared/data/kpopnet.json not present")
def test_girl_groups_file_is_what_the_importer_makes() -> None:
    made = import_kpopnet(KPOPNET)
    assert (REPO / "glossary" / "girl-groups.toml").read_text(encoding="utf-8") == made
    assert "CC0" in made.splitlines()[1]


def test_import_kpopnet_current_members_hangul_units_and_fixes(tmp_path: Path) -> None:
    data = {
        "groups": [
            {"id": "g1", "name": "Blackpink", "name_original": "블랙핑크", "name_alias": None, "disband_date": None,
             "parent_id": None, "members": [{"idol_id": "i1", "current": True}, {"idol_id": "i2", "current": False},
                                            {"idol_id": "i3", "current": True}]},
            {"id": "g2", "name": "Old Girls", "name_original": "올드걸스", "name_alias": "OG",
             "disband_date": "2015-01-01", "parent_id": None, "members": [{"idol_id": "i1", "current": True}]},
            {"id": "g3", "name": "XG", "name_original": "XG", "name_alias": None, "disband_date": None,
             "parent_id": None, "members": []},
            {"id": "g4", "name": "Pink Unit", "name_original": "핑크 유닛", "name_alias": None, "disband_date": None,
             "parent_id": "g1", "members": [{"idol_id": "i1", "current": True}, {"idol_id": "i4", "current": True}]},
        ],
        "idols": [
            {"id": "i1", "name": "Rose", "name_original": "로제"},
            {"id": "i2", "name": "Former", "name_original": "전멤버"},
            {"id": "i3", "name": "NoHangul", "name_original": "NOH"},
            {"id": "i4", "name": "Extra", "name_original": "엑스트라"},
        ],
    }
    source = tmp_path / "kpopnet.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    text = import_kpopnet(source)
    parsed = tomllib.loads(text)
    groups = {t["id"]: t for t in parsed["group"]}
    assert set(groups) == {"blackpink", "old-girls"}  # XG: no Hangul
    assert groups["blackpink"]["english"] == "BLACKPINK"  # the fixes file
    assert [m["english"] for m in groups["blackpink"]["members"]] == ["Rosé"]  # current, with Hangul
    assert groups["blackpink"]["members"][0]["aliases_en"] == ["Rose"]
    assert "members" not in groups["old-girls"] and groups["old-girls"]["also_en"] == ["OG"]
    unit = parsed["unit"][0]
    assert unit["group"] == "blackpink" and [m["id"] for m in unit["members"]] == ["extra"]
    out = tmp_path / "girls.toml"
    out.write_text(text, encoding="utf-8")
    loaded = load_glossary([out], builtin=False)
    assert loaded.by_id["pink-unit.extra"].group == "pink-unit"
