"""``python -m bench [NAME ...]`` (``make bench``): run the benchmarks of this folder.

Every ``bench/*.py`` script whose name doesn't start with ``_`` is a benchmark (``bench_*.py`` by
convention). Each runs in its own Python process, so benchmarks don't share a GIL, imports or state,
and prints its own results, as ratios against a baseline it measures in the same run (absolute numbers
depend on the machine). Give names (or parts of names) to run only those, e.g. ``python -m bench bulk``.
The exit status is non-zero if any benchmark failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover(selected: list[str]) -> list[Path]:
    """The benchmark scripts, sorted by name, filtered by ``selected`` substrings when given."""
    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    if selected:
        scripts = [p for p in scripts if any(name in p.stem for name in selected)]
    return scripts


def main(argv: list[str]) -> int:
    scripts = discover(argv)
    if not scripts:
        print(f"No benchmark matches {argv}; available: {[p.stem for p in discover([])]}", file=sys.stderr)
        return 2
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], check=False, cwd=HERE.parent)
        print(
            f"=== {script.stem}: {'ok' if result.returncode == 0 else 'FAILED'} "
            f"in {time.monotonic() - started:.0f}s ===",
            flush=True,
        )
        if result.returncode != 0:
            failed.append(script.stem)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
