"""LaTeX in bib fields (braces, ``\\&``, accents, ``$math$``) to plain unicode text."""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

import latexcodec  # noqa: F401  (registers the "ulatex" codec)

# Formatting commands whose argument is kept and the command dropped.
_WRAPPERS = re.compile(r"\\(?:text(?:bf|it|sc|tt|rm|sf|sl|up|md|normal)|emph|mathrm|mathbf|mathit|mathcal|"
                       r"mathsf|mathtt|mathbb|operatorname|url|href\s*\{[^{}]*\}|textsuperscript|textsubscript|"
                       r"mbox|hbox|ensuremath|uppercase|lowercase|MakeUppercase|MakeLowercase|NoCaseChange)\s*")
# Switches like {\bf x} and any other remaining control word.
_COMMAND = re.compile(r"\\[A-Za-z]+\*?\s*")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def latex_to_text(value: str) -> str:
    """Render a BibTeX field value as the text a reader sees.

    Decoding is cached per distinct string: the same author names and venues
    recur across thousands of entries.
    """
    if not value:
        return ""
    text = value
    if "\\" not in text:  # the common case: dashes and ties need no LaTeX decoder (a third of parse time)
        text = text.replace("---", "\u2014").replace("--", "\u2013").replace("~", " ")
    else:
        try:
            text = codecs.decode(text, "ulatex")
        except (UnicodeDecodeError, ValueError, IndexError, KeyError):
            pass
        text = _WRAPPERS.sub("", text)
        text = _COMMAND.sub("", text)
        text = text.replace("\\", "")
    text = text.replace("{", "").replace("}", "").replace("$", "")
    return _SPACE.sub(" ", text).strip()
