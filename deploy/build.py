"""The provider as a user's pip installs it: an sdist and a wheel built from the clone, checked, installed.

Not an editable install: the deployment imports the package from the venv's site-packages, so a file
missing from the wheel fails here as it would for a user.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

NAME = "airflow_provider_attio"


def changelog_version(root: Path) -> str:
    """The version of the CHANGELOG's first ``## X.Y.Z`` heading (the release being prepared)."""
    match = re.search(r"^## (\d+\.\d+\.\d+\S*)", (root / "CHANGELOG.md").read_text(), re.MULTILINE)
    if not match:
        raise RuntimeError("CHANGELOG.md names no version (a '## X.Y.Z' heading)")
    return match.group(1)


def build(root: Path, dist: Path) -> tuple[Path, Path]:
    """Build the sdist and the wheel into ``dist``; ``twine check`` both. Return (sdist, wheel)."""
    dist.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    # --no-isolation: hatchling comes from this venv (deploy/requirements.txt), not a download per build.
    _run([python, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(dist), str(root)])
    (sdist,) = dist.glob(f"{NAME}-*.tar.gz")
    (wheel,) = dist.glob(f"{NAME}-*.whl")
    _run([python, "-m", "twine", "check", "--strict", str(sdist), str(wheel)])
    return sdist, wheel


def wheel_version(wheel: Path) -> str:
    """The version in the wheel's own metadata (not its file name)."""
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
    match = re.search(r"^Version: (\S+)$", text, re.MULTILINE)
    assert match, "the wheel's METADATA has no Version"
    return match.group(1)


def install(wheel: Path, cwd: Path) -> Path:
    """Install the wheel (replacing any earlier one) and return where Python imports the package from."""
    python = sys.executable
    _run([python, "-m", "pip", "uninstall", "--yes", "--quiet", "airflow-provider-attio"])
    _run([python, "-m", "pip", "install", "--quiet", str(wheel)])
    # From another folder than the clone's root, so the clone's own package can't shadow the installed one.
    where = _run([python, "-c", f"import {NAME}; print({NAME}.__file__)"], cwd=cwd).strip()
    return Path(where)


def _run(argv: list[str], cwd: Path | None = None) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, cwd=cwd)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout
