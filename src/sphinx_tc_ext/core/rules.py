"""The entry rules several commands share: citation keys, BibTeX names, arXiv ids, months, the venue table.

``import-awesome``, ``new`` and ``check`` must agree on what a key, a name or an arXiv id is,
so each rule lives here once.  The behaviour is the awesome importer's: the committed bib's
keys came from it.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from pybtex.database import Person
from pybtex.exceptions import PybtexError

from sphinx_tc_ext.core.bibread import balanced_braces
from sphinx_tc_ext.core.latex import latex_to_text
from sphinx_tc_ext.core.problems import InputError, Problem
from sphinx_tc_ext.core.titlecase import is_word_char

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# -- BibTeX text ------------------------------------------------------------------------------------

# BibTeX counts every brace, escaped or not, so literal braces become commands.
_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "&": r"\&",
            "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_ESCAPE_RE = re.compile(r"[\\{}&%$#_~^]")
_COMMANDS = r"\\text(?:backslash|braceleft|braceright|asciitilde|asciicircum)\{\}"
_UNESCAPE_RE = re.compile(_COMMANDS + r"|\\[&%$#_]")
_EXACT = re.compile(r"(?:" + _COMMANDS + r"|\\[&%$#_]|[^\\{}~^$])*")
_UNESCAPES = {v: k for k, v in _ESCAPES.items()}
# A word braced against case changes (``{LLaVA}``, core.titlecase), not the argument of a command (``\emph{X}``).
# A word is what core.titlecase braces: letters, digits and combining marks (``\w`` misses the marks).
_PROTECTED_WORD = re.compile(r"(?<![A-Za-z])\{([^\s{}\\]+)\}")


def _unbrace_word(match: re.Match[str]) -> str:
    word = match.group(1)
    return word if all(is_word_char(ch) for ch in word) else match.group(0)


def text_to_bib(text: str) -> str:
    """Plain text as a BibTeX value: LaTeX specials escaped, unicode kept."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


def bib_to_text(value: str) -> str:
    """The inverse of :func:`text_to_bib`, case-protecting braces aside; other LaTeX goes through
    :func:`latex_to_text` (which would also drop the braces ``\\textbraceleft{}`` stands for)."""
    unbraced = _PROTECTED_WORD.sub(_unbrace_word, value) if "{" in value else value
    if _EXACT.fullmatch(unbraced):
        return " ".join(_UNESCAPE_RE.sub(lambda m: _UNESCAPES[m.group(0)], unbraced).split())
    return latex_to_text(value)


_FOLD_SPECIAL = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                               "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ı": "i"})


