"""The version, in one place: the package, its metadata, ``tc-survey --version`` and Sphinx read it here."""

__version__ = "0.1.0"
