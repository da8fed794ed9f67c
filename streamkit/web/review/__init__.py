"""``streamkit review``: the editor's page, the video and every track side by side, checked as you type.

The page (``static/``: plain HTML, CSS and JavaScript, no build step) holds the edits and the
undo history; the server is the core behind it. One concern per module:

| module | what |
|---|---|
| ``session.py`` | ``ReviewSession``: finds the tracks, checks, fixes, re-translates, saves (409 when stale), muxes |
| ``cues.py`` | the page's cues at the JSON boundary (validated), ``RequestError``, ``StaleFileError`` |
| ``voice.py`` | voiced stretches with no cue: speech found once (Silero VAD), ``uncovered`` (pure) |
| ``app.py`` | the Starlette app: the page, the video with Range, the JSON API, SSE for speech and mux |
"""

from __future__ import annotations

from .app import check_in_background, create_app
from .cues import EditCue, RequestError, StaleFileError
from .session import ReviewOptions, ReviewSession, find_tracks, open_review

__all__ = [
    "EditCue",
    "RequestError",
    "ReviewOptions",
    "ReviewSession",
    "StaleFileError",
    "check_in_background",
    "create_app",
    "find_tracks",
    "open_review",
]
