"""The package's version is the release CHANGELOG.md prepares (its first ``## X.Y.Z`` heading): the wheel
that ``make test-deployment`` builds, and a user installs, says so."""

from __future__ import annotations

import re
from pathlib import Path

from airflow_provider_attio import __version__

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_the_changelogs_release() -> None:
    match = re.search(r"^## (\d+\.\d+\.\d+\S*)", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert match, "CHANGELOG.md names no release"
    assert __version__ == match.group(1)
