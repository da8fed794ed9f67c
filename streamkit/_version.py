"""streamkit's version, in its own module so any module can name it without importing the package's API."""

__version__ = "0.1.0"
