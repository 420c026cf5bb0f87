extensions = ["myst_parser", "sphinx_tc_ext"]
project = "test-news"
tc_bib_file = "refs/survey.bib"
tc_taxonomy_file = "refs/taxonomy.toml"
tc_papers_page = "papers"
nitpicky = True
exclude_patterns = ["_build"]
