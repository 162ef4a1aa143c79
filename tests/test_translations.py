"""Korean is complete: every translatable string in the code has a Korean translation.

The interface strings live in two catalogs (Django merges them): `locale/` for the lessons,
accounts and shared pages, `sandbox/locale/` for the lab. Engine messages and lesson texts are
not gettext strings; their completeness is tested in tests/engine and tests/lessons.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = [
    ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po",
    ROOT / "sandbox" / "locale" / "ko" / "LC_MESSAGES" / "django.po",
]
PLACEHOLDERS = (r"%\(\w+\)s", r"\{\w+\}", r"%%")


def po_entries(text: str) -> list[dict[str, str]]:
    """The entries of a .po file as {msgctxt?, msgid, msgstr…, flags?} (the header left out)."""
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


def _translated(entry: dict[str, str]) -> str:
    return entry.get("msgstr") or entry.get("msgstr[0]", "")


@cache
def strings_in_code(tmp_dir: str) -> frozenset[tuple[str, str]]:
    """(context, msgid) of every string the code marks for translation, as Django's makemessages
    finds them — run on a copy of the code with no catalogs, so the real ones stay untouched."""
    copy = Path(tmp_dir) / "code"
    for name in ("manage.py", "config", "lessons", "sandbox", "templates"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("locale", "__pycache__"))
        else:
            (copy).mkdir(parents=True, exist_ok=True)
            shutil.copy(source, copy / name)
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ko", "-v0"],
        cwd=copy,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    extracted = po_entries((copy / "locale" / "ko" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    return frozenset((entry.get("msgctxt", ""), entry["msgid"]) for entry in extracted)


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: str(path.relative_to(ROOT)))
def test_catalog_has_no_untranslated_or_fuzzy_entry(catalog: Path):
    entries = po_entries(catalog.read_text(encoding="utf-8"))
    assert entries, f"{catalog} is empty"
    assert [e["msgid"] for e in entries if "fuzzy" in e.get("flags", "")] == []
    assert [e["msgid"] for e in entries if not _translated(e)] == []


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: str(path.relative_to(ROOT)))
def test_catalog_keeps_every_placeholder(catalog: Path):
    for entry in po_entries(catalog.read_text(encoding="utf-8")):
        for pattern in PLACEHOLDERS:
            assert sorted(re.findall(pattern, entry["msgid"])) == sorted(
                re.findall(pattern, _translated(entry))
            ), entry


def test_every_string_in_the_code_has_a_korean_translation(tmp_path_factory: pytest.TempPathFactory):
    have = {
        (entry.get("msgctxt", ""), entry["msgid"])
        for catalog in CATALOGS
        for entry in po_entries(catalog.read_text(encoding="utf-8"))
        if _translated(entry)
    }
    missing = sorted(strings_in_code(str(tmp_path_factory.mktemp("makemessages"))) - have)
    assert missing == [], "translate these in locale/ or sandbox/locale/ (context, msgid)"
