"""Folding of text for case-insensitive substring search in every script, ё as е."""

from __future__ import annotations


def fold(text: str) -> str:
    return text.casefold().replace("ё", "е")


def search_text(*parts: str | None) -> str:
    """The one column the substring index covers: every searchable field, folded."""
    return fold(" \x1f ".join(part for part in parts if part))
