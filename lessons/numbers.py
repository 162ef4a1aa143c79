"""How a number is written in each page language — the one rule lesson text and charts share.

English groups thousands with commas (10,000,000). Korean counts in 만 (10⁴) and 억 (10⁸), the
way Korean readers say large numbers: 10,000,000 → "1,000만", 120,000 → "12만",
123,456,789 → "1억 2,345만 6,789". Numbers below 10,000 are written with plain digits in both.
"""

from __future__ import annotations

MAN = 10_000
EOK = 100_000_000


def number_format(value: float | int, *, lang: str) -> str:
    """Format a number for `lang` ('ko' or 'en'); whole floats lose their '.0'."""
    if isinstance(value, float) and not value.is_integer():
        return _decimal(value)
    whole = int(value)
    if lang == "ko" and abs(whole) >= MAN:
        return _korean_units(whole)
    return f"{whole:,}"


def _decimal(value: float) -> str:
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _korean_units(whole: int) -> str:
    sign = "-" if whole < 0 else ""
    rest = abs(whole)
    parts = []
    for unit, name in ((EOK, "억"), (MAN, "만")):
        count, rest = divmod(rest, unit)
        if count:
            parts.append(f"{count:,}{name}")
    if rest:
        parts.append(f"{rest:,}")
    return sign + " ".join(parts)


def number_compact(value: int, *, lang: str) -> str:
    """A short form for tight spaces (the index's ladder): 10,000,000 → "10M" in English; Korean
    already writes it short ("1,000만")."""
    if lang == "ko":
        return number_format(value, lang=lang)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if abs(value) >= size and value % size == 0:
            return f"{value // size:,}{suffix}"
    return number_format(value, lang=lang)
