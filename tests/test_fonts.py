"""Burn-in fonts per script (streamkit/fonts.py): each target's font covers its text; one real burn-in in Arabic."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from streamkit.fonts import FONTS, font_for, font_path
from streamkit.languages import LANGUAGES

from .libre_server import VOCABULARY

#: A sentence per language with the letters that most often go missing (Vietnamese and Turkish marks,
#: Arabic forms, Thai vowels and tone marks) and a Latin name.
SAMPLES = {
    "ja": "今日は「BTS」のライブ、本当にありがとう！ッー", "zh-Hans": "今天和BLACKPINK一起，真的很开心。",
    "zh-Hant": "今天和NewJeans一起，真的很開心。", "th": "วันนี้ BTS มาคอนเสิร์ต ขอบคุณทุกคนมากครับ ๆ",
    "ar": "شكرا لكم جميعا على الحضور اليوم مع BTS؟", "he": "תודה לכולם, היום BTS על הבמה!",
    "ru": "Спасибо всем, сегодня BTS на сцене! Ёё", "vi": "Cảm ơn mọi người, hôm nay BLACKPINK trên sân khấu! ữậ",
    "tr": "Teşekkürler herkese, bugün BTS sahnede! ğİı", "de": "Danke, heute BTS auf der Bühne! ß",
    "fr": "Merci à tous, aujourd'hui BTS sur scène ! œ", "es": "¡Gracias a todos! Hoy BTS en el escenario. ñ",
    "pt": "Obrigado a todos, hoje BTS no palco! ã", "id": "Terima kasih semua, hari ini BTS!",
    "tl": "Salamat sa lahat, ngayon BTS!", "en": "Thank you all, today BTS on stage!", "ko": "오늘 BTS 무대 감사합니다",
}


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_each_language_font_has_every_glyph(code: str) -> None:
    font = font_for(code)
    cmap = TTFont(str(font_path(font)), lazy=True)["cmap"].getBestCmap()
    text = SAMPLES[code] + "".join(VOCABULARY.get(code, ()))
    missing = sorted({ch for ch in text if not ch.isspace() and ord(ch) not in cmap})
    assert missing == [], f"{font.family} lacks {missing}"


def test_fonts_per_script() -> None:
    assert font_for("en") is FONTS["hangul"] and font_for("ko") is FONTS["hangul"]  # English as before
    assert font_for("ja").family == "Noto Sans JP" and font_for("zh-Hant").family == "Noto Sans TC"
    assert font_for("th").family == "Noto Sans Thai" and font_for("ar").family == "Noto Sans Arabic"
    assert font_for("ru").family == "Noto Sans" and font_for("pt-BR").family == "Noto Sans"
    assert {LANGUAGES[c].script for c in LANGUAGES} <= set(FONTS)


@pytest.mark.slow
def test_arabic_is_burned_in_shaped(tmp_path: Path) -> None:
    """Real ffmpeg + libass (HarfBuzz, FriBidi) with the staged Noto Sans Arabic: the picture changes."""
    import av

    from streamkit.media import probe
    from streamkit.models import SubtitleFile
    from streamkit.mux import burn_in

    from .conftest import SHORT

    srt = tmp_path / "clip.ar.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:03,000\n" + SAMPLES["ar"] + "\n", encoding="utf-8")
    result = burn_in(probe(SHORT), SubtitleFile(srt, "ar", "srt", 1), tmp_path / "clip.burned-ar.mp4")
    assert result.burned_in == "ar"
    with av.open(str(result.path)) as burned, av.open(str(SHORT)) as plain:
        a = next(burned.decode(video=0)).to_ndarray(format="gray")
        b = next(plain.decode(video=0)).to_ndarray(format="gray")
    bottom = slice(a.shape[0] * 3 // 4, a.shape[0])
    assert abs(a[bottom].astype(int) - b[bottom].astype(int)).mean() > 1.0  # text drawn at the bottom
