"""Reads the project's Markdown and finds what no longer matches the code: broken relative links and
anchors, `kiosk` subcommands the CLI does not have, `make` targets the Makefile does not have,
`python -m` modules that cannot be imported. Each finding is a `Problem` naming file:line.

Commands are taken from code: fenced blocks in a shell-like language (or none) and inline code
spans. In a fenced block that shows a prompt (`$ `), only the prompted lines are commands; the
rest is output. ALL-CAPS words, `...` and `<...>` are placeholders and are not checked.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SHELL_LANGS = {"", "sh", "bash", "shell", "console", "text"}
SEGMENT_SPLIT = re.compile(r"\s*(?:&&|\|\||;|\s\|\s)\s*")
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}"


@dataclass(frozen=True)
class CodeLine:
    """One line of code shown in a document: from a fenced block or an inline span."""

    file: Path
    line: int
    text: str
    inline: bool


@dataclass(frozen=True)
class Markdown:
    path: Path
    lines: tuple[str, ...]

    @classmethod
    def read(cls, path: Path) -> Markdown:
        return cls(path, tuple(path.read_text(encoding="utf-8").splitlines()))

    def prose(self) -> Iterator[tuple[int, str]]:
        """(line number, text) of every line outside fenced blocks."""
        fence = None
        for n, line in enumerate(self.lines, 1):
            m = FENCE.match(line)
            if m:
                if fence is None:
                    fence = m.group(1)[0]
                    continue
                if m.group(1)[0] == fence and not m.group(2):
                    fence = None
                    continue
            if fence is None:
                yield n, line

    def code_lines(self) -> Iterator[CodeLine]:
        yield from self._fenced()
        for n, line in self.prose():
            for m in INLINE_CODE.finditer(line):
                yield CodeLine(self.path, n, m.group(2).strip(), True)

    def _fenced(self) -> Iterator[CodeLine]:
        block: list[tuple[int, str]] = []
        fence, lang = None, ""
        for n, line in enumerate(self.lines, 1):
            m = FENCE.match(line)
            if fence is None:
                if m:
                    fence, lang, block = m.group(1)[0], m.group(2).lower(), []
                continue
            if m and m.group(1)[0] == fence and not m.group(2):
                if lang in SHELL_LANGS:
                    prompted = [(k, t[2:]) for k, t in block if t.startswith("$ ")]
                    for k, text in prompted or block:
                        yield CodeLine(self.path, k, text, False)
                fence = None
                continue
            block.append((n, line))

    def anchors(self) -> set[str]:
        """Every anchor a heading gets, in GitHub's and in Python-Markdown's (MkDocs') spelling."""
        out: set[str] = set()
        seen_gh: dict[str, int] = {}
        seen_md: dict[str, int] = {}
        for _, line in self.prose():
            m = HEADING.match(line)
            if not m:
                continue
            text = m.group(2)
            custom = re.search(r"\{\s*#([\w-]+)[^}]*\}\s*$", text)
            if custom:
                out.add(custom.group(1))
                text = text[: custom.start()].strip()
            plain = _plain_heading(text)
            for slug, seen, sep in ((_github_slug(plain), seen_gh, "-"), (_markdown_slug(plain), seen_md, "_")):
                count = seen.get(slug, 0)
                seen[slug] = count + 1
                out.add(slug if count == 0 else f"{slug}{sep}{count}")
        return out


def _plain_heading(text: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[`*]", "", text).strip()


def _github_slug(text: str) -> str:
    text = re.sub(r"[^\w\- ]", "", text.lower(), flags=re.UNICODE)
    return text.replace(" ", "-")


def _markdown_slug(text: str) -> str:
    """Python-Markdown's default `toc` slugify (what MkDocs uses)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


# ------------------------------------------------------------------------------------------ links

def check_links(doc: Markdown, root: Path) -> list[Problem]:
    problems = []
    anchors_of: dict[Path, set[str]] = {}
    for n, line in doc.prose():
        for m in LINK.finditer(INLINE_CODE.sub("", line)):
            target = m.group(1)
            if re.match(r"^[a-zA-Z][\w+.-]*:", target):  # http:, mailto:, ...
                continue
            if target.startswith("/"):
                problems.append(Problem(doc.path, n, f"link {target!r} is absolute; use a relative link"))
                continue
            path_part, _, anchor = target.partition("#")
            dest = (doc.path.parent / path_part).resolve() if path_part else doc.path.resolve()
            if not dest.is_relative_to(root.resolve()):
                problems.append(Problem(doc.path, n, f"link {target!r} leaves the repository"))
                continue
            if not dest.exists():
                problems.append(Problem(doc.path, n, f"link {target!r}: no such file {dest.relative_to(root.resolve())}"))
                continue
            if anchor and dest.suffix == ".md":
                if dest not in anchors_of:
                    anchors_of[dest] = Markdown.read(dest).anchors()
                if anchor not in anchors_of[dest]:
                    problems.append(Problem(doc.path, n, f"link {target!r}: {dest.name} has no heading #{anchor}"))
    return problems


# --------------------------------------------------------------------------------------- commands

def _placeholder(token: str) -> bool:
    return token in {"...", "…"} or token.startswith("<") or (token.isupper() and len(token) > 1)


def _segments(code: CodeLine) -> Iterator[list[str]]:
    for part in SEGMENT_SPLIT.split(code.text):
        try:
            tokens = shlex.split(part, comments=True)
        except ValueError:
            tokens = part.split()
        while tokens and re.match(r"^[A-Z_][A-Z0-9_]*=", tokens[0]):  # KIOSK_CONFIG=path make run
            tokens = tokens[1:]
        if tokens:
            yield tokens


def _is_prog(token: str, name: str) -> bool:
    return token == name or token.endswith("/" + name)


def check_commands(doc: Markdown, root: Path, parser: argparse.ArgumentParser,
                   make_targets: set[str]) -> list[Problem]:
    problems = []
    for code in doc.code_lines():
        for tokens in _segments(code):
            head, rest = tokens[0], tokens[1:]
            if _is_prog(head, "kiosk"):
                if rest and rest[0].endswith(":"):
                    continue  # program output such as "kiosk run: station up", not a command
                problems += [Problem(code.file, code.line, w) for w in kiosk_path_problems(parser, rest)]
            elif head == "make":
                for target in (t for t in rest if not t.startswith("-") and "=" not in t):
                    if not _placeholder(target) and target not in make_targets:
                        problems.append(Problem(code.file, code.line,
                                                f"`make {target}`: the Makefile has no target {target!r} "
                                                f"(targets: {', '.join(sorted(make_targets))})"))
            elif re.match(r"^(.*/)?python(3(\.\d+)?)?$", head) and "-m" in rest:
                i = rest.index("-m")
                if i + 1 < len(rest):
                    module = rest[i + 1]
                    why = module_problem(module, root)
                    if why:
                        problems.append(Problem(code.file, code.line, f"`python -m {module}`: {why}"))
    return problems


def kiosk_path_problems(parser: argparse.ArgumentParser, args: list[str], shown: str = "kiosk") -> list[str]:
    """What is wrong with the subcommand path in `kiosk ARGS` (alternatives `a|b` each checked)."""
    sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    if sub is None:
        return []
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return []
    word = words[0]
    rest = args[args.index(word) + 1:]
    if _placeholder(word):
        return []
    problems = []
    for choice in word.split("|"):
        if choice not in sub.choices:
            problems.append(f"`{shown} {choice}`: no such subcommand (have: {', '.join(sorted(sub.choices))})")
        else:
            problems += kiosk_path_problems(sub.choices[choice], rest, f"{shown} {choice}")
    return problems


def module_problem(module: str, root: Path) -> str | None:
    """None when `python -m module` would find the module, else why not."""
    parts = module.split(".")
    if any(_placeholder(p) for p in parts):
        return None
    if not all(p.isidentifier() for p in parts):
        return "not a module name"
    local = root / parts[0]
    if local.is_dir() or (root / f"{parts[0]}.py").is_file():
        base = root.joinpath(*parts)
        if (base / "__main__.py").is_file() or base.with_suffix(".py").is_file():
            return None
        if base.is_dir():
            return f"{base.relative_to(root)} is a package without __main__.py"
        return f"no module file {base.relative_to(root)}.py in the repository"
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        return f"cannot be imported ({exc})"
    return None if found else "no such module is installed"


def makefile_targets(makefile: Path) -> set[str]:
    targets: set[str] = set()
    for line in makefile.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.%/-]+(?:\s+[A-Za-z0-9_.%/-]+)*)\s*:(?!=)", line)
        if m and not line.startswith("\t"):
            targets.update(t for t in m.group(1).split() if not t.startswith("."))
    return targets


def markdown_files(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
