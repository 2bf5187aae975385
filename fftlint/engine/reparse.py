"""Re-parsing a file that changed a little: only the statements that changed.

An editor re-lints a file on every pause in typing, and a LibCST parse is most of the cost
of a lint. Between two versions most top-level statements (functions, classes) -- and most
methods of a class -- are the same text, and LibCST nodes are immutable values, so the
unchanged statements' trees are reused and only the changed ones are parsed, each on its
own with the file's indentation and newline (``PartialParserConfig``; a method inside a
stand-in class at its own indentation), and the module is assembled from them.

The result must be the tree a full parse gives (tests compare both with ``deep_equals``
over the stdlib, before and after edits), so this parser is conservative:

* statements are cut where the stdlib ``ast`` (one parse of the whole file) says
  statements end, never where two share a line (``a = 1; b = 2``), and never across lines
  between two statements other than blank lines and comments at column 0 (an indented
  comment after a block belongs to that block's footer in LibCST);
* a class is updated member by member only when its header and the lines after its last
  member are unchanged;
* when the file's indentation or newline style would be detected differently (or it mixes
  newline styles), when ``ast`` or a piece fails to parse, or when a piece does not come
  back as whole statements, it falls back to a full parse.
"""

from __future__ import annotations

import ast
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

from fftlint.engine import asts
from fftlint.types import Diagnostic

_NEWLINE = re.compile(r"\r\n|\r|\n")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_INDENT = re.compile(r"[ \t\f]*")

Parsed = Tuple[Optional["cst.Module"], Optional[Diagnostic]]
#: a chunk's identity: (first chunk?, last chunk?, its text)
Key = Tuple[bool, bool, str]


@dataclass
class Chunk:
    text: str
    start: int  # its first line (1-based)
    stmts: List[ast.stmt]  # the top-level ``ast`` statements in it
    count: int  # how many LibCST statements that is


@dataclass
class Members:
    """A class chunk cut at its members: the lines up to the first member, each member's
    text (the lines after the previous member through its own end), the lines after the
    last one."""

    prefix: str
    texts: List[str]
    suffix: str


def _full(text: str, path: str) -> Parsed:
    from fftlint.engine.run import _parse

    return _parse(text, path)


def _mixed_newlines(text: str) -> bool:
    if "\r" not in text:
        return False
    crlf = text.count("\r\n")
    return text.count("\n") != crlf or text.count("\r") != crlf


def newline_of(text: str) -> str:
    m = _NEWLINE.search(text)
    return m.group(0) if m else "\n"


def indent_of(lines: Sequence[str], tree: ast.Module) -> str:
    """The indentation LibCST detects: that of the first indented block."""
    best: Optional[int] = None
    stack: List[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        header = getattr(node, "lineno", None)
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block:
                line = getattr(block[0], "lineno", None)
                if line is not None and header is not None and line > header and (best is None or line < best):
                    best = line
                stack.extend(block)
    if best is None or best > len(lines):
        return " " * 4
    return _INDENT.match(lines[best - 1]).group(0) or " " * 4  # type: ignore[union-attr]


def _spans(body: Sequence[ast.stmt]) -> List[Tuple[int, int, List[ast.stmt]]]:
    """1-based line ranges of LibCST statements -- ``ast`` statements merged where they
    share lines, decorators included -- with the ``ast`` statements in each."""
    spans: List[Tuple[int, int, List[ast.stmt]]] = []
    for stmt in body:
        start = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        end = getattr(stmt, "end_lineno", None) or stmt.lineno
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end), spans[-1][2] + [stmt])
        else:
            spans.append((start, end, [stmt]))
    return spans


def _free(gap: Sequence[str]) -> bool:
    """Lines between two statements that belong to the next one whichever way the file
    is cut: empty lines and column-0 comments."""
    return all(line.rstrip("\r\n") == "" or line.startswith("#") for line in gap)


