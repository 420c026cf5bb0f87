"""The on-disk card cache: each page's card markup from the last build, by card key.

A card's markup depends on the paper, its id and section on the page, its canonical
page and backlinks (the card key, built by the caller), and on page-wide inputs (the
page, the builder, the taxonomy, the options: the caller's stamp inputs) and on the code
that shapes output (:func:`~sphinx_tc_ext.cache.digest.code_digest`, saved with the cards).
Editing one entry then rebuilds a page of 5,000 cards from 4,999 cached ones.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Hashable
from pathlib import Path

from sphinx_tc_ext.cache import heap
from sphinx_tc_ext.cache.atomic import write_cache_file
from sphinx_tc_ext.cache.digest import code_digest, raw_digest

#: The cache's folder in Sphinx's doctree folder: one file per builder and page.
CARD_CACHE_DIR = "tc-cards"


def card_cache_path(doctreedir: str | os.PathLike, builder_name: str, docname: str) -> Path:
    return Path(doctreedir, CARD_CACHE_DIR, builder_name, docname + ".pickle")


def read_card_file(path: Path) -> dict:
    """What a page's cache file holds (``code``, ``stamp``, ``cards``); empty if missing or damaged."""
    try:
        with path.open("rb") as f, heap.paused():
            saved = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError, TypeError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


class CardCache:
    """The cards of one page being written, and the cards it showed last time (when the stamp matches)."""

    def __init__(self, path: Path, stamp_inputs: tuple) -> None:
        self.path = path
        self.stamp = raw_digest(repr(stamp_inputs))
        self.code = code_digest()
        saved = read_card_file(path)
        old = saved.get("cards") if saved.get("code") == self.code and saved.get("stamp") == self.stamp else None
        self.old: dict[Hashable, str] = old if isinstance(old, dict) else {}
        self.new: dict[Hashable, str] = {}
        self.built = 0  # cards not found in the old file

    def cached(self, key: Hashable, build: Callable[[], str], counts: bool = True) -> str:
        """The markup saved under ``key``, or ``build()``'s; kept for the next build either way.

        ``counts=False``: markup cheap enough to build again that missing it is no reason to
        rewrite the file (:meth:`save`), such as a card's repeats, which an edit also misses.
        """
        markup = self.old.get(key)
        if markup is None:
            markup = build()
            self.built += counts
        self.new[key] = markup
        return markup

    def save(self) -> None:
        """Written atomically (a killed build leaves the old file or the new), and only when worth it.

        After an edit of a few entries the old file still serves all but those few cards:
        rewriting megabytes for them would cost more than building them again next time,
        so the file is kept until 2% of the page's cards are missing from it or it holds
        twice as many cards as the page shows.
        """
        if self.new == self.old:
            return
        if self.old and self.built * 50 <= len(self.new) and len(self.old) <= 2 * len(self.new):
            return
        write_cache_file(self.path, {"code": self.code, "stamp": self.stamp, "cards": self.new})
