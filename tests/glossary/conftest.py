"""The glossary every test here reads: the built-in one, loaded once per module."""

from __future__ import annotations

import pytest

from streamkit.glossary import Glossary, GlossaryMatch, load_glossary


@pytest.fixture(scope="module")
def g() -> Glossary:
    return load_glossary()


def entry_ids(matches: list[GlossaryMatch]) -> list[str]:
    return [m.entry.id for m in matches]
