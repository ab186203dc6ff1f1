#!/usr/bin/python3
"""check_checklist.py — proves docs/checklist.md answers every production-readiness item.

Usage:  /usr/bin/python3 tests/checklist/check_checklist.py <repo-root>

Reads the checklist from docs/checklist-source.md (a verbatim copy of the shared
checklist.md, kept in the repository so CI needs nothing outside it; when
<repo-root>/../shared/checklist.md exists the copy must be identical) and Keel's
answers from docs/checklist.md. Fails (exit 1, one line per problem) when:

  * a checklist item has no row, or a row names no checklist item (section + exact text);
  * a status is not one of done, artifact, operator, todo;
  * a `done` row cites no evidence, an `artifact`/`operator` row cites no path,
    a `todo` row names no issue ("issue N");
  * a cited path does not exist in the repository, or escapes it;
  * a cited test does not exist in its file:
      `path.py::test_name` / `path.py::TestClass::test_name`   (pytest: def test_name)
      `path_test.cpp#Suite.Name`                                (GoogleTest: TEST/TEST_F/TEST_P)
  * a cited Markdown anchor `doc.md#heading` does not exist, or (for `operator`
    rows) the section it names does not mention the item's text;
  * the summary table's counts differ from the rows.

Format of docs/checklist.md: one table per checklist section, under the same
`##`/`###` headings as the source,

    | Item | Status | Evidence |
    |---|---|---|
    | <exact item text> | done | `tests/x.py::test_y`, `src/a.cpp` — free-text note |

where the Evidence cell starts with zero or more backticked references
separated by commas and everything after them is a note. A summary table
(`| Status | Items |`, one row per status plus `total`) sits under `## Summary`.
Standard library only.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

STATUSES = ("done", "artifact", "operator", "todo")
SOURCE_COPY = "docs/checklist-source.md"
SHARED_SOURCE = "../shared/checklist.md"
ANSWERS = "docs/checklist.md"

ITEM_RE = re.compile(r"^\s*[-*] \[[ xX]\] (?P<text>.+?)\s*$")
HEADING_RE = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
FENCE_RE = re.compile(r"^\s*(```|~~~)")
ISSUE_RE = re.compile(r"\bissue\s+#?\d+\b", re.IGNORECASE)
LEADING_REF_RE = re.compile(r"`([^`]+)`\s*")


@dataclass
class Row:
    section: tuple[str, str | None]
    item: str
    status: str
    refs: list[str]
    note: str
    line: int


@dataclass
class Answers:
    rows: list[Row] = field(default_factory=list)
    summary: dict[str, tuple[int, int]] = field(default_factory=dict)  # status -> (count, line)
    summary_line: int = 0


class Problems:
    """Problems collects failure messages, each prefixed with file:line."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.messages.append(f"{where}: {message}")


def markdown_lines(text: str):
    """markdown_lines yields (line_number, line, section) outside code fences.

    The section is the (H2, H3) pair of the headings above the line (H3 may be None);
    `#` titles reset it. Heading lines themselves have section None.
    """
    h2 = h3 = None
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = HEADING_RE.match(line)
        if heading:
            level = len(heading.group("hashes"))
            title = heading.group("title")
            if level == 1:
                h2 = h3 = None
            elif level == 2:
                h2, h3 = title, None
            elif level == 3:
                h3 = title
            yield number, line, None
            continue
        yield number, line, None if h2 is None else (h2, h3)


def section_name(section: tuple[str, str | None]) -> str:
    """section_name renders a section key for messages: "Security › API Security"."""
    h2, h3 = section
    return h2 if h3 is None else f"{h2} › {h3}"


def parse_source(text: str) -> list[tuple[tuple[str, str | None], str]]:
    """parse_source returns every checkbox item as (section, text), in order."""
    items = []
    for _, line, section in markdown_lines(text):
        match = ITEM_RE.match(line)
        if match and section is not None:
            items.append((section, match.group("text")))
    return items


