"""A paper's metadata from its arXiv id or DOI, so ``tc-survey new`` asks only what no service knows
and ``tc-survey enrich`` fills what entries lack.

Two services: arXiv's Atom API (``TC_ARXIV_API``, default ``https://export.arxiv.org/api/query``)
and DOI content negotiation (``TC_DOI_RESOLVER``, default ``https://doi.org/``), which answers
CSL-JSON or BibTeX.  The parsers (:func:`parse_atom`, :func:`parse_csl_json`, :func:`parse_bibtex`)
take bytes and return a :class:`Found` or raise :class:`LookupFailed`; they never touch the
network, so they are tested on recorded responses and junk.  :class:`Client` makes the HTTP calls
with the standard library only: a timeout, arXiv's one call every 3 s (across calls in one process;
``TC_ARXIV_DELAY`` sets another interval), many ids in one arXiv query (:meth:`Client.arxiv_batch`)
and a 429's ``Retry-After`` honoured.  Every failure is one :class:`LookupFailed` line.
"""

from __future__ import annotations

import email.utils
import html
import http.client
import json
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from sphinx_tc_ext._version import __version__
from sphinx_tc_ext.core.bibsyntax import BibSyntaxError, flatten, tokenize
from sphinx_tc_ext.core.rules import arxiv_id_in, bib_to_text, month_number, text_to_bib

DEFAULT_ARXIV_API = "https://export.arxiv.org/api/query"
DEFAULT_DOI_RESOLVER = "https://doi.org/"
#: Seconds to wait for an answer (``TC_LOOKUP_TIMEOUT`` overrides it).
DEFAULT_TIMEOUT = 15.0
#: arXiv's API terms: no more than one request every three seconds.
ARXIV_INTERVAL = 3.0
#: The longest ``Retry-After`` worth waiting for; a longer one fails with the time to come back.
MAX_RETRY_WAIT = 30.0
#: A metadata answer is a few kilobytes; more is not metadata.
MAX_BODY = 2_000_000
USER_AGENT = f"sphinx-tc-ext/{__version__} (tc-survey new/enrich; https://github.com/cokeshao/sphinx-tc-ext)"
DOI_ACCEPT = "application/vnd.citationstyles.csl+json, application/x-bibtex;q=0.5"

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


class LookupFailed(Exception):
    """A lookup that gave nothing usable; the message is one line that says what to do."""


@dataclass
class Found:
    """What a service knows about a paper, as plain text (the CLI escapes it for BibTeX)."""

    source: str  # "arXiv" or "doi.org", for messages
    title: str = ""
    authors: list[str] = field(default_factory=list)  # BibTeX names: "Last, First" or "{Qwen Team}"
    year: str = ""
    month: int = 0
    eprint: str = ""
    doi: str = ""
    url: str = ""
    venue: str = ""  # the journal or proceedings of the published version
    venue_kind: str = ""  # "journal", "proceedings" or "" (unknown: a journal_ref's free text)
    abstract: str = ""


def clean_text(text: str) -> str:
    """One line: services wrap titles and abstracts at arbitrary places."""
    return " ".join(text.split())


def normalise_doi(text: str) -> str | None:
    """``10.1000/x`` from a DOI, ``doi:10.1000/x`` or a doi.org link; None when it is not one."""
    value = re.sub(r"(?i)^(https?://(dx\.)?doi\.org/|doi:\s*)", "", text.strip())
    return value if _DOI.match(value) else None


# -- parsers: bytes in, Found or LookupFailed out ------------------------------------------------------------


def _atom_entries(body: bytes) -> list[ET.Element]:
    """The ``<entry>`` elements of an arXiv Atom feed; :class:`LookupFailed` for anything else."""
    if b"<!DOCTYPE" in body[:2000].upper() or b"<!ENTITY" in body.upper():
        raise LookupFailed("arXiv sent a response that is not an Atom feed (it has a DOCTYPE); try again later")
    try:
        root = ET.fromstring(body)
    except (ET.ParseError, ValueError, RecursionError):
        raise LookupFailed("arXiv sent a response that is not an Atom feed; try again later") from None
    if root.tag != f"{_ATOM}feed":
        raise LookupFailed("arXiv sent a response that is not an Atom feed; try again later")
    return list(root.iter(f"{_ATOM}entry"))


