"""The Korean interface catalog is complete: no untranslated or fuzzy entry."""

from __future__ import annotations

import re
from pathlib import Path

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "ko" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> list[dict[str, str]]:
    entries = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                fields["flags"] = line
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            entries.append(fields)
    return entries


def test_korean_catalog_has_no_untranslated_or_fuzzy_entries():
    entries = _entries(CATALOG.read_text(encoding="utf-8"))
    assert len(entries) > 100
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", "")]
    empty = [e["msgid"] for e in entries if not (e.get("msgstr") or e.get("msgstr[0]"))]
    assert fuzzy == [] and empty == []


def test_korean_catalog_keeps_every_placeholder():
    for entry in _entries(CATALOG.read_text(encoding="utf-8")):
        translated = entry.get("msgstr") or entry.get("msgstr[0]", "")
        for pattern in (r"%\(\w+\)s", r"\{\w+\}", r"%%"):
            assert sorted(re.findall(pattern, entry["msgid"])) == sorted(re.findall(pattern, translated)), (
                entry
            )
