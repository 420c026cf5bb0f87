"""``tc-survey``: the command line for contributors and maintainers of a survey bib.

Each feature module registers its own subcommands through a ``register(subparsers)``
function listed in :data:`COMMAND_MODULES`, so this file stays a thin dispatcher.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx_tc_ext._version import __version__
from sphinx_tc_ext.core.problems import InputError, Problem

if TYPE_CHECKING:
    from sphinx_tc_ext.core.model import Bibliography
    from sphinx_tc_ext.core.taxonomy import Taxonomy

#: Modules that provide subcommands; each has ``register(subparsers) -> None`` and
#: sets ``func`` on its parsers (``func(args) -> int`` returns the exit code).
COMMAND_MODULES: tuple[str, ...] = (
    "sphinx_tc_ext.awesome.convert",
    "sphinx_tc_ext.core.lint",
    "sphinx_tc_ext.core.bibsyntax",
    "sphinx_tc_ext.cli.new",
    "sphinx_tc_ext.core.export",
    "sphinx_tc_ext.cli.init",
)


# -- argument types and checks shared by the commands ------------------------------------------------

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


def load_for_command(bib_path: str | os.PathLike, taxonomy: Taxonomy) -> Bibliography | None:
    """A command line's read of a bib: problems printed to stderr; None when nothing is usable."""
    from sphinx_tc_ext.cache.parse_cache import load_bibliography

    bib = load_bibliography(bib_path, taxonomy)
    for problem in bib.problems:
        print(problem, file=sys.stderr)
    return None if not bib.papers and bib.problems else bib


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tc-survey",
        description="Validate, format, import and export a survey's BibTeX file.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as exc:  # an unreadable taxonomy or input file: say where, never a traceback
        return exc.report()
    except UnicodeDecodeError as exc:  # last resort: commands check their files first, with the line
        print(f"tc-survey {args.command}: an input file is not UTF-8 ({exc.reason} at byte {exc.start}); "
              "re-save it as UTF-8", file=sys.stderr)
        return 2
    except OSError as exc:  # last resort: a file that vanished or is unreadable between the checks and the use
        where = f"{exc.filename}:1: " if exc.filename else f"tc-survey {args.command}: "
        print(f"{where}{exc.strerror or exc}; check the path and its permissions", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
