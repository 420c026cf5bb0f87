"""The parse of the bib, kept: in memory by the file's content, and on disk entry by entry.

A build parses the bib once however many pages show papers (:func:`load_bibliography`
keeps the last parse in memory), and, given a cache directory, the parse of every
entry is kept on disk (:class:`ChunkCache`), so the next build parses only the entries
that changed; under ``-j N`` a cold parse runs in N processes (:func:`parse_in_parallel`).
"""

from __future__ import annotations

import functools
import os
import pickle
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pybtex
from pybtex.utils import CaseInsensitiveDict

from sphinx_tc_ext.cache import heap
from sphinx_tc_ext.cache.atomic import write_cache_file
from sphinx_tc_ext.cache.digest import code_digest, digest, raw_digest, value_digest
from sphinx_tc_ext.core.bibread import ChunkRecord, chunk_spans, decode_bib, parse_bib_text, parse_records
from sphinx_tc_ext.core.model import Bibliography, use_anchors
from sphinx_tc_ext.core.problems import Problem
from sphinx_tc_ext.core.taxonomy import Taxonomy

_CHUNK_CACHE_FILE = "tc-bib-chunks.pickle"
_CHUNK_CACHE_FORMAT = 4
#: Share of entries parsed afresh below which the chunk cache file is not rewritten.
UNSAVED_SHARE = 0.02
#: Fewer entries to parse than this are parsed in one process (a fork costs more than it saves).
PARALLEL_MINIMUM = 400


@functools.cache
def dependency_versions() -> tuple[str, str]:
    """The versions of pybtex, which parses every entry, and latexcodec, which decodes every title and name."""
    try:
        latexcodec = metadata.version("latexcodec")
    except metadata.PackageNotFoundError:
        latexcodec = ""
    return pybtex.__version__, latexcodec


def cache_context(path: str, taxonomy: Taxonomy) -> tuple:
    """Everything besides a chunk's text and macros that its parse depends on.

    The code is :func:`~sphinx_tc_ext.cache.digest.code_digest` (it includes the
    package's version), so an edited checkout never reuses old records.
    """
    return (_CHUNK_CACHE_FORMAT, *dependency_versions(), code_digest(), path, value_digest(taxonomy.facets))


@dataclass(frozen=True)
class ParseStats:
    """What one parse through a :class:`ChunkCache` did: tests and benchmarks see what was parsed again."""

    parsed: int  #: records made afresh, in this process or (``-j N``) others
    reused: int  #: records taken from the cache
    fresh: tuple[bytes, ...]  #: keys (:meth:`ChunkCache.key`) of the chunks this process parsed, in file order
    validated: tuple[str, ...]  #: keys of the entries validated afresh, in file order
    from_workers: int = 0  #: records other processes made (``-j N``, :func:`parse_in_parallel`)


