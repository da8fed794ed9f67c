"""The live pages: the OBS overlay (``/overlay``) and the moderators' captions page (``/``).

``app.py`` builds the Starlette app around a :class:`LiveBoard` (the broker the live run publishes
to, plus a snapshot of the history for pages that open late); ``static/`` holds the pages (plain
HTML, CSS and JavaScript, no build step, nothing from a CDN).
"""

from __future__ import annotations

from .app import LiveBoard, create_app

__all__ = ["LiveBoard", "create_app"]
