"""The glossary page's reading order: terms grouped under their first letter (ㄱ, ㄴ, … then A, B, …)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lessons.catalogue import Term, sort_key

CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
PLAIN = {"ㄲ": "ㄱ", "ㄸ": "ㄷ", "ㅃ": "ㅂ", "ㅆ": "ㅅ", "ㅉ": "ㅈ"}


@dataclass(frozen=True)
class TermGroup:
    heading: str
    terms: tuple[Term, ...]


def initial_of(text: str) -> str:
    """'로드밸런서' → 'ㄹ', 'CDN' → 'C', anything else → '#'."""
    first = text.strip()[:1]
    if "가" <= first <= "힣":
        consonant = CHOSEONG[(ord(first) - ord("가")) // 588]
        return PLAIN.get(consonant, consonant)
    if first.isascii() and first.isalpha():
        return first.upper()
    return "#"


def glossary_groups(terms: Iterable[Term]) -> list[TermGroup]:
    groups: dict[str, list[Term]] = {}
    for term in sorted(terms, key=lambda term: sort_key(term.term)):
        groups.setdefault(initial_of(term.term), []).append(term)
    return [TermGroup(heading=heading, terms=tuple(items)) for heading, items in groups.items()]