class ChunkCache:
    """The parse of every chunk (entry) of a bib, kept between builds in one pickle file.

    Records are keyed by the SHA-1 of the chunk's text and hold line numbers relative
    to the chunk, so an edit re-parses only the edited entries, however far the
    entries below it move.  A record is reused only when the macros its parse read
    have the same values; the taxonomy, the shown path, the package, pybtex and the
    code are checked for the whole file (:func:`cache_context`).  Checks across
    entries (duplicate keys) are redone on every parse.  With ``jobs`` > 1, the
    records a parse lacks are made in that many processes first
    (:func:`parse_in_parallel`, from ``parallel_minimum`` missing records).
    """

    def __init__(self, context: tuple = (), chunks: dict[bytes, ChunkRecord] | None = None, jobs: int = 1,
                 parallel_minimum: int | None = None) -> None:
        self.context = context
        self.chunks = chunks if chunks is not None else {}
        self.jobs = jobs
        self.parallel_minimum = parallel_minimum
        self.seen: dict[bytes, ChunkRecord] = {}
        self.changed = False
        self.stale = not self.chunks  # the file must be written whatever the parse finds
        self.loaded = len(self.chunks)
        self.parsed = self.reused = 0
        self.fresh: list[bytes] = []
        self.validated: list[str] = []
        self.from_workers = 0

    @classmethod
    def load(cls, cache_dir: str | os.PathLike, jobs: int = 1, parallel_minimum: int | None = None) -> ChunkCache:
        """The cache in ``cache_dir``; empty when the file is missing, unreadable, corrupt or of another format."""
        try:
            with open(Path(cache_dir, _CHUNK_CACHE_FILE), "rb") as f, heap.paused():
                context, chunks = pickle.load(f)
            if not isinstance(context, tuple) or not isinstance(chunks, dict):
                raise TypeError("not a chunk cache")
        except Exception:  # whatever is wrong with a cache, the remedy is to parse afresh
            return cls(jobs=jobs, parallel_minimum=parallel_minimum)
        return cls(context, chunks, jobs, parallel_minimum)

    @staticmethod
    def key(chunk: str) -> bytes:
        return raw_digest(chunk)

    def begin(self, text: str, path: str, taxonomy: Taxonomy) -> None:
        """Start a parse; drop every record when anything besides the chunks themselves changed."""
        context = cache_context(path, taxonomy)
        if context != self.context:
            self.context, self.chunks, self.changed, self.stale = context, {}, True, True
        self.seen = {}
        self.parsed = self.reused = 0
        self.fresh, self.validated = [], []
        self.from_workers = 0
        if self.jobs > 1:
            self.from_workers = parse_in_parallel(text, path, taxonomy, self, self.jobs, self.parallel_minimum)

    def reuse(self, sha: bytes, macros: CaseInsensitiveDict) -> ChunkRecord | None:
        record = self.seen.get(sha) or self.chunks.get(sha)
        if record is None or not record.replay(macros):
            return None
        self.seen[sha] = record
        self.reused += 1
        return record

    def store(self, sha: bytes, record: ChunkRecord) -> None:
        self.parsed += 1
        self.fresh.append(sha)
        self.changed = True
        if record.reusable:
            self.seen[sha] = record

    def note_validated(self, entry_key: str) -> None:
        self.validated.append(entry_key)
        self.changed = True

    def finish(self) -> None:
        """End a parse: keep the records of the chunks it saw, and only those."""
        if self.seen.keys() != self.chunks.keys():
            self.changed = True
        self.chunks, self.seen = self.seen, {}

    def stats(self) -> ParseStats:
        """What the last parse through this cache did."""
        return ParseStats(self.parsed, self.reused, tuple(self.fresh), tuple(self.validated), self.from_workers)

    def save(self, cache_dir: str | os.PathLike) -> bool:
        """Write the file (atomically) when the records changed enough; False when nothing was written.

        After an edit of a few entries the file on disk still serves all but those few:
        rewriting megabytes for them costs more than parsing them again next time, so
        it is kept until 2% of the entries are parsed afresh or it holds twice as many
        records as the bib has entries.
        """
        if not self.changed:
            return False
        if not self.stale and self.parsed < UNSAVED_SHARE * len(self.chunks) and self.loaded <= 2 * len(self.chunks):
            return False
        try:
            write_cache_file(Path(cache_dir, _CHUNK_CACHE_FILE), (self.context, self.chunks))
        except OSError:  # a cache that cannot be written costs time on the next build, nothing else
            return False
        self.changed = self.stale = False
        self.loaded = len(self.chunks)
        return True


