"""The Sphinx extension: configuration, nodes, the domain, directives, rendering and build wiring."""
