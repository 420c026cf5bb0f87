"""``import-awesome --summary FILE``: what a merge changed, as Markdown for the body of a pull request.

The scheduled sync workflow opens a pull request with this text, so a maintainer reviews the
merge of the upstream list without reading the bib's diff: the counts, then one section per kind
of change (added, published, retitled, retagged, new taxonomy values, anomalies), each item with
its key and title.  Everything is sorted, so the same merge gives the same text.  When the merge
changed nothing the text starts with ``No change`` (the workflow then opens no pull request).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from sphinx_tc_ext.awesome.importer import ImportResult
from sphinx_tc_ext.core.problems import Problem
from sphinx_tc_ext.core.rules import bib_to_text
from sphinx_tc_ext.core.taxonomy import FacetValue, Taxonomy

#: The first words of a summary of a merge that changed nothing (the workflow greps for them).
NO_CHANGE = "No change"
#: Anomalies listed one by one at most; the rest are counted (a pull request body holds 65,536 characters).
MAX_ANOMALIES = 200
#: Fields whose change is a venue change (the Published section) or a title change (Retitled).
_VENUE_FIELDS = ("shortvenue", "journal", "booktitle", "type", "year", "month")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#!|~&$])")


def md_escape(text: str) -> str:
    """Text shown as itself in GitHub Markdown: one line, every mark that could start inline markup escaped.

    ``-``, ``+`` and ``.`` start markup only at the start of a line, and a summary never starts one with a title.
    """
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _text(value: str) -> str:
    return bib_to_text(value) if value else ""


def _code(value: str) -> str:
    """A key, a field or a value id as inline code (backticks inside cannot occur in these, but are dropped)."""
    return f"`{value.replace('`', '')}`"


def _where(problem: Problem, base: Path) -> str:
    """``file:line``, relative to ``base`` (the list's folder) for the list's files: the workflow downloads
    the list outside the checkout, and a reviewer looks the line up in the upstream repository."""
    path = Path(problem.path)
    try:
        resolved = path.resolve()
        shown = resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else str(path)
    except (ValueError, OSError):  # an unreadable path: as the problem gives it
        shown = str(path)
    return f"{shown}:{problem.line}"


def new_values(before: Taxonomy, after: Taxonomy) -> list[tuple[str, FacetValue]]:
    """``(facet id, value)`` of every value ``after`` has and ``before`` has not, in the taxonomy's order."""
    found = []
    for facet in after.facets:
        old = before.facet(facet.id)
        known = set(old.value_ids) if old is not None else set()
        found.extend((facet.id, value) for value in facet.values if value.id not in known)
    return found


def render_summary(result: ImportResult, taxonomy: Taxonomy, added_values: Sequence[tuple[str, FacetValue]] = (),
                   problems: Sequence[Problem] = (), source: str = "", base: Path | None = None) -> str:
    """The Markdown summary of one merge (``problems``: every anomaly reported, the taxonomy's included).

    ``base`` is the list's folder: the list's files are shown relative to it.
    """
    base = (base or Path.cwd()).resolve()
    titles = {e.key: _text(e.fields.get("title", "")) for e in result.entries}
    venues = {e.key: _text(e.fields.get("shortvenue", "")) for e in result.entries}
    added = sorted(key for action, key, _d in result.changes if action == "added")
    if not result.changes:  # a new bib: every entry is new
        added = sorted(titles)
    published = sorted(result.published)
    retitled = sorted(result.retitled)
    facet_fields = {f.field: f for f in taxonomy.facets}
    retagged = sorted(key for key, diff in result.diffs.items() if set(diff) & set(facet_fields))
    listed = set(published) | set(retitled) | set(retagged)
    other = sorted(key for key in result.diffs if key not in listed)
    unchanged = sum(1 for action, _k, _d in result.changes if action == "unchanged")
    kept = sum(1 for action, _k, _d in result.changes if action == "kept")
    shown_problems = sorted(problems, key=lambda p: (p.path, p.line, p.message))

    def item(key: str) -> str:
        return f"- {_code(key)} {md_escape(titles.get(key, ''))}".rstrip()

    head = "# Awesome list sync" + (f": {md_escape(source)}" if source else "")
    changed = bool(added or result.diffs or added_values)
    lines = [head, ""]
    if not changed:
        lines += [f"{NO_CHANGE}: the list's {result.count} papers are all in the bib as they are.", ""]
    counts = [f"{len(added)} added", f"{len(published)} published", f"{len(retitled)} retitled",
              f"{len(retagged)} retagged", f"{len(other)} with other updates", f"{unchanged} unchanged",
              f"{kept} kept (not in the list)", f"{len(added_values)} new taxonomy values",
              f"{len(shown_problems)} anomalies"]
    lines += [f"{result.count} papers in the list: " + ", ".join(counts) + ".", ""]

    def section(title: str, body: list[str], count: int | None = None) -> None:
        if body:
            lines.extend([f"## {title} ({len(body) if count is None else count})", "", *body, ""])

    def moved(key: str) -> str:
        diff = result.diffs[key]
        return f"{md_escape(_venue(diff, 0)) or 'preprint'} → {md_escape(_venue(diff, 1) or venues.get(key, ''))}"

    def renamed(key: str) -> str:
        old, new = result.diffs[key]["title"]
        return f"- {_code(key)} {md_escape(_text(old))} → {md_escape(_text(new))}"

    def retags(key: str) -> str:
        return "; ".join(f"{_code(name)}: {_tags(old)} → {_tags(new)}"
                         for name, (old, new) in sorted(result.diffs[key].items()) if name in facet_fields)

    section("Added", [item(k) for k in added])
    section("Published", [f"{item(k)}: {moved(k)}" for k in published])
    section("Retitled", [renamed(k) for k in retitled])
    section("Retagged", [f"{item(k)}: {retags(k)}" for k in retagged])
    section("Other updates", [f"{item(k)}: " + ", ".join(_code(n) for n in sorted(result.diffs[k])) for k in other])
    section("New taxonomy values", [
        f"- {_code(facet)} {_code(value.id)} (badge {_code(', '.join(value.aliases))}): describe it in "
        f"{_code(os.path.basename(taxonomy.path))}" for facet, value in added_values])
    anomalies = [f"- {_code(_where(p, base))} {md_escape(p.message)}" for p in shown_problems[:MAX_ANOMALIES]]
    if len(shown_problems) > MAX_ANOMALIES:
        anomalies.append(f"- and {len(shown_problems) - MAX_ANOMALIES} more: see the job's log")
    section("Anomalies", anomalies, len(shown_problems))
    return "\n".join(lines).rstrip("\n") + "\n"


def _venue(diff: dict[str, tuple[str, str]], side: int) -> str:
    """The venue badge text before (0) or after (1): ``shortvenue``, else the container."""
    for name in ("shortvenue", "booktitle", "journal"):
        if name in diff and diff[name][side]:
            return _text(diff[name][side])
    return ""


def _tags(value: str) -> str:
    ids = [v.strip() for v in value.split(",") if v.strip()]
    return ", ".join(_code(v) for v in ids) if ids else "none"
