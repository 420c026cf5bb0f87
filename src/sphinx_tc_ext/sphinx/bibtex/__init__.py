"""Working with sphinxcontrib-bibtex on the same bib: citations to cards, the cited-entries bib, its cache."""
