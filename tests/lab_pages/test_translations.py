"""Lab templates translate with the "lab" context (their strings live in sandbox/locale).

Completeness of every catalog is tested once, for the whole project, in tests/test_translations.py.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_templates_translate_with_the_lab_context():
    for path in sorted((ROOT / "templates" / "sandbox").glob("*.html")):
        text = path.read_text(encoding="utf-8")
        bare = re.findall(r"\{% (?:translate|blocktranslate)(?![^%]*context \"lab\")[^%]*%\}", text)
        assert bare == [], (path.name, bare)
