"""The documentation: the MkDocs site builds with --strict (a broken link, a missing page or an
anchor that does not exist fails), and the repository's own Markdown (README.md, RESULTS.md)
links only to files and anchors that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def test_the_site_builds_strictly(tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    done = subprocess.run([str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "index.html").is_file()


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return out


@pytest.mark.parametrize("name", ["README.md", "RESULTS.md"])
def test_repository_markdown_links_resolve(name):
    path = ROOT / name
    text = path.read_text(encoding="utf-8")
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+://", target):
            continue
        file, _, anchor = target.partition("#")
        resolved = (path.parent / file) if file else path
        if not resolved.exists():
            broken.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved.read_text(encoding="utf-8")):
            broken.append(target)
    assert not broken, f"{name} links to what does not exist: {broken}"


def test_pages_speak_to_users():
    """Pages are for users: no word of the project's own bookkeeping."""
    words = re.compile(r"\b(this session|the issue|issue's|sessions?\b(?! of))", re.IGNORECASE)
    pages = [ROOT / "README.md", ROOT / "RESULTS.md", *sorted((ROOT / "docs").glob("*.md"))]
    found = [f"{p.name}: {m.group(0)!r}" for p in pages for m in words.finditer(p.read_text(encoding="utf-8"))]
    assert not found, found


def test_readme_is_short():
    # the reference lives in docs/; the README is what it is, the two commands, the headline, quick starts
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 300


def test_the_field_reference_is_generated_from_the_code():
    """docs/reference.md is what docs/generate_reference.py renders from the classes: a new field,
    a changed default or help text fails here until the page is regenerated."""
    import runpy

    render = runpy.run_path(str(ROOT / "docs" / "generate_reference.py"))["render"]
    assert (ROOT / "docs" / "reference.md").read_text(encoding="utf-8") == render(), \
        "docs/reference.md is stale: run .venv/bin/python docs/generate_reference.py"
