"""Django templates as FFT206 reads them: where they are, and what they read per loop.

Templates are text files of the linted project: they are found, never rendered. The
template directories are every directory named ``templates`` inside the top-level package
of a linted file (app ``templates/`` dirs, a project-level one inside the package) and the
``templates`` directory next to that package. A template name (``"shop/book_list.html"``)
resolves to the files with that relative path under those directories; the rule uses it
only when exactly one file matches.

:func:`parse_template` turns a template's text into a few plain events, cached by content
hash through the run's :class:`fftlint.filememo.FileMemo`:

* ``("for", target, chain, line)`` for ``{% for target in a.b.c %}`` (one target; ``for k,
  v in ...`` binds ``("for", None, ...)``: names it binds are unknown), ``("endfor",)``;
* ``("with", [(name, chain or None), ...], line)`` for ``{% with a=b.c %}`` / ``{% with b.c
  as a %}``, ``("endwith",)``;
* ``("read", chain, line)`` for every dotted variable in ``{{ ... }}`` and in tag arguments
  (``{% if a.b %}``, ``{% url "x" a.pk %}``), outside string literals, filters split off;
  not under ``{% if forloop.first %}`` (``forloop.last``, ``forloop.counter == 1``,
  ``forloop.counter0 == 0``) in the same loop: read on one pass, not per row.

* ``("extends", name or None, line)``, ``("block", name, line)`` / ``("endblock",)``,
  ``("include", name or None, [(name, chain or None), ...], only, line)`` (None: a name
  given by a variable).

A chain is the list of its dotted parts (``["offer", "benefit", "name"]``). :func:`expand`
reads the parents and includes in, as Django renders them. The provider's key covers every
template file of the package, so editing a parent or an included template re-lints the views.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from fftlint.facts.provider import Provider

NAME = "django-templates"
PARSE_VERSION = "3"
TEMPLATE_SUFFIXES = (".html", ".htm", ".txt", ".xml", ".djhtml", ".jinja")

_TOKEN = re.compile(r"\{%(.*?)%\}|\{\{(.*?)\}\}|\{#.*?#\}", re.S)
_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
_DOTTED = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.\w+)+)")
_NAME = re.compile(r"^[A-Za-z_]\w*$")
_SKIP_TAGS = frozenset(("comment", "verbatim"))


def _chains(text: str) -> List[List[str]]:
    """Every dotted variable in an expression, string literals and filter names left out."""
    out: List[List[str]] = []
    parts = _STRING.sub(" ", text).split("|")
    for k, part in enumerate(parts):
        if k:  # a filter: only its argument (``date:fmt``) may name a variable
            part = part.partition(":")[2]
        for m in _DOTTED.finditer(part):
            out.append(m.group(1).split("."))
    return out


def _expr_chain(text: str) -> Optional[List[str]]:
    """``a.b.c`` (filters dropped) as a chain, or None when it is no plain variable."""
    text = text.strip().split("|", 1)[0].strip()
    if not text or not all(_NAME.match(p) for p in text.split(".")):
        return None
    return text.split(".")


def _literal(word: str) -> Optional[str]:
    """The text of a quoted template name (``"a/b.html"``), None for a variable."""
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'" and word[0] not in word[1:-1]:
        return word[1:-1]
    return None


#: ``{% if %}`` tests true on one pass of the enclosing ``{% for %}`` only
_ONE_PASS = frozenset(("forloop.first", "forloop.last", "forloop.counter == 1", "forloop.counter0 == 0"))


def parse_template(data: bytes) -> List[Tuple[Any, ...]]:
    """The events of one template (see the module docstring): plain data, cacheable."""
    text = data.decode("utf-8", "replace")
    events: List[Tuple[Any, ...]] = []
    skipping: Optional[str] = None
    line_starts = [0]
    for m in re.finditer("\n", text):
        line_starts.append(m.end())

    def line_of(offset: int) -> int:
        lo, hi = 0, len(line_starts)
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid
        return lo + 1

    # ``{% if %}`` blocks open, each as (for depth when it opened, a first/last-pass guard
    # whose branch is still the guarded one): a read under such a guard, in the same loop,
    # happens on one pass of the loop, not per row
    ifs: List[List[Any]] = []
    depth = 0

    def once() -> bool:
        return any(guard and at == depth for at, guard in ifs)

    for m in _TOKEN.finditer(text):
        tag, var = m.group(1), m.group(2)
        if skipping is not None:
            if tag is not None and tag.split() == ["end" + skipping]:
                skipping = None
            continue
        line = line_of(m.start())
        if var is not None:
            if not once():
                for chain in _chains(var):
                    events.append(("read", chain, line))
            continue
        if tag is None:
            continue  # a comment
        words = tag.split()
        if not words:
            continue
        name = words[0]
        if name in _SKIP_TAGS:
            skipping = name
            continue
        if name == "if":
            ifs.append([depth, bool(depth) and " ".join(words[1:]) in _ONE_PASS])
        elif name in ("elif", "else") and ifs:
            ifs[-1][1] = False
        elif name == "endif" and ifs:
            ifs.pop()
        elif name == "endfor":
            depth = max(depth - 1, 0)
        if name in ("if", "elif", "else", "endif", "empty") and once():
            continue
        if name == "for":
            guarded = once()
            depth += 1
            rest = " ".join(words[1:])
            head, sep, iterable = rest.partition(" in ")
            if not sep:
                events.append(("for", None, None, line))
                continue
            iterable = re.sub(r"\s+reversed\s*$", "", iterable)
            target = head.strip()
            # a loop opened on one pass only: what it iterates is not read per row (and its
            # rows are left unknown)
            events.append(("for", target if _NAME.match(target) else None, _expr_chain(iterable) if not guarded else None, line))
            for chain in _chains(iterable) if not guarded else ():
                events.append(("read", chain, line))
        elif name in ("endfor", "endwith", "endblock"):
            events.append((name.split()[0],))
        elif name == "block":
            events.append(("block", words[1] if len(words) > 1 else None, line))
        elif name == "extends":
            events.append(("extends", _literal(words[1]) if len(words) == 2 else None, line))
        elif name == "include":
            args = words[1:]
            only = bool(args) and args[-1] == "only"
            if only:
                args = args[:-1]
            bindings = []
            known = bool(args)
            if len(args) > 1:
                if args[1] != "with":
                    known = False
                for arg in args[2:]:
                    key, eq, value = arg.partition("=")
                    if not eq:
                        known = False
                        continue
                    bindings.append((key, _expr_chain(value)))
                    for chain in _chains(value):
                        events.append(("read", chain, line))
            target = _literal(args[0]) if known else None
            events.append(("include", target, bindings, only, line))
        elif name == "with":
            bindings: List[Tuple[str, Optional[List[str]]]] = []
            args = words[1:]
            if len(args) == 3 and args[1] == "as":  # the old form: {% with a.b as x %}
                bindings.append((args[2], _expr_chain(args[0])))
                for chain in _chains(args[0]):
                    events.append(("read", chain, line))
            else:
                for arg in args:
                    key, eq, value = arg.partition("=")
                    if eq:
                        bindings.append((key, _expr_chain(value)))
                        for chain in _chains(value):
                            events.append(("read", chain, line))
            events.append(("with", bindings, line))
        elif name in ("empty", "else", "elif", "if", "endif") or not name.startswith("end"):
            for chain in _chains(" ".join(words[1:])):
                events.append(("read", chain, line))
    return events


def _top_package(path: str) -> Optional[str]:
    """The directory of the top-level package holding ``path`` (None: not in a package)."""
    folder = os.path.dirname(os.path.abspath(path))
    top = None
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        top = folder
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return top


def template_files(top: str) -> Dict[str, List[str]]:
    """Template name -> files, for the template dirs of the package at ``top``."""
    roots: List[str] = []
    beside = os.path.join(os.path.dirname(top), "templates")
    if os.path.isdir(beside):
        roots.append(beside)
    for folder, dirs, _files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("__pycache__", "node_modules", "static"))
        if os.path.basename(folder) == "templates":
            roots.append(folder)
            dirs[:] = []  # a templates dir inside a templates dir is a template name
    out: Dict[str, List[str]] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(TEMPLATE_SUFFIXES):
                    full = os.path.join(folder, name)
                    out.setdefault(os.path.relpath(full, root).replace(os.sep, "/"), []).append(full)
    return out


class TemplateProvider(Provider):
    """The template files of the linted packages: an external input of FFT206's results
    (their sizes and modification times key the results, so editing a template re-lints
    the views next to it)."""

    name = NAME

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self._files: Dict[str, Dict[str, List[str]]] = {}

    def files_for(self, path: str) -> Dict[str, List[str]]:
        if path in ("-", "<stdin>"):
            return {}
        top = _top_package(path)
        if top is None:
            return {}
        found = self._files.get(top)
        if found is None:
            try:
                found = template_files(top)
            except OSError:
                found = {}
            self._files[top] = found
        return found

    def external_inputs(self, path: str) -> str:
        from fftlint.cache import stat_digest

        files = self.files_for(path)
        return stat_digest(p for paths in files.values() for p in paths) if files else ""

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_files"] = {}
        return state


def resolve(files: Dict[str, List[str]], names: Sequence[str]) -> Optional[Tuple[str, str]]:
    """(name, file) of the first of ``names`` that some template dir holds, when exactly
    one file has that name; None otherwise (unknown, or overridden: which one renders
    depends on settings)."""
    for name in names:
        found = files.get(name)
        if found:
            return (name, found[0]) if len(found) == 1 else None
    return None


#: how deep ``{% extends %}`` / ``{% include %}`` are followed (a cycle stops at it too)
MAX_DEPTH = 8

Loader = Any  # (template name) -> (file, events) or None when not resolved to one file


def _block_spans(events: Sequence[Tuple[Any, ...]]) -> Dict[str, Tuple[int, int]]:
    """Block name -> (first, end) indexes of its content, for every block at any depth."""
    spans: Dict[str, Tuple[int, int]] = {}
    open_: List[Tuple[Optional[str], int]] = []
    for k, event in enumerate(events):
        if event[0] == "block":
            open_.append((event[1], k + 1))
        elif event[0] == "endblock" and open_:
            name, first = open_.pop()
            if name is not None and name not in spans:
                spans[name] = (first, k)
    return spans


def _block_end(events: Sequence[Tuple[Any, ...]], k: int) -> int:
    """The index of the ``endblock`` closing the block opened at ``k``."""
    depth = 0
    for j in range(k, len(events)):
        if events[j][0] == "block":
            depth += 1
        elif events[j][0] == "endblock":
            depth -= 1
            if depth == 0:
                return j
    return len(events)


def expand(name: str, path: str, events: Sequence[Tuple[Any, ...]], load: Loader, _stack: Tuple[str, ...] = ()) -> List[Tuple[Any, ...]]:
    """The events of a template as Django renders it, with its ``{% extends %}`` parents
    and ``{% include %}``d templates read in:

    * a child's blocks replace the parent's blocks of the same name (at any depth, the most
      derived one wins); the parent's text around its blocks is what renders; a parent that
      cannot be resolved to one file leaves the template read as it is written;
    * ``{% include "x.html" %}`` renders ``x.html`` in place, seeing the names around it
      (a loop variable too), with ``with a=b`` bound and nothing else after ``only``
      (``("with", bindings, line, only)`` ... ``("endwith",)``); an include of a variable
      or of a name no single file has is skipped (its arguments are still read).

    ``("file", name, path)`` / ``("endfile",)`` mark which file the events between come from.
    """
    stack = _stack + (path,)
    chain: List[Tuple[str, str, Sequence[Tuple[Any, ...]]]] = [(name, path, events)]
    while len(chain) + len(stack) <= MAX_DEPTH:
        parent_name = next((e[1] for e in chain[-1][2] if e[0] == "extends"), None)
        found = load(parent_name) if parent_name else None
        if found is None or found[0] in stack or any(found[0] == c[1] for c in chain):
            break
        chain.append((parent_name, found[0], found[1]))
    blocks: Dict[str, Tuple[str, str, Sequence[Tuple[Any, ...]], int, int]] = {}
    for t_name, t_path, t_events in chain:  # the child first: its blocks win
        for block, (first, end) in _block_spans(t_events).items():
            blocks.setdefault(block, (t_name, t_path, t_events, first, end))
    out: List[Tuple[Any, ...]] = []

    def render(t_name: str, t_path: str, t_events: Sequence[Tuple[Any, ...]], first: int, end: int, depth: int) -> None:
        out.append(("file", t_name, t_path))
        k = first
        while k < end:
            event = t_events[k]
            kind = event[0]
            if kind == "block":
                close = _block_end(t_events, k)
                chosen = blocks.get(event[1]) if event[1] is not None else None
                if chosen is not None and depth < MAX_DEPTH:
                    render(chosen[0], chosen[1], chosen[2], chosen[3], chosen[4], depth + 1)
                else:
                    render(t_name, t_path, t_events, k + 1, close, depth + 1)
                k = close + 1
                continue
            if kind == "include":
                target, bindings, only, line = event[1], event[2], event[3], event[4]
                found = load(target) if target and len(stack) < MAX_DEPTH else None
                if found is not None and found[0] not in stack:
                    out.append(("with", bindings, line, only))
                    out.extend(expand(target, found[0], found[1], load, stack))
                    out.append(("endwith",))
            elif kind not in ("extends", "endblock"):
                out.append(event)
            k += 1
        out.append(("endfile",))

    root = chain[-1]
    render(root[0], root[1], root[2], 0, len(root[2]), 0)
    return out
