"""The README and the guide in docs/: every relative link resolves, anchors included; the README stays short.

Reads only Markdown files of this repository, and never follows a link out of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from posixpath import normpath
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[2]
README_MAX_LINES = 400

FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")  # any indent: fences inside list items count too
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target) or [text](target "title"); the text may hold one level of brackets.
LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
SKIPPED_SCHEMES = ("http://", "https://", "mailto:")


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (line number, line) for the lines outside fenced code blocks."""
    fence = ""
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if fence:
            closing = line.strip()
            if match and closing == fence[0] * len(closing) and len(closing) >= len(fence):
                fence = ""
            continue
        if match:
            fence = match.group(1)
            continue
        yield number, line


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped except - and _, spaces to hyphens."""
    text = LINK.sub(r"\1", heading)  # a link in a heading contributes its text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags are dropped
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file, with GitHub's -1, -2... for repeated headings."""
    seen: dict[str, int] = {}
    found = set()
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> Iterator[tuple[int, str]]:
    """Yield (line number, target) for each relative link outside code blocks and code spans."""
    for number, line in prose_lines(text):
        # A code span is no link, but a link's text may be one: keep the span's place, drop its brackets.
        line = CODE_SPAN.sub(lambda m: "`" + re.sub(r"[\[\]()]", "", m.group(2)) + "`", line)
        for match in LINK.finditer(line):
            target = match.group(2)
            if target and not target.lower().startswith(SKIPPED_SCHEMES):
                yield number, target


def broken_links() -> tuple[list[str], int]:
    """Return a description of every broken link, and how many links were checked."""
    broken: list[str] = []
    checked = 0
    cache: dict[Path, set[str]] = {}
    for source in markdown_files():
        where = source.relative_to(ROOT).as_posix()
        for number, target in links(source.read_text(encoding="utf-8")):
            checked += 1
            file_part, _, anchor = target.partition("#")
            if file_part:
                relative = normpath((source.parent.relative_to(ROOT) / unquote(file_part)).as_posix())
                if relative == ".." or relative.startswith("../") or Path(relative).is_absolute():
                    broken.append(f"{where}:{number}: {target} points outside the repository")
                    continue
                resolved = ROOT / relative
                if not resolved.exists():
                    broken.append(f"{where}:{number}: {target}: no file {relative}")
                    continue
            else:
                resolved = source
            if anchor and resolved.suffix == ".md":
                if resolved not in cache:
                    cache[resolved] = anchors(resolved)
                if unquote(anchor) not in cache[resolved]:
                    name = resolved.relative_to(ROOT).as_posix()
                    broken.append(f"{where}:{number}: {target}: {name} has no heading #{anchor}")
    return broken, checked


def test_every_relative_link_resolves() -> None:
    broken, checked = broken_links()
    assert checked >= 50, f"only {checked} relative links found: is the link pattern still right?"
    assert not broken, f"{len(broken)} broken link(s):\n" + "\n".join(broken)


def test_readme_is_a_landing_page() -> None:
    lines = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines: move detail to docs/ (at most {README_MAX_LINES})"
    )


def test_the_guide_has_its_pages() -> None:
    pages = {path.name for path in (ROOT / "docs").glob("*.md")}
    expected = {"README.md", "connection.md", "operators.md", "sensor.md", "syncs.md", "scale.md"}
    expected |= {"performance.md", "emulator.md", "troubleshooting.md"}
    assert expected <= pages, sorted(expected - pages)


def test_slugs_follow_github() -> None:
    assert (
        slug("Delete one record: `AttioDeleteRecordOperator`")
        == "delete-one-record-attiodeleterecordoperator"
    )
    assert slug("Retries and `if_not_found`") == "retries-and-if_not_found"
    assert slug("Scale: many tasks, one workspace budget") == "scale-many-tasks-one-workspace-budget"
    assert slug("From the command line: `serve`") == "from-the-command-line-serve"
    assert slug("How many sensors?") == "how-many-sensors"
    assert slug("A [linked](other.md) heading") == "a-linked-heading"


def test_links_skip_code_and_external_targets() -> None:
    page = (
        "[a](a.md) [web](https://example.com) [mail](mailto:x@example.com) `[not](code.md)`\n"
        "[`code text`](b.md#part) [same page](#top)\n"
        "```python\n[in](fence.md)\n# not a heading\n```\n"
        "  ~~~~\n  [in](tilde.md)\n  ```\n  ~~~~\n"
        "[after](c.md)\n"
    )
    assert [target for _, target in links(page)] == ["a.md", "b.md#part", "#top", "c.md"]
