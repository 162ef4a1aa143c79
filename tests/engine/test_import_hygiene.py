"""The engine is a library: it imports nothing from Django, channels or rq."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "sandbox" / "engine"
FORBIDDEN = ("django", "channels", "rq", "django_rq", "redis")


def test_no_engine_module_imports_a_web_framework() -> None:
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_importing_and_running_the_engine_loads_none_of_them() -> None:
    code = (
        "import sys; import sandbox.engine as e; "
        "s = e.Simulation.from_preset('full'); s.step(20); e.FrameEncoder(s).frame(); s.snapshot(); "
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]; "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
