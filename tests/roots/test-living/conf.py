extensions = ["sphinx_tc_ext"]
project = "test-living"
tc_bib_file = "refs/survey.bib"
tc_taxonomy_file = "refs/taxonomy.toml"
tc_papers_page = "index"
nitpicky = True
exclude_patterns = ["_build"]