def ascii_fold(text: str) -> str:
    """Accents dropped and the letters NFKD cannot split spelled out (``ø`` -> ``o``), case kept."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD_SPECIAL))  # translate: one C pass, not one per letter
    if text.isascii():  # nothing to drop (a merge folds every title of the bib)
        return text
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def normalise_title(title: str) -> str:
    """Title identity: case, accents, punctuation and spacing ignored."""
    folded = ascii_fold(unicodedata.normalize("NFKC", title)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", folded))


# -- names ------------------------------------------------------------------------------------------

#: Last words that mark a corporate author, written braced: ``{Qwen Team}``.
CORPORATE_WORDS = frozenset({"team", "lab", "labs", "group", "consortium", "collaboration", "inc", "inc.",
                             "corporation", "research", "organization"})
_CORPORATE_STEMS = frozenset(w.rstrip(".") for w in CORPORATE_WORDS)
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "da", "di", "del", "della", "du", "la", "le", "dos",
                        "das", "ten", "ter", "bin", "al", "el"})
_CAPITAL_PARTICLES = frozenset({"Van", "Von", "Der", "Den", "Ter", "Ten", "Della", "Dos", "Das", "Du"})
#: Name suffixes (``Jr.``): a list writes them as a name of their own after a comma.
SUFFIXES = frozenset({"Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"})


def _balanced_inside(text: str) -> bool:
    return balanced_braces(text[1:-1])


def to_bibtex_name(name: str) -> str:
    """``First Middle von Last Jr.`` (plain text) as a BibTeX name ``von Last, Jr., First Middle``.

    Corporate names (last word Team, Lab, Group...), single-word names and names already
    braced are written braced: ``{Qwen Team}``.  A name already written ``Last, First`` stays.
    """
    words = name.split()
    if not words:
        return ""
    if name.startswith("{") and name.endswith("}") and _balanced_inside(name):  # braced by the list's author
        return "{" + text_to_bib(" ".join(name[1:-1].split())) + "}"
    if "," in name:  # already "Last, First": BibTeX's own order
        return " ".join(words)
    if len(words) > 1 and words[-1].lower().rstrip(".") in _CORPORATE_STEMS:
        return "{" + text_to_bib(" ".join(words)) + "}"
    if len(words) == 1:  # a mononym is almost always an organisation (NVIDIA, ASLP@NPU): brace it
        return "{" + text_to_bib(words[0]) + "}"
    if any(w.lower() == "and" for w in words):  # "and" would split the name in BibTeX: keep it whole
        return "{" + text_to_bib(" ".join(words)) + "}"
    suffix = ""
    if words[-1] in SUFFIXES and len(words) > 2:
        suffix = words.pop()
    start = len(words) - 1
    while start > 1 and (words[start - 1] in _PARTICLES or words[start - 1] in _CAPITAL_PARTICLES):
        start -= 1
    last = " ".join(words[start:])
    first = " ".join(words[:start])
    parts = [text_to_bib(last)] + ([text_to_bib(suffix)] if suffix else []) + [text_to_bib(first)]
    return ", ".join(parts)


@functools.lru_cache(maxsize=65536)
def display_name(raw: str) -> str:
    """A BibTeX name as ``First von Last Jr.`` plain text (the list's spelling).

    Memoized: pybtex's name parser is most of an export's time, and authors recur across entries.
    """
    stripped = raw.strip()
    if stripped.startswith("{") and stripped.endswith("}") and _balanced_inside(stripped):
        return bib_to_text(stripped[1:-1])
    try:
        person = Person(stripped)
    except PybtexError:
        return bib_to_text(stripped)
    parts = person.first_names + person.middle_names + person.prelast_names + person.last_names \
        + person.lineage_names
    return " ".join(bib_to_text(p) for p in parts if p)


# -- citation keys ----------------------------------------------------------------------------------

#: Title words skipped when building a citation key.
STOP_WORDS = frozenset({
    "a", "an", "the", "on", "of", "in", "for", "to", "towards", "toward", "and", "or", "with", "without", "via",
    "by", "from", "at", "as", "is", "are", "be", "into", "onto", "when", "what", "how", "why", "where", "which",
    "who", "do", "does", "can", "your", "our", "we", "you", "its", "it", "not", "no", "beyond",
})


def key_name(raw_author: str) -> str:
    """The author part of a key: the last name (with its von part), ASCII, lowercase; a braced name's first word."""
    stripped = raw_author.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        words = bib_to_text(stripped[1:-1]).split()
        base = words[0] if words else ""
    else:
        try:
            person = Person(stripped)
            base = " ".join(person.prelast_names + person.last_names) or stripped
        except PybtexError:
            base = stripped
        base = bib_to_text(base)
    return re.sub(r"[^a-z0-9]", "", ascii_fold(base).lower())


def title_word(title: str) -> str:
    """The first title word that is not a stop word, lowercase ASCII."""
    for word in re.findall(r"[a-z0-9]+", ascii_fold(title).lower()):
        if word not in STOP_WORDS:
            return word
    return "paper"


def citation_key(first_author: str, year: int | str | None, title: str) -> str:
    """Google Scholar's key: first author's last name, year, first title word (``shao2025tokens``).

    ``first_author`` is one BibTeX name; ``title`` plain text.
    """
    name = key_name(first_author) if first_author else ""
    return f"{name or 'anon'}{year or ''}{title_word(title)}"


def key_suffix(n: int) -> str:
    """The suffix of the ``n``-th clash: 1 -> b, 2 -> c, ..., 25 -> z, 26 -> zb ..."""
    letters = "bcdefghijklmnopqrstuvwxyz"
    out = ""
    while n > len(letters):
        out += "z"
        n -= len(letters)
    return out + letters[n - 1]


def unique_key(base: str, taken: set[str]) -> str:
    """``base``, else ``base`` + b, c, ... (:func:`key_suffix`), the first not in ``taken`` (lowercase keys)."""
    key, n = base, 0
    while key.lower() in taken:
        n += 1
        key = base + key_suffix(n)
    return key


# -- arXiv ids ------------------------------------------------------------------------------------

_ARXIV_NEW = re.compile(r"^(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<num>\d{4,5})$")
_ARXIV_OLD = re.compile(r"^[a-z-]+(?:\.[A-Z]{2})?/(?P<yy>\d{2})(?P<mm>\d{2})\d{3}$")
_ARXIV_URL = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<id>[^?#]+?)/?(?:[?#].*)?$",
                        re.IGNORECASE)
_VERSION = re.compile(r"v\d+$")


def strip_version(arxiv_id: str) -> str:
    """``2507.20198`` for ``2507.20198v2``."""
    return _VERSION.sub("", arxiv_id)


def parse_arxiv_id(eprint: str) -> tuple[int, int, int] | None:
    """``2507.20198`` -> (2025, 7, 20198); old-style ids give number 0; placeholders give None.

    New-style ids start in 2007.04 and have four digits after the dot until 2014, five since 2015.
    """
    eprint = eprint.strip()
    m = _ARXIV_NEW.match(eprint)
    if m:
        year, month, number = 2000 + int(m.group("yy")), int(m.group("mm")), int(m.group("num"))
        digits = 4 if (year, month) < (2015, 1) else 5
        if 1 <= month <= 12 and number > 0 and (year, month) >= (2007, 4) and len(m.group("num")) == digits:
            return year, month, number
        return None
    m = _ARXIV_OLD.match(eprint)
    if m:
        yy = int(m.group("yy"))
        month = int(m.group("mm"))
        if 1 <= month <= 12:
            return (1900 + yy if yy >= 91 else 2000 + yy), month, 0
    return None


def valid_arxiv_id(arxiv_id: str) -> bool:
    """A real arXiv identifier, with or without a version (``2507.20198v2``, ``hep-th/9901001``)."""
    return parse_arxiv_id(strip_version(arxiv_id)) is not None


def arxiv_date(arxiv_id: str) -> tuple[int, int] | None:
    """(year, month) a valid arXiv identifier was assigned; None for anything else."""
    parsed = parse_arxiv_id(strip_version(arxiv_id))
    return parsed[:2] if parsed else None


def arxiv_from_url(url: str) -> tuple[str | None, bool]:
    """(id, is_arxiv_url) of an arxiv.org abs/pdf/html link; id None with True: a placeholder or malformed id."""
    m = _ARXIV_URL.match(url.strip())
    if not m:
        return None, False
    raw = strip_version(re.sub(r"\.pdf$", "", unquote(m.group("id"))))
    return (raw, True) if parse_arxiv_id(raw) else (None, True)


def arxiv_id_in(text: str) -> str | None:
    """The versionless id of ``2508.01548``, ``arXiv:2508.01548v2`` or an arxiv.org link; None when invalid."""
    value = text.strip()
    eprint, is_url = arxiv_from_url(value)
    if is_url:
        return eprint
    value = strip_version(re.sub(r"(?i)^arxiv:\s*", "", value))
    return value if parse_arxiv_id(value) else None


# -- months --------------------------------------------------------------------------------------

MONTH_MACROS: tuple[str, ...] = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                 "nov", "dec")
_MONTH_WORDS: dict[str, str] = {}
for _i, _full in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                            "september", "october", "november", "december")):
    _MONTH_WORDS[_full] = _MONTH_WORDS[_full[:3]] = MONTH_MACROS[_i]
    _MONTH_WORDS[str(_i + 1)] = _MONTH_WORDS[f"{_i + 1:02d}"] = MONTH_MACROS[_i]


