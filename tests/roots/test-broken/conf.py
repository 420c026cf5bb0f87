extensions = ["sphinx_tc_ext"]
project = "broken"
tc_bib_file = "refs/broken.bib"
exclude_patterns = ["_build"]
