"""Synthetic bibs for the benchmarks and the hardening tests.

A bib is grown to N entries by copying real entries (``refs/survey.bib``, or the
test root's seed while that file is missing) under new keys, so every taxonomy
value stays valid and the text looks like the real thing.  Copies get a suffix
on the key and the title so that no two cards are identical.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = (REPO / "refs" / "survey.bib", REPO / "tests" / "roots" / "test-survey" / "refs" / "survey.bib")

_ENTRY_START = re.compile(r"^@[ \t]*([A-Za-z]+)[ \t]*\{[ \t]*([^,\s]+)[ \t]*,", re.MULTILINE)
_TITLE = re.compile(r"^(\s*title\s*=\s*\{)", re.MULTILINE | re.IGNORECASE)


def seed_path() -> Path:
    for path in SEEDS:
        if path.is_file():
            return path
    raise FileNotFoundError("no seed bib: neither refs/survey.bib nor the test root's survey.bib exists")


def split_entries(text: str) -> list[tuple[str, str, str]]:
    """``[(type, key, chunk)]`` for every real entry (``@comment``/``@string``/``@preamble`` skipped)."""
    found = list(_ENTRY_START.finditer(text))
    out = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        kind = m.group(1).lower()
        if kind in ("comment", "string", "preamble"):
            continue
        out.append((kind, m.group(2), text[m.start():end].rstrip() + "\n"))
    return out


def rekey(chunk: str, key: str, new_key: str, copy: int) -> str:
    chunk = chunk.replace("{" + key + ",", "{" + new_key + ",", 1)
    if copy:
        chunk = _TITLE.sub(lambda m: m.group(1) + f"[{copy}] ", chunk, count=1)
    return chunk


def grow(n: int, seed: Path | None = None) -> tuple[str, list[str]]:
    """Bib text with exactly ``n`` entries, and their keys in file order."""
    entries = split_entries((seed or seed_path()).read_text(encoding="utf-8"))
    if not entries:
        raise ValueError("the seed bib has no entries")
    chunks, keys = [], []
    for i in range(n):
        copy, j = divmod(i, len(entries))
        _kind, key, chunk = entries[j]
        new_key = key if copy == 0 else f"{key}x{copy}"
        chunks.append(rekey(chunk, key, new_key, copy))
        keys.append(new_key)
    return "\n".join(chunks), keys


BREAKERS = (
    # each turns a good entry into one the parser must skip or report, without touching its neighbours
    ("unbalanced", lambda c: c.replace("title = {", "title = {{", 1)),
    ("no-comma", lambda c: re.sub(r"\},\n(\s*author)", r"}\n\1", c, count=1)),
    ("bad-key", lambda c: re.sub(r"^@(\w+)\{[^,]+,", r"@\1{,", c, count=1)),
    ("garbage", lambda c: c.replace(" = {", " == {", 1)),
    ("eof-brace", lambda c: c.rstrip().rstrip("}") + "\n"),
)


def grow_broken(n: int, fraction: float = 0.05, seed: Path | None = None, rng_seed: int = 8
                ) -> tuple[str, list[str], dict[str, int]]:
    """Like :func:`grow` with ``fraction`` of the entries broken.

    Returns the text, the keys of the intact entries and ``{broken key: line}`` of the broken ones.
    """
    text, keys = grow(n, seed)
    chunks = text.split("\n@")
    chunks = [chunks[0]] + ["@" + c for c in chunks[1:]]
    rng = random.Random(rng_seed)
    broken_idx = set(rng.sample(range(n), round(n * fraction)))
    out, good, broken, line = [], [], {}, 1
    for i, (chunk, key) in enumerate(zip(chunks, keys, strict=True)):
        if i in broken_idx:
            _name, breaker = BREAKERS[i % len(BREAKERS)]
            chunk = breaker(chunk)
            broken[key] = line
        else:
            good.append(key)
        out.append(chunk)
        line += chunk.count("\n") + 1
    return "\n".join(out), good, broken
