"""The documentation against the code: README.md and every page under docs/.

Links and anchors resolve; every `kiosk ...` command shown names a real subcommand of the real
parser; every `make TARGET` exists; every `python -m MODULE` is importable; the README stays a
front door; the ADR index is what scripts/adr_index.py writes; `mkdocs build --strict` passes.
Each checker is also fed a page with the mistake it looks for, so a silent checker fails too.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import build_parser
from tests.docs.doc_checks import (
    Markdown,
    check_commands,
    check_links,
    makefile_targets,
    markdown_files,
)

ROOT = Path(__file__).resolve().parents[2]
README_MAX_LINES = 300


def _load_adr_index():
    spec = importlib.util.spec_from_file_location("adr_index", ROOT / "scripts" / "adr_index.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("adr_index", module)  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def parser():
    return build_parser()


@pytest.fixture(scope="module")
def targets() -> set[str]:
    return makefile_targets(ROOT / "Makefile")


def _report(problems) -> str:
    return "\n".join(str(p) for p in problems)


# -------------------------------------------------------------------------- the real documents

def test_the_documents_exist():
    files = markdown_files(ROOT)
    names = {str(p.relative_to(ROOT)) for p in files}
    for page in ("README.md", "docs/index.md", "docs/install/index.md", "docs/technician/index.md",
                 "docs/operator/index.md", "docs/developer/index.md", "docs/protocols/index.md",
                 "docs/adr/index.md"):
        assert page in names, f"{page} is missing"


def test_every_relative_link_and_anchor_resolves():
    problems = [p for f in markdown_files(ROOT) for p in check_links(Markdown.read(f), ROOT)]
    assert not problems, "broken links:\n" + _report(problems)


def test_every_command_shown_exists(parser, targets):
    problems = [p for f in markdown_files(ROOT)
                for p in check_commands(Markdown.read(f), ROOT, parser, targets)]
    assert not problems, "commands the code does not have:\n" + _report(problems)


def test_the_commands_are_actually_found(parser, targets):
    """The extraction sees the commands the README promises (else the check above proves nothing)."""
    readme = Markdown.read(ROOT / "README.md")
    shown = {c.text for c in readme.code_lines()}
    for command in ("make run", "make test", "make bench", "make docs"):
        assert any(command in text for text in shown), f"README should show `{command}`"
    assert {"run", "test", "bench", "docs"} <= targets


def test_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines (at most {README_MAX_LINES}): move the detail into a page under docs/")


def test_adr_index_is_current():
    adr = _load_adr_index()
    want = adr.render(adr.collect(ROOT / "docs" / "adr"))
    have = (ROOT / "docs" / "adr" / "index.md").read_text(encoding="utf-8")
    assert have == want, "docs/adr/index.md is not current: run `python scripts/adr_index.py` (or `make docs`)"
    for record in sorted((ROOT / "docs" / "adr").glob("[0-9][0-9][0-9][0-9]-*.md")):
        assert f"]({record.name})" in have, f"{record.name} is not in the ADR index"


def test_mkdocs_builds_strictly(tmp_path):
    for module in ("mkdocs", "material"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (it is in the dev extras: `make setup` installs it)")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "install" / "index.html").is_file()


# ---------------------------------------------------------------- the checkers catch mistakes

BAD_PAGE = """# A page

