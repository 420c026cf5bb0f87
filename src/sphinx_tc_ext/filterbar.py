"""The filter bar above a paper table: server-rendered controls that ``tc.js`` wires up.

Rendered hidden, so a reader without JavaScript sees every card, grouped, and no
dead controls; the script un-hides it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .render import _Context, tc_element


def render_filterbar(ctx: _Context, table_id: str, facets: list[str], keys: list[str]) -> tc_element:
    from .render import el

    return el("div", classes=["tc-filterbar"], hidden="hidden", **{"data-for": table_id})
