"""What makes builds fast and writes safe: atomic files, the parse and card caches, the heap shim."""
