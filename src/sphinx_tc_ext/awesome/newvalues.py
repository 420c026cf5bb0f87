"""``import-awesome --add-values``: the list's unknown tags added to the taxonomy file as new values.

A living list grows new tags (VLA, GUI-Agent...); dropping them loses papers' areas.  Each unknown
tag becomes a value of the facet its badge belongs to, with the tag as alias and placeholders a
maintainer fills in.  A tag close to an existing value ('Video-LLMs') is more likely a variant than a
new value: it is not added, and the report suggests making it an alias.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sphinx_tc_ext.awesome.layout import Layout
from sphinx_tc_ext.awesome.rows import read_rows
from sphinx_tc_ext.core.problems import InputError, Problem
from sphinx_tc_ext.core.taxonomy import FacetValue, Taxonomy, insert_values, parse_taxonomy
from sphinx_tc_ext.core.textio import decode_utf8

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

#: The description of an added value, for the maintainer to replace.
PLACEHOLDER = "TODO: describe"
#: Colours given to new values, in order, skipping those the taxonomy already uses.
_PALETTE = ("#0e7490", "#b45309", "#be123c", "#4d7c0f", "#1d4ed8", "#a21caf", "#0f766e", "#c2410c",
            "#4338ca", "#15803d", "#9f1239", "#57534e")
#: How similar (difflib ratio of the lowercase texts) a tag must be to an existing value to count as a variant.
NEAR_MISS = 0.85


@dataclass
class Extension:
    """The taxonomy with the list's new tags: the file's new text, the parsed taxonomy, what was done."""

    text: str  # with the byte-order mark, if the file had one
    taxonomy: Taxonomy
    problems: list[Problem]
    added: int


def unknown_tags(files: Sequence[Path], taxonomy: Taxonomy, layout: Layout | None = None) -> dict[tuple[str, str],
                                                                                                      list[str]]:
    """``(facet id, tag) -> rows`` of every badge text the taxonomy does not know, over all files."""
    found: dict[tuple[str, str], list[str]] = {}
    read_rows(files, taxonomy, [], layout, unknown=found)
    return found


def value_id(tag: str) -> str:
    """The id of a value made from a tag: lowercase, runs of other characters as '-' (GUI-Agent -> gui-agent)."""
    return re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")


def _unused_colours(taxonomy: Taxonomy) -> list[str]:
    used = {v.color.lower() for f in taxonomy.facets for v in f.values}
    return [c for c in _PALETTE if c not in used] or list(_PALETTE)


def extend_taxonomy(taxonomy: Taxonomy, unknown: dict[tuple[str, str], list[str]]) -> Extension:
    """Add each unknown tag as a value of its facet; near-misses and bad ids are reported, not added."""
    data = Path(taxonomy.path).read_bytes()
    original, bom = decode_utf8(data)
    text = original
    problems: list[Problem] = []
    colours = _unused_colours(taxonomy)
    raw_facets = tomllib.loads(text).get("facets", [])
    planned: dict[str, list[tuple[FacetValue, str, str]]] = {}  # facet id -> (value, tag, first row)
    for (facet_id, tag), where in sorted(unknown.items()):
        facet = taxonomy.facet(facet_id)
        if facet is None:
            continue
        new_id = value_id(tag)
        line = taxonomy.key_line(facet_id, key="id")
        known = [(text_, v.id) for v in facet.values for text_ in (v.id, v.label, *v.aliases)]
        known += [(text_, v.id) for v, _t, _w in planned.get(facet_id, []) for text_ in (v.id, *v.aliases)]
        same = next((vid for text_, vid in known if value_id(text_) == new_id), None)
        if same is not None:  # e.g. 'GUI Agent' after 'GUI-Agent': one value, one more alias
            for n, (value, first_tag, first_where) in enumerate(planned.get(facet_id, [])):
                if value.id == same:
                    planned[facet_id][n] = (replace(value, aliases=(*value.aliases, tag)), first_tag, first_where)
                    break
            else:
                problems.append(Problem(taxonomy.path, line, "taxonomy", f"{facet_id} tag '{tag}' at {where[0]} "
                                        f"reads as value '{same}' but is not one of its aliases; not added: add "
                                        f"\"{tag}\" to the aliases of '{same}'", code="new-value"))
            continue
        close = difflib.get_close_matches(tag.lower(), [t.lower() for t, _v in known], n=1, cutoff=NEAR_MISS)
        if close:
            text_, vid = next((t, v) for t, v in known if t.lower() == close[0])
            problems.append(Problem(taxonomy.path, line, "taxonomy", f"{facet_id} tag '{tag}' at {where[0]} is close "
                                    f"to '{text_}' of value '{vid}'; not added: if it means the same, add \"{tag}\" "
                                    f"to the aliases of '{vid}', else rename the badge", code="new-value"))
            continue
        if not new_id:
            problems.append(Problem(taxonomy.path, line, "taxonomy", f"{facet_id} tag '{tag}' at {where[0]} has no "
                                    "letter or digit to make an id of; not added: add a value by hand",
                                    code="new-value"))
            continue
        colour = colours[sum(len(v) for v in planned.values()) % len(colours)]
        value = FacetValue(id=new_id, label=tag.replace("-", " "), description=PLACEHOLDER, color=colour,
                           aliases=(tag,))
        planned.setdefault(facet_id, []).append((value, tag, where[0]))
    added = 0
    for facet_id, items in planned.items():
        index = next(i for i, f in enumerate(raw_facets) if isinstance(f, dict) and f.get("id") == facet_id)
        text, id_lines = insert_values(text, index, [value for value, _t, _w in items])
        for (value, tag, where), line in zip(items, id_lines, strict=True):
            problems.append(Problem(taxonomy.path, line, "taxonomy", f"added {facet_id} value '{value.id}' (tag {tag} "
                                    f"at {where}); fill in its label, colour and description", code="new-value"))
            added += 1
    try:
        extended = parse_taxonomy(tomllib.loads(text), taxonomy.path, text)
    except (tomllib.TOMLDecodeError, InputError) as exc:  # the insertion broke the file: keep it as it is
        problems = [Problem(taxonomy.path, 1, "taxonomy", f"could not add the new values ({exc}); the taxonomy is "
                            "left as it is: add them by hand", code="new-value")]
        return Extension("\ufeff" * bom + original, taxonomy, problems, 0)
    return Extension("\ufeff" * bom + text, extended, problems, added)
