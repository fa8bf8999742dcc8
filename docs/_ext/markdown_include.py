"""``.. markdown-include:: path``: render a Markdown file in a Sphinx page, no dependency.

The changelog and the benchmarks page are Markdown files several people
append to. This converts the part of Markdown they use -- ATX headings,
paragraphs, bullet and numbered lists, fenced code, pipe tables, block quotes,
inline code, emphasis and links -- into reStructuredText and feeds it to the
parser like ``.. include::`` does. Plain text is escaped, so no Markdown text
can produce reStructuredText markup by accident (and break a ``-W`` build).
Anything else (raw HTML, images) is shown as literal text.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils.parsers.rst import Directive, directives

__all__ = ["markdown_to_rst", "setup"]

_ADORNMENTS = "=-~^\"'"
_INLINE = re.compile(
    r"(?P<code>`+)(?P<code_text>.+?)(?P=code)"
    r"|\*\*(?P<strong>[^*]+?)\*\*"
    r"|__(?P<strong2>[^_]+?)__"
    r"|(?<![\w*])\*(?P<em>[^*\s][^*]*?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<em2>[^_\s][^_]*?)_(?![\w_])"
    r"|\[(?P<link_text>[^\]]+)\]\((?P<url>[^)\s]+)\)"
    r"|<(?P<auto>https?://[^>\s]+)>"
)
_SPECIAL = re.compile(r"([\\`*_|\[\]<>])")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text).replace("::", r":\:")


def _separate(out: list[str], piece: str, before: str, after: str) -> None:
    """Inline markup must touch neither word characters nor other markup: add ``\\ ``."""
    if before and not before.isspace():
        out.append("\\ ")
    out.append(piece)
    if after and not after.isspace():
        out.append("\\ ")


def inline(text: str) -> str:
    """One line of Markdown inline syntax as reStructuredText."""
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(_escape(text[position : match.start()]))
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if match.group("code") is not None:
            code = match.group("code_text").strip()
            piece = f"``{code}``" if "``" not in code else _escape(code)
        elif match.group("strong") or match.group("strong2"):
            piece = f"**{_escape(match.group('strong') or match.group('strong2'))}**"
        elif match.group("em") or match.group("em2"):
            piece = f"*{_escape(match.group('em') or match.group('em2'))}*"
        elif match.group("url"):
            label = _escape(match.group("link_text")).replace("<", r"\<")
            piece = f"`{label} <{match.group('url')}>`__"
        else:
            piece = match.group("auto")
        _separate(out, piece, before, after)
        position = match.end()
    out.append(_escape(text[position:]))
    result = "".join(out)
    # a line must not start like an rst list, directive or section marker
    if re.match(r"^(\d+[.)]|[-+#=~^]|\.\.)(\s|$)", result):
        result = "\\" + result
    return result


def _lexer(name: str) -> str:
    try:
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound

        get_lexer_by_name(name)
        return name
    except (ImportError, ClassNotFound):
        return "text"


def _table(rows: list[str]) -> list[str]:
    def cells(line: str) -> list[str]:
        line = line.strip()
        line = line[1:] if line.startswith("|") else line
        line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
        return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)]

    header = cells(rows[0])
    body = [cells(row) for row in rows[2:]]
    width = len(header)
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *body]:
        row = (row + [""] * width)[:width]
        for i, cell in enumerate(row):
            marker = "   * - " if i == 0 else "     - "
            out.append((marker + inline(cell)).rstrip())
    out.append("")
    return out


_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")


def _list(lines: list[str], i: int, out: list[str]) -> int:
    """Convert the (possibly nested) list starting at ``lines[i]``; return the next index."""
    columns = [0]  # where the text of the items at each depth starts
    previous = (0, "")
    while i < len(lines):
        item = _ITEM.match(lines[i])
        if not item:
            break
        depth = min(len(item.group(1).expandtabs()) // 2, len(columns) - 1)
        bullet = "-" if item.group(2) in "-*+" else "#."
        text = [item.group(3)]
        i += 1
        while (
            i < len(lines)
            and lines[i].strip()
            and lines[i].startswith("  ")
            and not _ITEM.match(lines[i])
        ):
            text.append(lines[i].strip())
            i += 1
        if previous[1] and (depth, bullet) != previous and out[-1] != "":
            out.append("")  # rst wants blank lines around a nested or different list
        del columns[depth + 1 :]
        indent = " " * columns[depth]
        columns.append(columns[depth] + len(bullet) + 1)
        out.append(f"{indent}{bullet} {inline(' '.join(text))}")
        previous = (depth, bullet)
        # a blank line inside a list ends it unless another item follows
        if i + 1 < len(lines) and not lines[i].strip() and _ITEM.match(lines[i + 1]):
            i += 1
    out.append("")
    return i


def _is_separator(line: str) -> bool:
    return bool(re.match(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", line))


def markdown_to_rst(text: str) -> list[str]:
    """Convert Markdown text to reStructuredText lines."""
    lines = text.splitlines()
    out: list[str] = []
    level_of: list[int] = []  # markdown levels seen, in order; rst level = position
    i = 0

    def blank() -> None:
        if out and out[-1] != "":
            out.append("")

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            blank()
            i += 1
            continue
        fence = re.match(r"^\s*(```+|~~~+)\s*([\w+-]*)", line)
        if fence:
            blank()
            out += [f".. code-block:: {_lexer(fence.group(2)) if fence.group(2) else 'text'}", ""]
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence.group(1)):
                out.append(("   " + lines[i]).rstrip())
                i += 1
            if out[-1] == "":
                out.append("   ..")  # an empty code block is an error in rst
            i += 1
            out.append("")
            continue
        heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if heading:
            level = len(heading.group(1))
            while level_of and level_of[-1] >= level:
                level_of.pop()
            level_of.append(level)
            title = inline(heading.group(2)) or "\\ "
            blank()
            out += [
                title,
                _ADORNMENTS[min(len(level_of), len(_ADORNMENTS)) - 1] * (len(title) + 2),
                "",
            ]
            i += 1
            continue
        if stripped.startswith("<!--"):
            while i < len(lines) and "-->" not in lines[i]:
                i += 1
            i += 1
            continue
        if re.match(r"^\s*([-*_])(\s*\1){2,}\s*$", line):
            i += 1  # a horizontal rule: rst transitions are fussy, skip it
            continue
        if stripped.startswith("|") and i + 1 < len(lines) and _is_separator(lines[i + 1]):
            rows = [line, lines[i + 1]]
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(lines[i])
                i += 1
            blank()
            out += _table(rows)
            continue
        if _ITEM.match(line):
            blank()
            i = _list(lines, i, out)
            continue
        if stripped.startswith(">"):
            blank()
            quote = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                quote.append(lines[i].strip()[1:].strip())
                i += 1
            out += ["   " + inline(" ".join(quote)), ""]
            continue
        paragraph = []
        while (
            i < len(lines)
            and lines[i].strip()
            and not re.match(r"^(\s*(#{1,6}\s|```|~~~|[-*+]\s|\d+[.)]\s|>|\|)|<!--)", lines[i])
        ):
            paragraph.append(lines[i].strip())
            i += 1
        if not paragraph:  # a line no rule above took: keep it verbatim
            paragraph.append(lines[i].strip())
            i += 1
            blank()
            out += ["::", "", "   " + paragraph[0], ""]
            continue
        blank()
        out += [inline(" ".join(paragraph)), ""]
    return out


class MarkdownInclude(Directive):
    """Insert a Markdown file, converted, where the directive stands."""

    required_arguments = 1
    has_content = False

    def run(self) -> list:
        source = Path(self.state_machine.document.current_source or "").parent
        path = (source / directives.path(self.arguments[0])).resolve()
        env = self.state.document.settings.env
        env.note_dependency(str(path))
        text = path.read_text(encoding="utf-8")
        self.state_machine.insert_input(markdown_to_rst(text), str(path))
        return []


def setup(app):
    app.add_directive("markdown-include", MarkdownInclude)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