def _atom_found(entry: ET.Element, wanted: str) -> Found:
    found = Found("arXiv", eprint=wanted, url=f"https://arxiv.org/abs/{wanted}")
    found.title = clean_text(entry.findtext(f"{_ATOM}title") or "")
    found.abstract = clean_text(entry.findtext(f"{_ATOM}summary") or "")
    found.authors = [clean_text(a.findtext(f"{_ATOM}name") or "") for a in entry.findall(f"{_ATOM}author")]
    found.authors = [a for a in found.authors if a]
    published = re.match(r"(\d{4})-(\d{2})", entry.findtext(f"{_ATOM}published") or "")
    if published:
        found.year, found.month = published.group(1), int(published.group(2))
    found.doi = normalise_doi(entry.findtext(f"{_ARXIV}doi") or "") or ""
    found.venue = clean_text(entry.findtext(f"{_ARXIV}journal_ref") or "")
    if not found.title or not found.authors:
        raise LookupFailed(f"arXiv's entry for {wanted} has no title or no authors; try again later")
    return found


def parse_atom_batch(body: bytes, wanted: list[str]) -> dict[str, Found | LookupFailed]:
    """Each id of ``wanted`` (versionless) with its paper, or the one-line reason it has none.

    A feed that cannot be read, or arXiv's error entry (a malformed id in the query), fails the
    whole batch with :class:`LookupFailed`: arXiv then answers for none of the ids.
    """
    results: dict[str, Found | LookupFailed] = {}
    for entry in _atom_entries(body):
        entry_id = entry.findtext(f"{_ATOM}id") or ""
        if "/api/errors" in entry_id:  # the API's way to say an id is malformed
            summary = clean_text(entry.findtext(f"{_ATOM}summary") or "")
            shown = ", ".join(wanted)
            raise LookupFailed(f"arXiv does not know {shown}: {summary or 'error'}; check the id")
        got = arxiv_id_in(entry_id)
        if got in wanted and got not in results:
            try:
                results[got] = _atom_found(entry, got)
            except LookupFailed as exc:
                results[got] = exc
    for arxiv_id in wanted:
        results.setdefault(arxiv_id, LookupFailed(f"arXiv has no paper {arxiv_id}; check the id"))
    return results


def parse_atom(body: bytes, wanted: str) -> Found:
    """The arXiv paper ``wanted`` (a versionless id) from an Atom feed of arXiv's API."""
    result = parse_atom_batch(body, [wanted])[wanted]
    if isinstance(result, LookupFailed):
        raise result
    return result


_CSL_JOURNAL = {"article-journal", "journal-article", "article-magazine", "article-newspaper"}
_CSL_PROCEEDINGS = {"paper-conference", "proceedings-article"}


