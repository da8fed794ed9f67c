"""What the translation tests share: settings for the loopback servers, a fake glossary, Korean transcripts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamkit.models import Transcript, Utterance, Word
from streamkit.translation.adapters import LibreEngine
from streamkit.translation.names import NameGlossary, protect_names
from streamkit.translation.options import TranslatorSettings

from ..libre_server import LibreServer


def fast(server: LibreServer | None, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """Settings for tests (the ``[translator]`` table as TOML gives it): the local server, a private cache,
    short timeouts, tiny backoff."""
    base: dict[str, Any] = {"cache_path": str(tmp_path / "translations.sqlite"), "timeout": 0.3, "retries": 3,
                            "backoff": 0.001, "backoff_max": 0.005}  # fmt: skip
    if server is not None:
        base["url"] = server.url
    return {**base, **extra}


def typed(table: dict[str, Any]) -> TranslatorSettings:
    """The same settings as the typed object an :class:`EngineContext` carries."""
    return TranslatorSettings.from_table(table)


def libre_engine(server: LibreServer, tmp_path: Path, glossary: NameGlossary | None = None,
                 **extra: Any) -> LibreEngine:
    return LibreEngine(settings=fast(server, tmp_path, **extra), glossary=glossary)


@dataclass(frozen=True)
class Entry:
    english: str
    korean: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    text: str
    entry: Entry


class FakeGlossary:
    """The two methods of streamkit.glossary.Glossary that translation uses."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries

    def find_korean(self, text: str) -> list[Match]:
        forms = sorted(((k, e) for e in self.entries for k in e.korean), key=lambda ke: -len(ke[0]))
        taken = [False] * len(text)
        found: list[Match] = []
        for form, entry in forms:
            for m in re.finditer(re.escape(form), text):
                if not any(taken[m.start() : m.end()]):
                    taken[m.start() : m.end()] = [True] * (m.end() - m.start())
                    found.append(Match(m.start(), m.end(), form, entry))
        return sorted(found, key=lambda m: m.start)

    def enforce_english_for(self, english: str, korean_source: str) -> str:
        for entry in self.entries:
            if any(k in korean_source for k in entry.korean):
                for alias in entry.aliases:
                    english = re.sub(rf"(?<![A-Za-z]){re.escape(alias)}(?![A-Za-z])", entry.english, english,
                                     flags=re.IGNORECASE)
        return english


GLOSSARY = FakeGlossary([
    Entry("BTS", ("방탄소년단", "방탄"), ("Bulletproof Boy Scouts", "Bangtan Boys")),
    Entry("SEVENTEEN", ("세븐틴",)),
    Entry("BLACKPINK", ("블랙핑크",), ("Black Pink",)),
    Entry("NewJeans", ("뉴진스",), ("New Jeans",)),
    Entry("TWICE", ("트와이스",)),
    Entry("IVE", ("아이브",)),
    Entry("aespa", ("에스파",)),
    Entry("Stray Kids", ("스트레이 키즈", "스키즈")),
    Entry("LE SSERAFIM", ("르세라핌",)),
    Entry("Jimin", ("지민",)),
    Entry("Jungkook", ("정국",), ("Jeong-guk", "Jung Kook")),
    Entry("Jennie", ("제니",), ("Jenny",)),
])  # fmt: skip

#: Sentences with names, with particles glued on the way fans write them.
NAME_SENTENCES = [
    "방탄소년단이 신곡을 발표했어요.", "세븐틴 무대 정말 좋았어요.", "블랙핑크랑 같이 노래했어요.",
    "뉴진스 노래 진짜 좋아요.", "트와이스는 오늘 콘서트 해요.", "아이브의 신곡 들었어요?",
    "에스파 팬 여러분 감사합니다.", "지민이 노래 불렀어요.", "정국 생일 축하해요!", "제니 스타일 최고예요.",
    "스트레이 키즈 무대 보고 싶었어요.", "르세라핌이랑 콘서트 했어요.", "방탄소년단 지민이랑 정국이 왔어요.",
    "세븐틴하고 방탄소년단 둘 다 좋아요.", "블랙핑크 제니가 노래했어요.", "오늘 뉴진스랑 아이브가 나와요.",
    "트와이스 에스파 르세라핌 다 봤어요.", "우리 방탄 사랑해요.", "스키즈 신곡 언제 나와요?",
    "세븐틴의 무대는 언제나 최고예요.",
]  # fmt: skip
NAME_COUNT = sum(len(protect_names(t, GLOSSARY).names) for t in NAME_SENTENCES)


def words(*items: tuple[str, int, int]) -> tuple[Word, ...]:
    return tuple(Word(a, b, t) for t, a, b in items)


def utterance(*items: tuple[str, int, int]) -> Utterance:
    ws = words(*items)
    return Utterance(ws[0].start_ms, ws[-1].end_ms, " ".join(w.text for w in ws), ws)


def korean_transcript() -> Transcript:
    """Decoded segments with word timings: sentences split across segments, pauses, names."""
    script = [
        ["안녕하세요", "여러분!"], ["오늘은", "방탄소년단", "신곡", "무대를"], ["같이", "볼", "거예요."],
        ["정말", "보고", "싶었어요."], ["지민이랑", "정국이", "노래", "불렀는데"], ["진짜", "좋았어요."],
        ["내일", "콘서트에서", "만나요."], ["감사합니다."],
    ]  # fmt: skip
    utterances = []
    t = 500
    for i, seg in enumerate(script):
        items = []
        for w in seg:
            length = 120 * len(w) + 150
            items.append((w, t, t + length))
            t += length + 80
        utterances.append(utterance(*items))
        t += 1700 if i in (3, 6) else 300
    return Transcript("ko", tuple(utterances), t + 1000)
