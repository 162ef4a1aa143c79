"""Run every benchmark in tests/bench/ one after another and print their figures.

Run: .venv/bin/python -m tests.bench.run_all   (or `make bench`)
Each benchmark is its own module (`bench_*.py`, runnable alone with `python -m tests.bench.<name>`);
they run in separate processes so one's servers and caches never skew another's figures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        module = f"tests.bench.{script.stem}"
        print(f"\n===== {module} =====", flush=True)
        if subprocess.run([sys.executable, "-m", module, *sys.argv[1:]], check=False).returncode != 0:
            failed.append(module)
    if failed:
        print(f"\nThese benchmarks failed to run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
