"""Name protection (streamkit/translation/names.py): official forms kept through translation.

Real HTTP against tests/libre_server.py on 127.0.0.1 (``LibreTranslator`` pointed at it with its own
``custom_url``; the other services' adapters by their base URL set by name, e.g. ``deepl_url``).
Nothing is mocked below ``requests``.
"""

from __future__ import annotations

from pathlib import Path

from streamkit.translation.adapters import LibreEngine
from streamkit.translation.names import ProtectedText, names_kept, protect_names, restore_names
from streamkit.translation.textengine import TextEngine

from ..libre_server import LibreServer
from .helpers import GLOSSARY, NAME_COUNT, NAME_SENTENCES, Entry, fast

# --------------------------------------------------------------------------- names


def survival(engine: TextEngine, texts: list[str]) -> tuple[list[str], float]:
    english = engine.translate_texts(texts)
    expected = [protect_names(t, GLOSSARY).names for t in texts]
    kept = sum(names_kept(e, n) for e, n in zip(english, expected, strict=True))
    return english, kept / sum(len(n) for n in expected)


def test_names_come_out_in_their_official_form(tmp_path: Path) -> None:
    with LibreServer(mangle_latin=True) as server:
        engine = LibreEngine(settings=fast(server, tmp_path), glossary=GLOSSARY)
        english, rate = survival(engine, NAME_SENTENCES)
    assert rate == 1.0, english
    assert engine.stats.names == engine.stats.names_kept == NAME_COUNT
    joined = " ".join(english)
    for wrong in ("Bulletproof", "Black Pink", "seventeen", "New Jeans", "Jenny", "Jeong-guk"):
        assert wrong not in joined


def test_name_survival_is_measured_against_a_mangling_engine(tmp_path: Path) -> None:
    """The numbers docs/translation.md reports (printed with -s)."""
    with LibreServer(mangle_latin=True) as server:
        raw = LibreEngine(settings=fast(server, tmp_path, cache=False))
        raw_english, raw_rate = survival(raw, NAME_SENTENCES)
    aliases_only = [restore_names(e, ProtectedText(t, t), GLOSSARY) for e, t in zip(raw_english, NAME_SENTENCES,
                                                                                    strict=True)]
    expected = [protect_names(t, GLOSSARY).names for t in NAME_SENTENCES]
    alias_rate = sum(names_kept(e, n) for e, n in zip(aliases_only, expected, strict=True)) / NAME_COUNT
    with LibreServer(mangle_latin=True, drop_name_every=5) as hostile:
        lossy = LibreEngine(settings=fast(hostile, tmp_path, cache=False), glossary=GLOSSARY)
        _, hostile_rate = survival(lossy, NAME_SENTENCES)
    print(f"\nname survival, {len(NAME_SENTENCES)} sentences / {NAME_COUNT} names: no protection {raw_rate:.0%}, "
          f"glossary aliases only {alias_rate:.0%}, full protection 100%, "
          f"full protection vs. an engine dropping every 5th name {hostile_rate:.0%}")
    assert raw_rate < 0.5 and alias_rate < 1.0
    assert 0.75 <= hostile_rate < 1.0


def glossary_toml(entries: list[Entry]) -> str:
    """The fake glossary's entries in streamkit.glossary's TOML format."""

    def array(items: tuple[str, ...]) -> str:
        return "[" + ", ".join(f'"{x}"' for x in items) + "]"

    blocks = []
    for i, e in enumerate(entries):
        lines = ["[[name]]", f'id = "n{i}"', f'english = "{e.english}"', f"korean = {array(e.korean[:1])}"]
        if e.korean[1:]:
            lines.append(f"nicknames_ko = {array(e.korean[1:])}")
        if e.aliases:
            lines.append(f"aliases_en = {array(e.aliases)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def test_names_survive_with_the_real_glossary_module(tmp_path: Path) -> None:
    from streamkit.glossary import load_glossary

    path = tmp_path / "names.toml"
    path.write_text(glossary_toml(GLOSSARY.entries), encoding="utf-8")
    real = load_glossary([path], builtin=False)
    with LibreServer(mangle_latin=True) as server:
        engine = LibreEngine(settings=fast(server, tmp_path), glossary=real)
        english = engine.translate_texts(NAME_SENTENCES)
    assert engine.stats.names == engine.stats.names_kept == NAME_COUNT, english


def test_restore_repairs_case_and_spacing_but_only_what_is_missing() -> None:
    p = protect_names("트와이스가 두 번 불렀어요", GLOSSARY)
    assert p.text == "TWICE가 두 번 불렀어요" and p.names == ("TWICE",)
    assert restore_names("twice sang it twice", p, GLOSSARY) == "TWICE sang it twice"
    assert restore_names("TWICE sang it twice", p, GLOSSARY) == "TWICE sang it twice"
    q = protect_names("방탄소년단의 노래", GLOSSARY)
    assert restore_names("B T S 's song", q, GLOSSARY) == "BTS's song"
    assert restore_names("Bulletproof Boy Scouts song", q, GLOSSARY) == "BTS song"


def test_names_glued_to_hangul_get_a_space() -> None:
    assert protect_names("우리방탄소년단", GLOSSARY).text == "우리 BTS"
