"""The core: the bib model, its reader and writer, entry rules, selection. Imports neither Sphinx nor docutils."""
