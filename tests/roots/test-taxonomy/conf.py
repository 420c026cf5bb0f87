extensions = ["sphinx_tc_ext"]
project = "test-taxonomy"
exclude_patterns = ["_build"]
