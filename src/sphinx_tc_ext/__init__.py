"""sphinx-tc-ext: a survey's BibTeX file and taxonomy as a filterable, cross-linked paper site."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension; each concern lives in its own module."""
    from . import (
        assets,
        citations,
        citebib,
        citecache,
        clidoc,
        config,
        directive,
        domain,
        feed,
        heap,
        matrix,
        reference,
        render,
        stats,
        tracking,
    )

    config.setup(app)
    domain.setup(app)
    directive.setup(app)
    render.setup(app)
    tracking.setup(app)
    citations.setup(app)
    citebib.setup(app)
    citecache.setup(app)
    matrix.setup(app)
    stats.setup(app)
    feed.setup(app)
    reference.setup(app)
    clidoc.setup(app)
    assets.setup(app)
    heap.setup(app)
    return {
        "version": __version__,
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
