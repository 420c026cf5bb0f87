"""``tc-survey``: the command line for contributors and maintainers of a survey bib.

Each feature module registers its own subcommands through a ``register(subparsers)``
function listed in :data:`COMMAND_MODULES`, so this file stays a thin dispatcher.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sphinx_tc_ext._version import __version__
from sphinx_tc_ext.core.problems import InputError

#: Modules that provide subcommands; each has ``register(subparsers) -> None`` and
#: sets ``func`` on its parsers (``func(args) -> int`` returns the exit code).
COMMAND_MODULES: tuple[str, ...] = (
    "sphinx_tc_ext.cli.awesome",
    "sphinx_tc_ext.cli.check",
    "sphinx_tc_ext.cli.fmt",
    "sphinx_tc_ext.cli.new",
    "sphinx_tc_ext.cli.enrich",
    "sphinx_tc_ext.cli.export",
    "sphinx_tc_ext.cli.init",
    "sphinx_tc_ext.cli.preview",
)


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
