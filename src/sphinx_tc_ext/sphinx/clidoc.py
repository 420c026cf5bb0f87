"""``tc-cli-reference``: the ``tc-survey`` command line reference, generated from its argument parser.

The directive renders the help of :func:`sphinx_tc_ext.cli.build_parser` and then,
for every subcommand, a section (``tc-survey NAME``, anchor ``cli-NAME``) with the
subcommand's one-line summary and its full ``--help`` as a literal block.  The
documentation therefore shows exactly what ``tc-survey NAME --help`` prints, and a
new subcommand or flag appears without editing a page.

Usage (MyST)::

    ```{tc-cli-reference}
    ```

Options: ``:width:`` (columns of the help text, default 88).
"""

from __future__ import annotations

import argparse
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

DEFAULT_WIDTH = 88


def _fixed_width(parser: argparse.ArgumentParser, width: int) -> None:
    """Format help at a fixed width, whatever the terminal of the build is."""
    cls = parser.formatter_class
    parser.formatter_class = lambda prog, cls=cls: cls(prog, width=width, max_help_position=min(30, width // 3))


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """``[(name, one-line help, parser)]`` of every subcommand, in registration order."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                found.append((name, helps.get(name, ""), sub))
    return found


def help_text(parser: argparse.ArgumentParser, width: int = DEFAULT_WIDTH) -> str:
    _fixed_width(parser, width)
    return parser.format_help().rstrip() + "\n"


class CliReferenceDirective(SphinxDirective):
    has_content = False
    option_spec = {"width": directives.positive_int}

    def run(self) -> list[nodes.Node]:
        from sphinx_tc_ext.cli import build_parser

        width = self.options.get("width", DEFAULT_WIDTH)
        parser = build_parser()
        text = help_text(parser, width)
        result: list[nodes.Node] = [nodes.literal_block(text, text, language="text", classes=["tc-cli-help"])]
        for name, summary, sub in subcommands(parser):
            anchor = nodes.make_id(f"cli-{name}")
            section = nodes.section(ids=[anchor], names=[anchor])
            title = f"{parser.prog} {name}"
            section += nodes.title(title, "", nodes.literal(title, title))
            if summary:
                section += nodes.paragraph(summary, summary[:1].upper() + summary[1:] + ".")
            sub_text = help_text(sub, width)
            section += nodes.literal_block(sub_text, sub_text, language="text", classes=["tc-cli-help"])
            self.state.document.note_implicit_target(section, section)
            result.append(section)
        return result


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("tc-cli-reference", CliReferenceDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