See [the guide](missing/page.md) and [a heading](#no-such-heading) and [ok](#a-page).
Also [escape](../../../../etc/passwd) and [absolute](/docs/index.md).

```sh
$ kiosk cabinet status --json
$ kiosk cabinet explode A01
$ kiosk frobnicate
$ make deploy-everything
$ .venv/bin/python -m hw_sim.no_such_module
kiosk run: this is output and not checked
```

Inline: `kiosk locker scan|status|wiggle`, `make run`, `python -m no_such_pkg_xyz`.
"""


def _bad_page(tmp_path: Path) -> Markdown:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    page = root / "docs" / "bad.md"
    page.write_text(BAD_PAGE, encoding="utf-8")
    return Markdown.read(page)


def test_link_checker_names_file_and_line(tmp_path):
    doc = _bad_page(tmp_path)
    problems = check_links(doc, tmp_path / "repo")
    text = _report(problems)
    assert f"{doc.path}:3: link 'missing/page.md': no such file" in text
    assert f"{doc.path}:3: link '#no-such-heading'" in text
    assert "#a-page" not in text
    assert f"{doc.path}:4: link '../../../../etc/passwd' leaves the repository" in text
    assert f"{doc.path}:4: link '/docs/index.md' is absolute" in text
    assert len(problems) == 4


def test_command_checker_names_file_and_line(tmp_path, parser, targets):
    doc = _bad_page(tmp_path)
    problems = check_commands(doc, ROOT, parser, targets)
    text = _report(problems)
    assert f"{doc.path}:8: `kiosk cabinet explode`: no such subcommand" in text
    assert f"{doc.path}:9: `kiosk frobnicate`: no such subcommand" in text
    assert f"{doc.path}:10: `make deploy-everything`: the Makefile has no target" in text
    assert f"{doc.path}:11: `python -m hw_sim.no_such_module`: no module file" in text
    assert f"{doc.path}:15: `kiosk locker wiggle`: no such subcommand" in text
    assert f"{doc.path}:15: `python -m no_such_pkg_xyz`: no such module" in text
    assert ":7:" not in text and ":12:" not in text
    assert "`kiosk locker scan`" not in text and "`kiosk locker status`" not in text
    assert len(problems) == 6, text


def test_anchor_spellings_of_github_and_mkdocs():
    doc = Markdown(Path("x.md"), (
        "# The cabinet: lock boards, compartments",
        "## Configuration (`[fleet]` in the station TOML)",
        "## Camera and face verification (人证核验)",
        "## Tasks",
        "## Tasks",
        "```",
        "# not a heading",
        "```",
    ))
    anchors = doc.anchors()
    assert "the-cabinet-lock-boards-compartments" in anchors
    assert "configuration-fleet-in-the-station-toml" in anchors
    assert "camera-and-face-verification-人证核验" in anchors      # GitHub keeps CJK
    assert "camera-and-face-verification" in anchors              # Python-Markdown drops it
    assert {"tasks", "tasks-1", "tasks_1"} <= anchors
    assert "not-a-heading" not in anchors


# ------------------------------------------------------------------------- the ADR index script

def test_adr_index_reads_status_and_refuses_a_record_without_title(tmp_path):
    adr_dir = tmp_path / "adr"
    adr_dir.mkdir()
    (adr_dir / "0001-old-style.md").write_text("# 0001 Old style\n\n## Context\nStatus: `online` is a device word\n")
    (adr_dir / "0150-new-style.md").write_text("# 0150 New style\n\n## Status\nProposed\n\n## Context\nx\n")
    (adr_dir / "0151-line-style.md").write_text("# ADR 0151: Line style | piped\nStatus: Superseded by 0152\n\n## Context\n")
    script = ROOT / "scripts" / "adr_index.py"
    run = lambda *a: subprocess.run([sys.executable, str(script), "--dir", str(adr_dir), *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=60)

    assert run("--check").returncode == 1
    assert run().returncode == 0
    index = (adr_dir / "index.md").read_text()
    assert "| [0001](0001-old-style.md) | Old style | Accepted |" in index
    assert "| [0150](0150-new-style.md) | New style | Proposed |" in index
    assert "| [0151](0151-line-style.md) | Line style \\| piped | Superseded by 0152 |" in index
    assert run("--check").returncode == 0

    (adr_dir / "0152-no-title.md").write_text("just text\n")
    done = run()
    assert done.returncode == 2
    assert "0152-no-title.md" in done.stderr and "heading" in done.stderr
    assert (adr_dir / "index.md").read_text() == index, "a failed run must leave the old index as it was"
    assert not [p for p in adr_dir.iterdir() if p.name.startswith(".index.md.")], "no temp file left behind"

    (adr_dir / "0152-no-title.md").write_text("# 0150 Same number\n")
    (adr_dir / "0150-dup.md").write_text("# 0150 Dup\n")
    done = run()
    assert done.returncode == 2 and "0150 used twice" in done.stderr