def _csl_text(value: object) -> str:
    """CSL strings are sometimes lists of strings (Crossref's ``title``)."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    return clean_text(value) if isinstance(value, str) else ""


def _csl_name(person: object) -> str:
    if not isinstance(person, dict):
        return ""
    family, given = text_to_bib(_csl_text(person.get("family"))), text_to_bib(_csl_text(person.get("given")))
    if family:
        return f"{family}, {given}" if given else "{" + family + "}"
    literal = text_to_bib(_csl_text(person.get("literal")) or _csl_text(person.get("name")))
    return "{" + literal + "}" if literal else ""


def _csl_date(item: dict) -> tuple[str, int]:
    for key in ("issued", "published-print", "published-online", "created"):
        parts = (item.get(key) or {}).get("date-parts") if isinstance(item.get(key), dict) else None
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year, month = parts[0][0], parts[0][1] if len(parts[0]) > 1 else 0
            if isinstance(year, (int, str)) and str(year).isdigit() and len(str(year)) == 4:
                month = int(month) if isinstance(month, (int, str)) and str(month).isdigit() else 0
                return str(year), month if 1 <= month <= 12 else 0
    return "", 0


def parse_csl_json(body: bytes, doi: str = "") -> Found:
    """A paper from the CSL-JSON a DOI resolves to (Crossref, DataCite)."""
    try:
        item = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise LookupFailed(f"doi.org sent malformed CSL-JSON for {doi or 'the DOI'}; try again later") from None
    if isinstance(item, list) and item:
        item = item[0]
    if not isinstance(item, dict):
        raise LookupFailed(f"doi.org sent CSL-JSON without a paper for {doi or 'the DOI'}; try again later")
    found = Found("doi.org", doi=normalise_doi(_csl_text(item.get("DOI"))) or doi)
    found.title = _csl_text(item.get("title"))
    authors = item.get("author") if isinstance(item.get("author"), list) else []
    found.authors = [n for n in (_csl_name(p) for p in authors) if n]
    found.year, found.month = _csl_date(item)
    kind = _csl_text(item.get("type"))
    found.venue = _csl_text(item.get("container-title"))
    found.venue_kind = "journal" if kind in _CSL_JOURNAL else "proceedings" if kind in _CSL_PROCEEDINGS else ""
    abstract = _csl_text(item.get("abstract"))
    found.abstract = clean_text(html.unescape(re.sub(r"<[^>]+>", " ", abstract))) if abstract else ""
    if found.doi:
        found.url = f"https://doi.org/{found.doi}"
    if not found.title or not found.authors:
        raise LookupFailed(f"doi.org has no title or no authors for {doi or 'the DOI'}; give --title and --author")
    return found


def parse_bibtex(body: bytes, doi: str = "") -> Found:
    """A paper from the BibTeX a DOI resolves to (when the agency offers no CSL-JSON)."""
    try:
        blocks = tokenize(body.decode("utf-8-sig", errors="replace"))
    except BibSyntaxError:
        blocks = []
    entry = next((b for b in blocks if b.kind == "entry"), None)
    if entry is None:
        raise LookupFailed(f"doi.org sent malformed BibTeX for {doi or 'the DOI'}; try again later")

    def value(name: str) -> str:
        raw = entry.get(name)
        return clean_text(flatten(raw.pieces)) if raw else ""

    found = Found("doi.org", doi=normalise_doi(value("doi")) or doi)
    found.title = bib_to_text(value("title"))
    found.authors = [" ".join(a.split()) for a in re.split(r"\s+and\s+", value("author")) if a.strip()]
    year = value("year")
    found.year = year if re.fullmatch(r"\d{4}", year) else ""
    found.month = month_number(value("month"))
    kind = entry.entry_type.lower()
    found.venue = bib_to_text(value("journal") or value("booktitle"))
    found.venue_kind = "journal" if kind == "article" and found.venue else \
        "proceedings" if kind == "inproceedings" else ""
    found.abstract = bib_to_text(value("abstract")) if value("abstract") else ""
    if found.doi:
        found.url = f"https://doi.org/{found.doi}"
    if not found.title or not found.authors:
        raise LookupFailed(f"doi.org has no title or no authors for {doi or 'the DOI'}; give --title and --author")
    return found


# -- HTTP ------------------------------------------------------------------------------------------------


class RateLimit:
    """At most one call every ``interval`` seconds, across every client of one process."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.last: float | None = None
        self.lock = threading.Lock()

    def wait(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        with self.lock:
            if self.last is not None:
                left = self.interval - (clock() - self.last)
                if left > 0:
                    sleep(left)
            self.last = clock()


#: The arXiv API's limit, shared by every :class:`Client` of the process.
ARXIV_LIMIT = RateLimit(ARXIV_INTERVAL)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _http_base(name: str, default: str) -> str:
    base = os.environ.get(name) or default
    if not re.match(r"(?i)^https?://[^/\s]+", base):
        raise LookupFailed(f"{name}={base!r} is not an http(s) URL; fix or unset it")
    return base


class Client:
    """The two services, with one timeout, the rate limits and ``Retry-After`` honoured."""

    def __init__(self, arxiv_api: str | None = None, doi_resolver: str | None = None, timeout: float | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 arxiv_limit: RateLimit = ARXIV_LIMIT) -> None:
        self.arxiv_api = arxiv_api or _http_base("TC_ARXIV_API", DEFAULT_ARXIV_API)
        self.doi_resolver = doi_resolver or _http_base("TC_DOI_RESOLVER", DEFAULT_DOI_RESOLVER)
        if timeout is None:
            try:
                timeout = float(os.environ.get("TC_LOOKUP_TIMEOUT") or DEFAULT_TIMEOUT)
            except ValueError:
                raise LookupFailed("TC_LOOKUP_TIMEOUT is not a number of seconds; fix or unset it") from None
        self.timeout = timeout
        self.clock, self.sleep, self.arxiv_limit = clock, sleep, arxiv_limit
        delay = os.environ.get("TC_ARXIV_DELAY")
        if delay:  # a process-wide limit of its own: tests and mirrors without arXiv's terms
            try:
                self.arxiv_limit = RateLimit(float(delay))
            except ValueError:
                raise LookupFailed("TC_ARXIV_DELAY is not a number of seconds; fix or unset it") from None

    def arxiv(self, arxiv_id: str) -> Found:
        url = f"{self.arxiv_api}?{urllib.parse.urlencode({'id_list': arxiv_id})}"
        body, _ = self.get(url, "application/atom+xml", f"arXiv {arxiv_id}", self.arxiv_limit)
        return parse_atom(body, arxiv_id)

    def arxiv_batch(self, arxiv_ids: list[str]) -> dict[str, Found | LookupFailed]:
        """Several papers in one query (``id_list=a,b,c``): each id's paper or the reason it has none."""
        query = urllib.parse.urlencode({"id_list": ",".join(arxiv_ids), "max_results": len(arxiv_ids)}, safe=",")
        shown = arxiv_ids[0] if len(arxiv_ids) == 1 else f"{arxiv_ids[0]} and {len(arxiv_ids) - 1} more"
        body, _ = self.get(f"{self.arxiv_api}?{query}", "application/atom+xml", f"arXiv {shown}", self.arxiv_limit)
        return parse_atom_batch(body, arxiv_ids)

    def doi(self, doi: str) -> Found:
        url = self.doi_resolver.rstrip("/") + "/" + urllib.parse.quote(doi, safe="/:;()<>[]")
        body, content_type = self.get(url, DOI_ACCEPT, f"DOI {doi}", None)
        if "bibtex" in content_type or body.lstrip()[:1] == b"@":
            return parse_bibtex(body, doi)
        return parse_csl_json(body, doi)

    def get(self, url: str, accept: str, what: str, limit: RateLimit | None) -> tuple[bytes, str]:
        """The body and content type of ``url``; one retry after a 429 whose ``Retry-After`` is short."""
        host = urllib.parse.urlsplit(url).netloc
        request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": USER_AGENT})
        for attempt in (1, 2):
            if limit is not None:
                limit.wait(self.clock, self.sleep)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read(MAX_BODY + 1)
                    if len(body) > MAX_BODY:
                        raise LookupFailed(f"{host} sent more than {MAX_BODY} bytes for {what}; try again later")
                    return body, response.headers.get("Content-Type", "").lower()
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    raise LookupFailed(f"{host} does not know {what} (HTTP 404); check the id") from None
                if exc.code in (429, 503):
                    wait = retry_after_seconds(exc.headers.get("Retry-After"))
                    if attempt == 1 and wait is not None and wait <= MAX_RETRY_WAIT:
                        self.sleep(wait)
                        continue
                    later = f"in {wait:.0f} s" if wait is not None else "later"
                    raise LookupFailed(f"{host} is rate-limiting requests (HTTP {exc.code}); try again {later}, "
                                       "or pass --offline and type the fields") from None
                raise LookupFailed(f"{host} answered HTTP {exc.code} for {what}; try again later") from None
            except TimeoutError:
                raise LookupFailed(f"{host} did not answer within {self.timeout:g} s for {what}; "
                                   "try again later, or pass --offline") from None
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, TimeoutError):
                    raise LookupFailed(f"{host} did not answer within {self.timeout:g} s for {what}; "
                                       "try again later, or pass --offline") from None
                raise LookupFailed(f"cannot reach {host} for {what} ({reason}); check the connection, "
                                   "or pass --offline") from None
            except (OSError, ValueError, http.client.HTTPException) as exc:  # a reset mid-body, a bad status line
                raise LookupFailed(f"cannot read {host}'s answer for {what} ({exc}); try again later") from None
        raise LookupFailed(f"{host} is rate-limiting requests; try again later")  # pragma: no cover