def split_cells(line: str) -> list[str]:
    """split_cells splits a Markdown table row on unescaped pipes and unescapes `\\|`."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells = re.split(r"(?<!\\)\|", body)
    return [cell.strip().replace("\\|", "|") for cell in cells]


def is_separator(cells: list[str]) -> bool:
    return all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells)


def split_evidence(cell: str) -> tuple[list[str], str, str | None]:
    """split_evidence returns (references, note, error) of an Evidence cell."""
    refs: list[str] = []
    rest = cell.strip()
    while True:
        match = LEADING_REF_RE.match(rest)
        if not match:
            if refs:
                return refs, rest, "a comma must be followed by another `reference`"
            break
        refs.append(match.group(1).strip())
        rest = rest[match.end():]
        if rest.startswith(","):
            rest = rest[1:].lstrip()
            continue
        break
    note = rest.lstrip("—–-:; ").strip()
    return refs, note, None


def parse_answers(text: str, where: str, problems: Problems) -> Answers:
    answers = Answers()
    table_kind = None  # "items", "summary" or "other"
    header_seen_at = 0
    current_heading = None
    for number, line, section in markdown_lines(text):
        if section is None and HEADING_RE.match(line):
            current_heading = HEADING_RE.match(line).group("title")
            table_kind = None
            continue
        if not line.lstrip().startswith("|"):
            table_kind = None
            continue
        cells = split_cells(line)
        if table_kind is None:
            header = [cell.lower() for cell in cells]
            if header == ["item", "status", "evidence"]:
                table_kind = "items"
            elif header == ["status", "items"]:
                table_kind = "summary"
                if current_heading != "Summary":
                    problems.add(f"{where}:{number}", "the summary table must sit under '## Summary'")
                if answers.summary_line:
                    problems.add(f"{where}:{number}", "a second summary table")
                answers.summary_line = number
            else:
                table_kind = "other"
            header_seen_at = number
            continue
        if number == header_seen_at + 1 and is_separator(cells):
            continue
        if table_kind == "summary":
            if len(cells) != 2:
                problems.add(f"{where}:{number}", "summary rows need 2 cells: | status | count |")
                continue
            status = cells[0].strip("*` ").lower()
            count_text = cells[1].strip("*` ")
            if not count_text.isdigit():
                problems.add(f"{where}:{number}", f"summary count {cells[1]!r} is not a number")
                continue
            if status in answers.summary:
                problems.add(f"{where}:{number}", f"summary lists {status!r} twice")
            answers.summary[status] = (int(count_text), number)
        elif table_kind == "items":
            if section is None or section == ("Summary", None):
                problems.add(f"{where}:{number}", "item table outside a checklist section heading")
                continue
            if len(cells) != 3:
                problems.add(f"{where}:{number}",
                             f"item rows need 3 cells (Item | Status | Evidence), found {len(cells)}")
                continue
            refs, note, error = split_evidence(cells[2])
            if error:
                problems.add(f"{where}:{number}", f"evidence: {error}")
            answers.rows.append(Row(section, cells[0], cells[1], refs, note, number))
    return answers


def github_slug(title: str) -> str:
    """github_slug turns a heading into the anchor GitHub renders for it."""
    title = re.sub(r"`", "", title).strip().lower()
    kept = []
    for char in title:
        category = unicodedata.category(char)
        if char in " -_" or category[0] in "LN":
            kept.append(char)
    return "".join(kept).replace(" ", "-")


def markdown_sections(text: str) -> dict[str, str]:
    """markdown_sections maps each heading's anchor to its text up to the next heading of
    the same or a higher level (duplicate headings get -1, -2… as on GitHub)."""
    lines = text.splitlines()
    headings = []
    in_fence = False
    for index, line in enumerate(lines):
        if FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else HEADING_RE.match(line)
        if match:
            headings.append((index, len(match.group("hashes")), match.group("title")))
    sections: dict[str, str] = {}
    seen: Counter[str] = Counter()
    for position, (index, level, title) in enumerate(headings):
        end = len(lines)
        for later_index, later_level, _ in headings[position + 1:]:
            if later_level <= level:
                end = later_index
                break
        slug = github_slug(title)
        anchor = slug if seen[slug] == 0 else f"{slug}-{seen[slug]}"
        seen[slug] += 1
        sections[anchor] = "\n".join(lines[index:end])
    return sections


def plain(text: str) -> str:
    """plain drops Markdown emphasis and code marks and folds line breaks, so item text
    can be found in wrapped prose."""
    return re.sub(r"\s+", " ", re.sub(r"[`*_]", "", text))


class ReferenceChecker:
    """ReferenceChecker validates cited paths, tests and anchors, caching file reads."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.texts: dict[Path, str] = {}

    def read(self, path: Path) -> str:
        if path not in self.texts:
            self.texts[path] = path.read_text(encoding="utf-8", errors="replace")
        return self.texts[path]

    def resolve(self, relative: str) -> tuple[Path | None, str | None]:
        if not relative or relative.startswith("/") or re.search(r"\s", relative):
            return None, f"`{relative}` is not a repository-relative path"
        path = (self.root / relative).resolve()
        if path != self.root and self.root not in path.parents:
            return None, f"`{relative}` points outside the repository"
        if not path.exists():
            return None, f"`{relative}` does not exist"
        return path, None

    def check(self, ref: str, row: Row) -> str | None:
        """check returns a problem with `ref`, or None when it holds."""
        if "::" in ref:
            return self.check_pytest(ref)
        if "#" in ref:
            relative, fragment = ref.split("#", 1)
            if relative.endswith(".md"):
                return self.check_anchor(relative, fragment, row)
            return self.check_gtest(relative, fragment)
        _, error = self.resolve(ref)
        return error

    def check_pytest(self, ref: str) -> str | None:
        relative, *names = ref.split("::")
        path, error = self.resolve(relative)
        if error:
            return error
        if not path.is_file() or not names or not all(names):
            return f"`{ref}` is not of the form path.py::test_name"
        text = self.read(path)
        *classes, function = names
        function = function.split("[", 1)[0]  # parametrised id: test_x[case]
        for cls in classes:
            if not re.search(rf"^\s*class\s+{re.escape(cls)}\b", text, re.MULTILINE):
                return f"`{ref}`: no class {cls} in {relative}"
        if not re.search(rf"^\s*(async\s+)?def\s+{re.escape(function)}\s*\(", text, re.MULTILINE):
            return f"`{ref}`: no test function {function} in {relative}"
        return None

    def check_gtest(self, relative: str, fragment: str) -> str | None:
        path, error = self.resolve(relative)
        if error:
            return error
        parts = fragment.split(".")
        if not path.is_file() or len(parts) != 2 or not all(parts):
            return f"`{relative}#{fragment}` is not of the form path_test.cpp#Suite.Name"
        suite, name = parts
        pattern = (rf"\b(?:TYPED_)?TEST(?:_F|_P)?\s*\(\s*{re.escape(suite)}\s*,"
                   rf"\s*{re.escape(name)}\s*\)")
        if not re.search(pattern, self.read(path)):
            return f"`{relative}#{fragment}`: no TEST({suite}, {name}) in {relative}"
        return None

    def check_anchor(self, relative: str, anchor: str, row: Row) -> str | None:
        path, error = self.resolve(relative)
        if error:
            return error
        sections = markdown_sections(self.read(path))
        if anchor not in sections:
            return f"`{relative}#{anchor}`: no heading with that anchor in {relative}"
        if row.status == "operator" and plain(row.item) not in plain(sections[anchor]):
            return (f"`{relative}#{anchor}`: that section does not mention the item "
                    f"{row.item!r}; say there what the operator must do")
        return None


