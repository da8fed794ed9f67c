"""faster-whisper's ``WhisperModel`` as streamkit loads it: word alignment that survives an empty alignment, and on
the CPU aligns a batch a few items at a time (peak memory)."""

from __future__ import annotations

import functools
import logging
from typing import Any

__all__ = ["ALIGN_BATCH", "whisper_model_class"]

log = logging.getLogger("streamkit")

#: Items of a batch aligned to their words at once on the CPU (:func:`whisper_model_class`).
ALIGN_BATCH = 2


@functools.cache
def whisper_model_class() -> type:
    """faster-whisper's ``WhisperModel`` whose word alignment survives an empty alignment.

    CTranslate2 returns no alignment for a segment Whisper wrote past the audio it was given (an encoder
    window of one frame or so), and faster-whisper 1.2.1 then fails with an ``IndexError`` in
    ``find_alignment`` (SYSTRAN/faster-whisper#1460, not released): ``streamkit live`` stopped with a traceback
    on conv-102 20 dB quieter, 2.3 s in (a 1.7 s window). Such an alignment gives no words, as the fix upstream
    does: the batch's segments keep their text and times without word timestamps.

    On the CPU a batch is aligned ``ALIGN_BATCH`` items at a time: faster-whisper aligns it whole, holding every item's
    cross-attention at once, and that was the peak of a run (docs/benchmarks.md, forty-second pass). An item's
    alignment does not depend on the others in its batch."""
    from faster_whisper import WhisperModel

    class AlignedWhisperModel(WhisperModel):  # type: ignore[misc]
        def find_alignment(self, tokenizer: Any, text_tokens: list[list[int]], encoder_output: Any,
                           num_frames: Any, median_filter_width: int = 7) -> list[list[dict[str, Any]]]:
            if isinstance(num_frames, list) and len(text_tokens) > ALIGN_BATCH and encoder_output.device == "cpu":
                import ctranslate2
                import numpy as np

                # A batch's alignment at once held every item's cross-attention over 1500 frames (conv-109: bare
                # batched faster-whisper peaks at 900 MB with word timestamps, 782 MB without); by parts, less.
                frames = np.asarray(encoder_output)
                found = []
                for i in range(0, len(text_tokens), ALIGN_BATCH):
                    part = ctranslate2.StorageView.from_array(np.ascontiguousarray(frames[i : i + ALIGN_BATCH]))
                    found += self._aligned(tokenizer, text_tokens[i : i + ALIGN_BATCH], part,
                                           num_frames[i : i + ALIGN_BATCH], median_filter_width)
                return found
            return self._aligned(tokenizer, text_tokens, encoder_output, num_frames, median_filter_width)

        def _aligned(self, tokenizer: Any, text_tokens: list[list[int]], encoder_output: Any, num_frames: Any,
                     median_filter_width: int) -> list[list[dict[str, Any]]]:
            try:
                found: list[list[dict[str, Any]]] = super().find_alignment(
                    tokenizer, text_tokens, encoder_output, num_frames, median_filter_width)
            except IndexError:
                log.debug("word alignment: an empty alignment (faster-whisper#1460); no word timestamps here")
                return [[] for _ in text_tokens]
            return found

    return AlignedWhisperModel