def parse_in_parallel(text: str, path: str, taxonomy: Taxonomy, cache: ChunkCache, jobs: int,
                      minimum: int | None = None) -> int:
    """Parse the chunks the cache lacks in ``jobs`` forked processes; their records go into the cache.

    The parse that follows then takes every entry from the cache: pybtex's parse is
    what a cold build waits for (1.6 s at 5,000 entries), and under ``-j N`` nothing
    else runs meanwhile.  Each process parses a contiguous share of the missing
    chunks with the macros the ``@string`` commands before it define; a record parsed
    with other macros than the serial parse meets is not reused (its macro reads are
    replayed, see :class:`ChunkCache`), so the result is the serial one whatever
    happens here.  Nothing is forked below ``minimum`` missing chunks
    (:data:`PARALLEL_MINIMUM` by default).  Returns the number of records the other processes gave.
    """
    import multiprocessing

    spans = list(chunk_spans(text))
    missing = [i for i, (start, end) in enumerate(spans) if cache.key(text[start:end]) not in cache.chunks]
    if jobs < 2 or len(missing) < (PARALLEL_MINIMUM if minimum is None else minimum) \
            or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    size = -(-len(missing) // jobs)
    shares = [missing[i:i + size] for i in range(0, len(missing), size)]
    with multiprocessing.get_context("fork").Pool(len(shares) - 1) as pool:
        pending = pool.map_async(functools.partial(_parse_share, text, spans, path, taxonomy), shares[1:])
        records = _parse_share(text, spans, path, taxonomy, shares[0])
        given = 0
        for share in pending.get():
            records.update(share)
            given += len(share)
    cache.chunks.update(records)  # the parse that follows reuses them, and counts them parsed here
    cache.parsed += len(records)
    cache.changed = cache.changed or bool(records)
    return given


def _parse_share(text: str, spans: list[tuple[int, int]], path: str, taxonomy: Taxonomy,
                 share: list[int]) -> dict[bytes, ChunkRecord]:
    """The records of the chunks numbered ``share``, by key (what a forked process sends back)."""
    return {ChunkCache.key(text[spans[i][0]:spans[i][1]]): record
            for i, record in parse_records(text, spans, path, taxonomy, share)}


_CACHE: dict[tuple, Bibliography] = {}
_last_parse: ParseStats | None = None


def clear_memory_cache() -> None:
    """Forget the parse kept in memory, as a new process would start (tests; a long-lived server)."""
    global _last_parse
    _CACHE.clear()
    _last_parse = None


def last_parse() -> ParseStats | None:
    """What the last :func:`load_bibliography` that parsed through a cache directory did (None: none since)."""
    return _last_parse


def load_bibliography(path: str | os.PathLike, taxonomy: Taxonomy, display_path: str | None = None,
                      cache_dir: str | os.PathLike | None = None, write_cache: bool = True,
                      jobs: int = 1, parallel_minimum: int | None = None) -> Bibliography:
    """Parse ``path`` once per content and taxonomy; later calls return the cached model.

    Keyed by a digest of the bytes, not the mtime: an edit within one tick of the
    file clock (or one that restores the mtime) is still seen.  Reading and hashing
    a few MB costs milliseconds; callers that ask often cache per build on top.

    With ``cache_dir``, the parse of each entry is also kept on disk there (see
    :class:`ChunkCache`), so the next process re-parses only the entries that changed;
    ``write_cache=False`` reads that file but leaves it alone (e.g. in a forked worker).
    With a cache, ``jobs`` > 1 parses the entries it lacks in that many processes
    (:func:`parse_in_parallel`, from ``parallel_minimum`` entries to parse, default :data:`PARALLEL_MINIMUM`).
    """
    global _last_parse
    path = Path(path)
    shown = display_path or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Bibliography(shown, {}, [Problem(shown, 1, "syntax", f"cannot read the bib file: {exc}", 1, "TC100")])
    cache_key = (str(path.resolve()), digest(data), shown, id(taxonomy), None if cache_dir is None else str(cache_dir))
    if cache_key not in _CACHE:
        _CACHE.clear()  # one bib at a time: keep memory flat when the file changes
        text, undecoded = decode_bib(data, shown)
        if text is None:
            bib = Bibliography(shown, {}, undecoded)
        elif cache_dir is None:
            bib = parse_bib_text(text, shown, taxonomy)
        else:
            chunks = ChunkCache.load(cache_dir, jobs, parallel_minimum)
            bib = parse_bib_text(text, shown, taxonomy, chunks)
            if write_cache:
                chunks.save(cache_dir)
            _last_parse = chunks.stats()
        if undecoded and text is not None:
            bib.problems = sorted(bib.problems + undecoded, key=lambda p: p.line)
        _CACHE[cache_key] = bib
    use_anchors(_CACHE[cache_key])
    return _CACHE[cache_key]
