"""What every ``tc-survey`` command shares: argument types, the ``-o`` checks, reading the taxonomy and the bib.

A command checks its ``-o`` and its taxonomy before it reads the bib, so a wrong path fails
fast; every failure is an :class:`InputError` (``file:line: message``) that
:func:`sphinx_tc_ext.cli.main` prints, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
from pathlib import Path

from sphinx_tc_ext.cache.parse_cache import load_bibliography
from sphinx_tc_ext.core.model import Bibliography
from sphinx_tc_ext.core.problems import InputError, Problem
from sphinx_tc_ext.core.taxonomy import Taxonomy, load_taxonomy

DEFAULT_BIB = "refs/survey.bib"
DEFAULT_TAXONOMY = "refs/taxonomy.toml"


def iso_date(value: str) -> str:
    """An argparse type: a real ``YYYY-MM-DD`` date (what the bib's ``added`` field holds)."""
    return _date(value, r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD")


def year_month(value: str) -> str:
    """An argparse type: ``YYYY-MM`` or ``YYYY-MM-DD``, a real month or day."""
    return _date(value, r"\d{4}-\d{2}(-\d{2})?", "YYYY-MM or YYYY-MM-DD")


def _date(value: str, pattern: str, form: str) -> str:
    if re.fullmatch(pattern, value):
        try:
            datetime.date.fromisoformat(value if len(value) == 10 else f"{value}-01")
            return value
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"{value!r} is not a date; write {form}, e.g. 2025-08-14")


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not re.fullmatch(r"\s*\+?\d+\s*", value) or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return int(value)


def output_file(value: str, example: str) -> Path:
    """The file a command writes, its folder created; :class:`InputError` when a folder or a file is in the way."""
    path = Path(value)
    if path.is_dir():
        raise InputError([Problem(value, 1, "io", f"-o names a folder, not a file; give a file name such as "
                                  f"{path / example}")], exit_code=1)
    _make_folder(path.parent, value)
    return path


def output_folder(value: str) -> Path:
    """The folder a command writes files into, created; :class:`InputError` when a file is in the way."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise InputError([Problem(value, 1, "io", "-o names a file, but this command writes a folder of files; "
                                  "give a folder (it is created when missing)")], exit_code=1)
    _make_folder(path, value)
    return path


def _make_folder(folder: Path, value: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder should be, no permission...
        reason = "a file is in the way" if isinstance(exc, (FileExistsError, NotADirectoryError)) else exc.strerror
        raise InputError([Problem(value, 1, "io", f"cannot create the folder {str(folder)!r} ({reason}); "
                                  "give another path")], exit_code=1) from None


def optional_taxonomy(path: str, explicit: bool) -> Taxonomy | None:
    """The taxonomy, or ``None`` when the default file does not exist (commands that work without one)."""
    if not explicit and not Path(path).is_file():
        return None
    return load_taxonomy(path)


def load_for_command(bib_path: str | os.PathLike, taxonomy: Taxonomy) -> Bibliography | None:
    """A command line's read of a bib: problems printed to stderr; None when nothing is usable."""
    bib = load_bibliography(bib_path, taxonomy)
    for problem in bib.problems:
        print(problem, file=sys.stderr)
    return None if not bib.papers and bib.problems else bib
