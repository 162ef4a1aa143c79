"""The lab's Korean catalog (sandbox/locale) is complete: every lab string, no fuzzy entries."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "sandbox" / "locale" / "ko" / "LC_MESSAGES" / "django.po"
SOURCES = [
    *sorted((ROOT / "templates" / "sandbox").glob("*.html")),
    ROOT / "templates" / "lessons" / "_lab_slot.html",
    ROOT / "sandbox" / "presentation.py",
    ROOT / "sandbox" / "views.py",
]


def _entries() -> list[dict[str, str]]:
    entries = []
    for block in CATALOG.read_text(encoding="utf-8").split("\n\n"):
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


def _used() -> set[tuple[str, str]]:
    """(context, msgid) of every lab string in the templates and Python the catalog covers."""
    used = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for quote in ('"', "'"):
            pattern = rf"\{{% translate {quote}([^{quote}]*){quote} context \"(\w[\w ]*)\" %\}}"
            used |= {(context, msgid.replace("%", "%%")) for msgid, context in re.findall(pattern, text)}
        used |= {(c, m) for c, m in re.findall(r'pgettext_lazy\(\s*"([^"]+)",\s*"([^"]*)"\s*\)', text)}
    return used


def test_catalog_has_no_untranslated_or_fuzzy_entries():
    entries = _entries()
    assert len(entries) > 200
    assert [e["msgid"] for e in entries if "fuzzy" in e.get("flags", "")] == []
    assert [e["msgid"] for e in entries if not (e.get("msgstr") or e.get("msgstr[0]"))] == []


def test_catalog_keeps_every_placeholder():
    for entry in _entries():
        translated = entry.get("msgstr") or entry.get("msgstr[0]", "")
        for pattern in (r"%\(\w+\)s", r"\{\w+\}", r"%%"):
            original = sorted(re.findall(pattern, entry["msgid"]))
            assert original == sorted(re.findall(pattern, translated)), entry


def test_every_lab_string_is_in_the_catalog():
    have = {(e.get("msgctxt", ""), e["msgid"]) for e in _entries()}
    missing = sorted(_used() - have)
    assert missing == []


def test_templates_translate_with_the_lab_context():
    for path in sorted((ROOT / "templates" / "sandbox").glob("*.html")):
        text = path.read_text(encoding="utf-8")
        bare = re.findall(r"\{% (?:translate|blocktranslate)(?![^%]*context \"lab\")[^%]*%\}", text)
        assert bare == [], (path.name, bare)
