"""Awesome lists (Markdown badge tables) to and from the bib."""
