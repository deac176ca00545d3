"""``python -m bench [--full] [NAME ...]`` (``make bench``, ``make bench-full``): run the benchmarks.

Every ``bench/*.py`` script whose name doesn't start with ``_`` is a benchmark (``bench_*.py`` by
convention). Each runs in its own Python process, so benchmarks don't share a GIL, imports or state,
and prints its own results, as ratios against a baseline it measures in the same run (absolute numbers
depend on the machine). Give names (or parts of names) to run only those, e.g. ``python -m bench bulk``.

By default each script runs its headline rows only (all of them in a few minutes on a 2-core machine);
``--full`` is passed on to every script, which then runs its complete tables (about half an hour in all).
The exit status is non-zero if any benchmark failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
USAGE = "usage: python -m bench [--full] [NAME ...]"


def discover(selected: list[str]) -> list[Path]:
    """The benchmark scripts, sorted by name, filtered by ``selected`` substrings when given."""
    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    if selected:
        scripts = [p for p in scripts if any(name in p.stem for name in selected)]
    return scripts


def run(script: Path, options: list[str]) -> bool:
    """Run one benchmark script with ``options``, framed by its name, status and wall time."""
    print(f"\n=== {' '.join([script.stem, *options])} ===", flush=True)
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(script), *options], check=False, cwd=HERE.parent)
    print(
        f"=== {script.stem}: {'ok' if result.returncode == 0 else 'FAILED'} "
        f"in {time.monotonic() - started:.0f}s ===",
        flush=True,
    )
    return result.returncode == 0


def main(argv: list[str]) -> int:
    if any(arg in ("-h", "--help") for arg in argv):
        print(__doc__)
        return 0
    unknown = [arg for arg in argv if arg.startswith("-") and arg != "--full"]
    if unknown:
        print(f"{USAGE}\nunknown option(s): {' '.join(unknown)}", file=sys.stderr)
        return 2
    options = ["--full"] if "--full" in argv else []
    names = [arg for arg in argv if not arg.startswith("-")]
    scripts = discover(names)
    if not scripts:
        print(f"No benchmark matches {names}; available: {[p.stem for p in discover([])]}", file=sys.stderr)
        return 2
    print("Complete tables (--full)." if options else "Headline rows; `make bench-full` for complete tables.")
    started = time.monotonic()
    failed = [script.stem for script in scripts if not run(script, options)]
    print(f"\n{len(scripts)} benchmark(s) in {time.monotonic() - started:.0f}s", flush=True)
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
