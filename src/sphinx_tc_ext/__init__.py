"""sphinx-tc-ext: a survey's BibTeX file and taxonomy as a filterable, cross-linked paper site.

The package is in layers, each importing only the ones below it:

- ``core``: the bib model, its reader and writer, entry rules, selection (no Sphinx, no docutils);
- ``cache``: atomic files, the parse and card caches, the heap shim;
- ``awesome``: awesome lists (Markdown badge tables) to and from the bib;
- ``cli``: the ``tc-survey`` commands;
- ``sphinx``: the extension: configuration, nodes, domain, directives, rendering, build wiring.

:func:`setup` below is the one place where the extension meets Sphinx: every
configuration value, node, directive, role and event handler is in its tables, in the
order Sphinx runs them (handlers of one event run by priority, then in table order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sphinx_tc_ext._version import __version__

if TYPE_CHECKING:
    from sphinx.application import Sphinx

__all__ = ["__version__", "setup"]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension: configuration, nodes, domain, directives, roles, then the pipeline."""
    from sphinx.util.docutils import is_directive_registered

    from sphinx_tc_ext.cache import heap
    from sphinx_tc_ext.sphinx import (
        assets,
        cards,
        clidoc,
        config,
        directive,
        domain,
        feed,
        html,
        matrix,
        news,
        nodes,
        reference,
        stats,
        tracking,
    )
    from sphinx_tc_ext.sphinx.bibtex import citations, citebib, citecache, plugins

    config_values = [  # name, default, what a change rebuilds, types
        ("tc_bib_file", "refs/survey.bib", "env", [str]),
        ("tc_taxonomy_file", "refs/taxonomy.toml", "env", [str]),
        ("tc_papers_page", "", "env", [str]),
        ("tc_authors_shown", 6, "env", [int]),
        ("tc_default_sort", "-date, title", "env", [str]),
        ("tc_show_bibtex", True, "env", [bool]),
        ("tc_coins", True, "env", [bool]),
        ("tc_recent_date", "", "env", [str]),
        ("tc_backlinks_exclude", [], "env", [list, tuple]),
        ("tc_bibtex_subset", True, "env", [bool]),
        ("tc_keep_citations", True, "html", [bool]),
        ("tc_feed", True, "html", [bool]),
        ("tc_feed_title", "", "html", [str]),
        ("tc_feed_limit", 50, "html", [int]),
        ("tc_assets_on_every_page", False, "html", [bool]),
        ("tc_parallel_parse_minimum", 400, "", [int]),  # speed only: changes no output
    ]
    node_classes = [  # node class, HTML visitors (other builders never meet these nodes: they are replaced)
        (nodes.paper_table, None),
        (nodes.tc_element, (html.visit_tc_element, html.depart_tc_element)),
        (nodes.tc_cards, (cards.visit_tc_cards, None)),
        (nodes.tc_list, (cards.visit_tc_list, None)),
        (nodes.tc_bibtex, None),
        (nodes.tc_matrix, None),
        (nodes.tc_stats, None),
        (nodes.tc_news, None),
        (nodes.tc_news_items, (news.visit_tc_news_items, None)),
        (nodes.tc_last_updated, None),
    ]
    directives = {
        "paper-table": directive.PaperTableDirective,
        "tc-bibtex": citations.BibtexDirective,
        "tc-matrix": matrix.MatrixDirective,
        "tc-stats": stats.StatsDirective,
        "tc-whats-new": news.WhatsNewDirective,
        **reference.DIRECTIVES,
        "tc-cli-reference": clidoc.CliReferenceDirective,
    }
    events = [  # event, handler, priority (Sphinx's default is 500)
        ("config-inited", heap.unfreeze, 0),  # the heap a previous build in this process froze
        ("config-inited", config.remember_cache_dir, 500),
        ("config-inited", config.validate_config, 500),
        ("config-inited", citecache.install, 500),
        ("config-inited", plugins.remember_pybtex_plugins, 500),
        ("builder-inited", citebib.swap_in_generated_bib, citebib.BEFORE_BIBTEX),  # sphinxcontrib-bibtex: 500
        ("builder-inited", cards.defer_cards, 500),
        ("builder-inited", assets.add_static_path, 500),
        ("builder-inited", assets.cache_compiled_templates, 500),
        ("builder-inited", citebib.restore_bibtex_bibfiles, citebib.AFTER_BIBTEX),
        ("env-get-outdated", tracking.outdated_by_bib, 500),
        ("env-get-outdated", tracking.note_outdated, 1000),  # after every handler that adds pages to read
        ("env-before-read-docs", config.preload, 500),  # parse the bib before workers fork ...
        ("env-before-read-docs", heap.freeze, 900),  # ... then freeze it
        ("doctree-read", tracking.record_mentions, 500),
        ("env-get-updated", tracking.rewrite_dependents, 500),
        ("env-updated", domain.add_paper_labels, 500),
        ("write-started", tracking.no_parents_without_reads, 500),
        ("write-started", heap.freeze, 900),
        ("doctree-resolved", tracking.restore_parents, 0),
        ("doctree-resolved", cards.render_paper_tables, 500),
        ("doctree-resolved", citations.citations_to_cards, 500),
        ("doctree-resolved", citations.fill_bibtex_blocks, 500),
        ("doctree-resolved", citebib.unlink_unsafe_citations, 500),
        ("doctree-resolved", matrix.render_matrices, 500),
        ("doctree-resolved", stats.render_stats, 500),
        ("doctree-resolved", feed.fix_feed_links, 500),
        ("doctree-resolved", news.render_news, 500),
        ("html-page-context", cards.insert_cards, 0),  # after Sphinx's debug repr of the context
        ("html-page-context", feed.feed_link, 500),
        ("html-page-context", assets.page_assets, 500),
        ("build-finished", tracking.restore_parents, 0),
        ("build-finished", tracking.save_signatures, 500),
        ("build-finished", feed.write_feed, 500),
    ]

    for name, default, rebuild, types in config_values:
        app.add_config_value(name, default, rebuild, types=types)
    for node, visitors in node_classes:
        if visitors is None:
            app.add_node(node)
        else:
            app.add_node(node, html=visitors)
    app.add_domain(domain.TCDomain)
    for name, directive_class in directives.items():
        if not is_directive_registered(name):  # reference and clidoc may also be loaded on their own
            app.add_directive(name, directive_class)
    app.add_role("tc-feed", feed.feed_role)
    app.add_role("tc-last-updated", news.last_updated_role)
    for event, handler, priority in events:
        app.connect(event, handler, priority=priority)
    return {
        "version": __version__,
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