def month_macro(value: str) -> str | None:
    """``aug`` for ``aug``, ``August``, ``8`` or ``08``; ``None`` for anything else."""
    return _MONTH_WORDS.get(value.strip().lower())


def month_number(value: str) -> int:
    """1..12 for what :func:`month_macro` reads, 0 for anything else."""
    macro = month_macro(value)
    return MONTH_MACROS.index(macro) + 1 if macro else 0


# -- venues ------------------------------------------------------------------------------------------

DEFAULT_VENUES = Path(__file__).resolve().parents[1] / "data" / "venues.toml"
#: Words after a venue abbreviation that label a presentation, not a venue.
QUALIFIERS = ("Oral", "Highlight", "Spotlight", "Poster")


@dataclass(frozen=True)
class Venue:
    key: str
    name: str
    kind: str  # "conference" or "journal"
    short: str
    aliases: tuple[str, ...] = ()
    by_year: tuple[tuple[int, str], ...] = ()

    def full_name(self, year: int | None) -> str:
        name = self.name
        for since, renamed in self.by_year:
            if year is not None and year >= since:
                name = renamed
        return name.replace("{year}", str(year) if year else "").strip()

    def shortvenue(self, year: int | None, qualifiers: Sequence[str] = ()) -> str:
        text = self.short.replace("{year}", str(year) if year else "")
        return " ".join([*text.split(), *qualifiers])