def chunks_of(tree: ast.Module, lines: Sequence[str]) -> Optional[List[Chunk]]:
    spans = _spans(tree.body)
    if not spans:
        return None
    out: List[Chunk] = []
    begin = 1
    group: List[Tuple[int, int, List[ast.stmt]]] = []
    for i, span in enumerate(spans):
        group.append(span)
        nxt = spans[i + 1] if i + 1 < len(spans) else None
        if nxt is None or _free(lines[span[1] : nxt[0] - 1]):
            end = span[1] if nxt is not None else len(lines)
            out.append(Chunk("".join(lines[begin - 1 : end]), begin, [s for g in group for s in g[2]], len(group)))
            begin, group = end + 1, []
    return out


def members_of(chunk_lines: Sequence[str], node: ast.ClassDef, offset: int) -> Optional[Members]:
    """``node`` (line numbers ``offset`` lines below the chunk's) as :class:`Members`."""
    spans = [(a - offset, b - offset) for a, b, _ in _spans(node.body)]
    if not spans or spans[0][0] <= node.lineno - offset:
        return None  # a body on the header line (class A: pass)
    first = spans[0][0]
    texts = ["".join(chunk_lines[first - 1 : spans[0][1]])]
    texts.extend("".join(chunk_lines[prev[1] : cur[1]]) for prev, cur in zip(spans, spans[1:]))
    return Members("".join(chunk_lines[: first - 1]), texts, "".join(chunk_lines[spans[-1][1] :]))


def _single_class(chunk: Chunk) -> Optional[ast.ClassDef]:
    if len(chunk.stmts) == 1 and isinstance(chunk.stmts[0], ast.ClassDef):
        return chunk.stmts[0]
    return None


