extensions = ["sphinx_tc_ext"]
project = "A made-up survey of robot cooking"
tc_bib_file = "data/kitchen.bib"
tc_taxonomy_file = "data/kitchen-taxonomy.toml"
nitpicky = True
exclude_patterns = ["_build"]
