"""The ``platforms`` fixture (local servers speaking the YouTube, Twitch and X APIs) for every test here."""

from .fakes import platforms  # noqa: F401  (the fixture)