def check_source_copy(root: Path, problems: Problems) -> str | None:
    copy = root / SOURCE_COPY
    if not copy.is_file():
        problems.add(SOURCE_COPY, "missing; copy the shared checklist.md there verbatim")
        return None
    text = copy.read_bytes()
    shared = root / SHARED_SOURCE
    if shared.is_file() and shared.read_bytes() != text:
        problems.add(SOURCE_COPY, f"differs from {shared.resolve()}; refresh it with "
                     f"`cp {SHARED_SOURCE} {SOURCE_COPY}` and update {ANSWERS}")
    return text.decode("utf-8")


def check(root: Path) -> tuple[Problems, list, Answers]:
    problems = Problems()
    source_text = check_source_copy(root, problems)
    source = parse_source(source_text) if source_text is not None else []
    if source_text is not None and not source:
        problems.add(SOURCE_COPY, "contains no '- [ ] item' lines")

    answers_path = root / ANSWERS
    if not answers_path.is_file():
        problems.add(ANSWERS, "missing")
        return problems, source, Answers()
    answers = parse_answers(answers_path.read_text(encoding="utf-8"), ANSWERS, problems)

    # Every source item needs exactly one row: compare as multisets of (section, text).
    wanted = Counter(source)
    given = Counter((row.section, row.item) for row in answers.rows)
    if source_text is not None:
        for key in wanted:
            if given[key] < wanted[key]:
                problems.add(ANSWERS, f"missing row for [{section_name(key[0])}] {key[1]!r}")
        seen: Counter = Counter()
        for row in answers.rows:
            key = (row.section, row.item)
            seen[key] += 1
            if seen[key] <= wanted[key]:
                continue
            where = f"{ANSWERS}:{row.line}"
            if wanted[key]:
                problems.add(where, f"repeats the row for [{section_name(row.section)}] {row.item!r}")
            else:
                problems.add(where, f"[{section_name(row.section)}] has no checklist item "
                             f"{row.item!r} (check the heading and the exact item text)")

    references = ReferenceChecker(root)
    for row in answers.rows:
        where = f"{ANSWERS}:{row.line}"
        if row.status not in STATUSES:
            problems.add(where, f"unknown status {row.status!r} (use one of {', '.join(STATUSES)})")
        elif row.status == "done" and not row.refs:
            problems.add(where, "`done` needs evidence: a backticked test or file reference")
        elif row.status in ("artifact", "operator") and not row.refs:
            problems.add(where, f"`{row.status}` needs the backticked path of its file or doc")
        elif row.status == "todo" and not ISSUE_RE.search(row.note):
            problems.add(where, "`todo` must say which issue will deliver it ('issue N')")
        for ref in row.refs:
            error = references.check(ref, row)
            if error:
                problems.add(where, error)

    counts = Counter(row.status for row in answers.rows)
    if not answers.summary_line:
        problems.add(ANSWERS, "no summary table (| Status | Items |) under '## Summary'")
    else:
        for status, (count, line) in answers.summary.items():
            if status == "total":
                expected = len(answers.rows)
            elif status in STATUSES:
                expected = counts[status]
            else:
                problems.add(f"{ANSWERS}:{line}", f"summary lists unknown status {status!r}")
                continue
            if count != expected:
                problems.add(f"{ANSWERS}:{line}",
                             f"summary says {status} = {count}, the rows say {expected}")
        for status in (*STATUSES, "total"):
            if status not in answers.summary:
                problems.add(f"{ANSWERS}:{answers.summary_line}", f"summary lacks a {status!r} row")
    return problems, source, answers


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check_checklist.py <repo-root>", file=sys.stderr)
        return 1
    root = Path(argv[1])
    if not root.is_dir():
        print(f"check_checklist: {root} is not a directory", file=sys.stderr)
        return 1
    problems, source, answers = check(root)

    sections = len({section for section, _ in source})
    print(f"checklist: {len(source)} items in {sections} sections ({SOURCE_COPY})")
    counts = Counter(row.status for row in answers.rows)
    known = ", ".join(f"{status} {counts[status]}" for status in STATUSES)
    print(f"answers:   {len(answers.rows)} rows ({ANSWERS}): {known}")
    if problems.messages:
        for message in problems.messages:
            print(f"FAIL {message}", file=sys.stderr)
        print(f"check_checklist: {len(problems.messages)} problem(s)", file=sys.stderr)
        return 1
    print("check_checklist: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
