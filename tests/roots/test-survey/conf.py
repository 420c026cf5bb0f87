import os

extensions = ["myst_parser", "sphinxcontrib.bibtex", "sphinx_tc_ext"]
project = "test-survey"
tc_bib_file = "refs/survey.bib"
tc_taxonomy_file = os.environ.get("TC_TEST_TAXONOMY", "refs/taxonomy.toml")
tc_papers_page = "papers"
bibtex_bibfiles = ["refs/survey.bib"]
nitpicky = True
exclude_patterns = ["_build"]