@dataclass
class VenueTable:
    path: str
    venues: tuple[Venue, ...]

    def lookup(self, text: str) -> Venue | None:
        wanted = " ".join(text.split()).lower()
        for venue in self.venues:
            if wanted == venue.key.lower() or wanted in (a.lower() for a in venue.aliases):
                return venue
        return None

    def by_name(self, name: str) -> Venue | None:
        wanted = " ".join(name.split()).lower()
        for venue in self.venues:
            names = [venue.name, *(n for _, n in venue.by_year)]
            for candidate in names:
                pattern = re.escape(" ".join(candidate.split()).lower()).replace(r"\{year\}", r"\d{4}")
                if re.fullmatch(pattern, wanted):
                    return venue
        return None

    def resolve(self, label: str) -> tuple[Venue | None, str, list[str]]:
        """Badge label -> (venue, base text, presentation qualifiers)."""
        words = label.split()
        qualifiers: list[str] = []
        while True:
            base = " ".join(words)
            venue = self.lookup(base)
            if venue or not words or words[-1].capitalize() not in QUALIFIERS or len(words) == 1:
                return venue, base, qualifiers
            qualifiers.insert(0, words.pop().capitalize())


def load_venues(path: str | Path | None = None) -> VenueTable:
    """Read the venue table (default: the packaged ``data/venues.toml``); raise :class:`InputError` with every
    problem found, each at its file:line."""
    path = Path(path) if path else DEFAULT_VENUES
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise InputError([Problem(str(path), 1, "config", f"cannot read the venue table: {exc.strerror}")]) from exc
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else 1
        raise InputError([Problem(str(path), line, "config", f"venue table is not valid TOML: {exc}")]) from exc
    problems: list[Problem] = []
    venues: list[Venue] = []
    raw = data.get("venues", {})
    if not isinstance(raw, dict):
        raise InputError([Problem(str(path), 1, "config", "expected [venues.<abbreviation>] tables")])
    for key, entry in raw.items():
        pos = text.find(f"venues.{key}]")
        if pos < 0:
            pos = text.find(f'venues."{key}"]')
        line = text.count("\n", 0, pos) + 1 if pos >= 0 else 1
        if not isinstance(entry, dict) or not entry.get("name") or entry.get("kind") not in ("conference", "journal"):
            problems.append(Problem(str(path), line, "config", f"venue '{key}' needs a name and kind = "
                                    "\"conference\" or \"journal\""))
            continue
        by_year = tuple(sorted((int(y), str(n)) for y, n in (entry.get("by_year") or {}).items()))
        venues.append(Venue(key=key, name=str(entry["name"]), kind=str(entry["kind"]),
                            short=str(entry.get("short", f"{key} {{year}}")),
                            aliases=tuple(str(a) for a in entry.get("aliases", []) or []), by_year=by_year))
    if problems:
        raise InputError(problems)
    return VenueTable(str(path), tuple(venues))
