"""Helpers shared by test modules (import as ``from tc_testing import ...``; ``tests/`` is on pythonpath)."""

from __future__ import annotations

from pathlib import Path

ROOTS = Path(__file__).parent / "roots"
REPO = Path(__file__).parent.parent


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")