class IncrementalParser:
    """``parse(text, path) -> (module, error)`` remembering the last version of each
    path's statements (at most ``max_files`` paths)."""

    def __init__(self, max_files: int = 32) -> None:
        self.max_files = max_files
        #: path -> (indent, newline, chunk key -> (its module, its members if a class))
        self.files: "OrderedDict[str, Tuple[str, str, Dict[Key, Tuple[cst.Module, Optional[Members]]]]]" = OrderedDict()
        self.stats = {"full": 0, "reused": 0, "parsed": 0}

    def __call__(self, text: str, path: str) -> Parsed:
        try:
            tree = asts.parse(text, path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            self.files.pop(path, None)
            return self._full(text, path, None, None)
        if _mixed_newlines(text):  # LibCST keeps each newline as written: nothing to share
            self.files.pop(path, None)
            return self._full(text, path, None, None)
        lines = _LINE.findall(text)
        detected = (indent_of(lines, tree), newline_of(text))
        chunks = chunks_of(tree, lines)
        state = self.files.get(path)
        if state is None or state[:2] != detected or chunks is None:
            return self._full(text, path, detected, chunks)
        self.files.move_to_end(path)
        module = self._assemble(chunks, detected, state[2])
        if module is None:
            return self._full(text, path, detected, None)
        return module, None

    def _full(self, text: str, path: str, detected: Optional[Tuple[str, str]], chunks: Optional[List[Chunk]]) -> Parsed:
        self.stats["full"] += 1
        module, error = _full(text, path)
        if module is not None and detected is not None and (module.default_indent, module.default_newline) == detected:
            self.files[path] = (detected[0], detected[1], _split(module, chunks))
            self.files.move_to_end(path)
            while len(self.files) > self.max_files:
                self.files.popitem(last=False)
        else:
            self.files.pop(path, None)  # cannot predict what LibCST detects: always full
        return module, error

    def _assemble(
        self,
        chunks: List[Chunk],
        detected: Tuple[str, str],
        known: Dict[Key, Tuple[cst.Module, Optional[Members]]],
    ) -> Optional[cst.Module]:
        indent, newline = detected
        config = cst.PartialParserConfig(default_indent=indent, default_newline=newline)
        classes = {
            (k[0], k[1], part.body[0].name.value): (part, members)
            for k, (part, members) in known.items()
            if members is not None and len(part.body) == 1 and isinstance(part.body[0], cst.ClassDef)
        }
        fresh: Dict[Key, Tuple[cst.Module, Optional[Members]]] = {}
        body: List[cst.BaseStatement] = []
        header: Sequence[cst.EmptyLine] = ()
        footer: Sequence[cst.EmptyLine] = ()
        trailing = True
        last = len(chunks) - 1
        for i, chunk in enumerate(chunks):
            key = (i == 0, i == last, chunk.text)
            node = _single_class(chunk)
            members = members_of(_LINE.findall(chunk.text), node, chunk.start - 1) if node is not None else None
            hit = known.get(key)
            part = hit[0] if hit is not None else None
            if part is not None:
                self.stats["reused"] += 1
            elif node is not None and members is not None:
                part = self._class_update(classes.get((key[0], key[1], node.name)), members, config)
            if part is None:
                try:
                    part = cst.parse_module(chunk.text, config)
                except Exception:  # noqa: BLE001 - LibCST limits: the full parse reports them
                    return None
                self.stats["parsed"] += 1
            if len(part.body) != chunk.count or (i != last and part.footer):
                return None
            fresh[key] = (part, members)
            statements = list(part.body)
            if i == 0:
                header = part.header
            elif part.header:
                statements[0] = statements[0].with_changes(leading_lines=(*part.header, *statements[0].leading_lines))
            body.extend(statements)
            if i == last:
                footer = part.footer
                trailing = part.has_trailing_newline
        known.clear()
        known.update(fresh)
        return cst.Module(
            body=body,
            header=header,
            footer=footer,
            default_indent=indent,
            default_newline=newline,
            has_trailing_newline=trailing,
        )

    def _class_update(
        self,
        old: Optional[Tuple[cst.Module, Members]],
        new: Members,
        config: cst.PartialParserConfig,
    ) -> Optional[cst.Module]:
        """A changed chunk that is one class whose header and footer did not change:
        the previous version's class with only its changed members parsed again (a big
        class is most of many files, and an edit touches one method)."""
        if old is None:
            return None
        part, before = old
        old_class = part.body[0]
        block = getattr(old_class, "body", None)
        if not isinstance(block, cst.IndentedBlock) or before.prefix != new.prefix or before.suffix != new.suffix:
            return None
        if len(before.texts) != len(block.body):
            return None
        reusable = {(k == 0, text): node for k, (text, node) in enumerate(zip(before.texts, block.body))}
        members: List[cst.BaseStatement] = []
        for k, text in enumerate(new.texts):
            node = reusable.get((k == 0, text))
            if node is None:
                node = _parse_member(text, config)
                if node is None:
                    return None
                if k == 0:  # the lines between the class header and it are the prefix's
                    node = node.with_changes(leading_lines=block.body[0].leading_lines)
                self.stats["parsed"] += 1
            else:
                self.stats["reused"] += 1
            members.append(node)
        return part.with_changes(body=[old_class.with_changes(body=block.with_changes(body=members))])


def _parse_member(text: str, config: cst.PartialParserConfig) -> Optional[cst.BaseStatement]:
    """One class member parsed on its own, inside a stand-in class at the same
    indentation (so strings, blank lines and nested blocks read as they do in place)."""
    try:
        module = cst.parse_module("class _:\n" + text, config)
    except Exception:  # noqa: BLE001 - the full parse reports it
        return None
    if len(module.body) != 1 or module.footer or not isinstance(module.body[0], cst.ClassDef):
        return None
    block = module.body[0].body
    if not isinstance(block, cst.IndentedBlock) or len(block.body) != 1 or block.footer:
        return None
    return block.body[0]


def _split(module: cst.Module, chunks: Optional[List[Chunk]]) -> Dict[Key, Tuple[cst.Module, Optional[Members]]]:
    """A full parse cut into the chunks the next version will be compared against, so
    the first re-parse after it parses only what changed."""
    if not chunks or sum(c.count for c in chunks) != len(module.body):
        return {}
    out: Dict[Key, Tuple[cst.Module, Optional[Members]]] = {}
    at = 0
    last = len(chunks) - 1
    for i, chunk in enumerate(chunks):
        body = module.body[at : at + chunk.count]
        at += chunk.count
        node = _single_class(chunk)
        members = members_of(_LINE.findall(chunk.text), node, chunk.start - 1) if node is not None else None
        part = cst.Module(
            body=body,
            header=module.header if i == 0 else (),
            footer=module.footer if i == last else (),
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            has_trailing_newline=module.has_trailing_newline if i == last else True,
        )
        out[(i == 0, i == last, chunk.text)] = (part, members)
    return out
