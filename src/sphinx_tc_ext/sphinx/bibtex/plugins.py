"""Look pybtex's plaintext backend up once per process instead of once per citation.

sphinxcontrib-bibtex resolves every citation reference with
``pybtex.plugin.find_plugin("pybtex.backends", "plaintext")``, and pybtex answers
each call by scanning the entry points of every installed distribution
(``importlib.metadata.entry_points``): 80 citations of the real site spent about a
second of a clean build there, more than the rest of their formatting.

pybtex looks at plugins registered at run time first, so registering the very class
the entry point gives (:func:`pybtex.plugin.register_plugin`, its public API) makes
the later lookups a dictionary access; the class, and so the output, is the same.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.config import Config

#: (group, name) of the plugins sphinxcontrib-bibtex looks up per citation or per entry.
HOT_PLUGINS = (("pybtex.backends", "plaintext"),)


def remember_pybtex_plugins(app: Sphinx, config: Config) -> None:
    """``config-inited``: register the classes the entry points name, once."""
    if "sphinxcontrib.bibtex" not in config.extensions:
        return
    try:
        from pybtex.plugin import PluginNotFound, find_plugin, register_plugin
    except ImportError:  # another pybtex: lookups stay as they are
        return
    for group, name in HOT_PLUGINS:
        try:  # find_plugin gives a class registered at run time first: registering it again changes nothing
            register_plugin(group, name, find_plugin(group, name), force=True)
        except (PluginNotFound, ValueError):
            continue
