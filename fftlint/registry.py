"""Rule discovery (built-ins and entry points), code redirects, and selection.

Built-in rules are every ``Rule`` subclass defined in a module under ``fftlint.rules``
(the repository's ``rules/`` folder): no hand-kept import list. Third-party packages add
rules through the entry-point group ``fftlint.rules``; an entry point names a module (all
its rules) or a single Rule class.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import sys
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Type

from fftlint.rule import ENGINE_FAMILY, Family, Rule

ENTRY_POINT_GROUP = "fftlint.rules"

#: Codes are permanent: a renamed or merged rule keeps working under its old code.
REDIRECTS: Dict[str, str] = {}


class SelectionError(ValueError):
    """A selector names no known rule."""


class SyntaxErrorRule(Rule):
    """## What it does
    Reports a file that fftlint cannot parse as Python.

    ## Why is this bad?
    A file that does not parse cannot be analysed: every other rule is silent on it.

    ## Example
    ```python
    async def f(:
    ```

    ## Use instead
    Fix the syntax error; the message carries the parser's line, column and reason.

    ## Fix safety
    No fix.
    """

    code = "FFT001"
    name = "syntax-error"
    message = "SyntaxError: {reason}"
    severity = "error"


class InternalErrorRule(Rule):
    """## What it does
    Reports a rule that crashed on a file. The other rules and files still run, and the
    exit code becomes 2.

    ## Why is this bad?
    A crashed rule may have missed problems in that file. Please report it with the file.

    ## Example
    Any file that triggers a bug in a rule.

    ## Use instead
    Upgrade fftlint, or `--ignore` the failing rule until it is fixed.

    ## Fix safety
    No fix.
    """

    code = "FFT002"
    name = "internal-error"
    message = "rule {rule} failed on this file: {reason}"
    severity = "error"


class UnusedSuppressionRule(Rule):
    """## What it does
    Reports a `# fftlint: ignore[...]` or `# noqa: FFT...` comment that suppresses nothing
    (opt-in: select `FFT003`).

    ## Why is this bad?
    Stale suppressions hide future findings on that line and mislead readers.

    ## Example
    ```python
    x = compute()  # noqa: FFT101
    ```

    ## Use instead
    Remove the comment, or the codes in it that no longer apply. A bare `# noqa` is left
    alone because it usually serves another tool.

    ## Fix safety
    No fix.
    """

    code = "FFT003"
    name = "unused-suppression"
    message = "Unused suppression ({codes}): nothing reported here"
    severity = "note"
    default_enabled = False
    requires = ("noqa", "fftlint", "NOQA")


class UnreadableFileRule(Rule):
    """## What it does
    Reports a file that cannot be read or decoded (permissions, a bad PEP 263 coding
    cookie, bytes that are not valid in the file's encoding).

    ## Why is this bad?
    fftlint cannot analyse a file it cannot read; Python cannot import it either.

    ## Example
    A file declared UTF-8 that contains Latin-1 bytes.

    ## Use instead
    Re-encode the file (UTF-8 is the default), or declare its real encoding with a
    `# -*- coding: ... -*-` line.

    ## Fix safety
    No fix.
    """

    code = "FFT004"
    name = "unreadable-file"
    message = "cannot read file: {reason}"
    severity = "error"


class FixNotWrittenRule(Rule):
    """## What it does
    Reports a file that `--fix` wanted to change but did not write: the file system
    refused the write (read-only, immutable, out of space), the file vanished or could
    not be read back, or the file is a symbolic link to a file outside the linted tree.
    The other files are still fixed and reported.

    ## Why is this bad?
    The findings in that file are still there. A failed write is an error (exit code 2);
    a link that leads outside the tree is a warning: fftlint never edits files outside
    the directories it was asked to lint.

    ## Example
    `fftlint --fix src/` where `src/vendored.py` links to a file in another checkout.

    ## Use instead
    Make the file writable, or lint and fix the link's target where it lives.

    ## Fix safety
    No fix.
    """

    code = "FFT005"
    name = "fix-not-written"
    message = "--fix could not write the file: {reason}"
    severity = "error"


ENGINE_RULES: Tuple[Type[Rule], ...] = (
    SyntaxErrorRule,
    InternalErrorRule,
    UnusedSuppressionRule,
    UnreadableFileRule,
    FixNotWrittenRule,
)
ALWAYS_ON = frozenset(("FFT001", "FFT002", "FFT004", "FFT005"))
ENGINE_CODES = frozenset(r.code for r in ENGINE_RULES)


def _rules_in_module(module: object, nested: bool = False) -> Iterable[Type[Rule]]:
    """The rules a module defines; with ``nested``, also those its package's submodules
    define and it imports (a plugin's entry point may name its package), never rules it
    imports from elsewhere (a shared base class, a built-in rule)."""
    name = module.__name__  # type: ignore[attr-defined]
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if issubclass(obj, Rule) and obj is not Rule and obj.code:
            if obj.__module__ == name or (nested and obj.__module__.startswith(name + ".")):
                yield obj


def _builtin_modules() -> Iterable[str]:
    import fftlint.rules as package

    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not info.ispkg:
            yield info.name


def may_declare_plugins(path: Sequence[str]) -> bool:
    """Whether a distribution on ``path`` (``sys.path``) may declare an entry point of
    :data:`ENTRY_POINT_GROUP`: some ``*.dist-info`` / ``*.egg-info`` (an egg's ``EGG-INFO``) holds an
    ``entry_points.txt`` that names the group, or an entry is an archive (a zip import
    path, not looked into). False lets a run skip ``importlib.metadata`` altogether: its
    import and scan of every distribution cost more than the rest of a one-file run's
    start-up. Bytes-level and conservative: a mention of the group in a comment counts."""
    needle = f"[{ENTRY_POINT_GROUP}]".encode()
    for entry in path:
        directory = entry or "."
        try:
            with os.scandir(directory) as it:
                names = [e.name for e in it if e.name.endswith((".dist-info", ".egg-info")) or e.name == "EGG-INFO"]
        except NotADirectoryError:
            return True  # an archive on the path
        except OSError:
            continue  # missing: nothing to import from there
        for name in names:
            try:
                with open(os.path.join(directory, name, "entry_points.txt"), "rb") as fh:
                    if needle in fh.read():
                        return True
            except OSError:
                continue
    return False


@lru_cache(maxsize=1)
def _entry_points() -> Tuple[object, ...]:
    """This process's entry points of the group (found once: :func:`families` and
    :func:`all_rules` both ask)."""
    if not may_declare_plugins(sys.path):
        return ()
    try:
        from importlib.metadata import entry_points
    except ImportError:  # pragma: no cover
        return ()
    eps = entry_points()
    if hasattr(eps, "select"):
        return tuple(eps.select(group=ENTRY_POINT_GROUP))
    return tuple(eps.get(ENTRY_POINT_GROUP, []))  # type: ignore[attr-defined]  # Python 3.9


@lru_cache(maxsize=1)
def families() -> Dict[str, Family]:
    """Every declared family by prefix: the engine's, the built-in rule packages'
    (``FAMILY`` in ``fftlint.rules.<family>``), and those of plugin modules."""
    found: Dict[str, Family] = {ENGINE_FAMILY.prefix: ENGINE_FAMILY}
    import fftlint.rules as package

    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.ispkg:
            family = getattr(importlib.import_module(info.name), "FAMILY", None)
            if isinstance(family, Family):
                found.setdefault(family.prefix, family)
    for ep in _entry_points():
        module = getattr(ep, "module", None) or str(getattr(ep, "value", "")).split(":", 1)[0]
        # the entry point's module or the nearest package above it that declares one
        parts = module.split(".") if module else []
        while parts:
            try:
                family = getattr(importlib.import_module(".".join(parts)), "FAMILY", None)
            except Exception:  # noqa: BLE001 - reported when its rules load
                break
            if isinstance(family, Family):
                found.setdefault(family.prefix, family)
                break
            parts.pop()
    return dict(sorted(found.items()))


@lru_cache(maxsize=1)
def all_rules() -> Tuple[Type[Rule], ...]:
    """Every known rule, sorted by code. Duplicate codes are a packaging bug: first wins."""
    found: Dict[str, Type[Rule]] = {r.code: r for r in ENGINE_RULES}
    for name in _builtin_modules():
        for rule in _rules_in_module(importlib.import_module(name)):
            found.setdefault(rule.code, rule)
    for ep in _entry_points():
        try:
            obj = ep.load()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the linter
            print(f"fftlint: warning: cannot load rule plugin {ep.name!r}: {exc}", file=sys.stderr)  # type: ignore[attr-defined]
            continue
        rules = [obj] if inspect.isclass(obj) else list(_rules_in_module(obj, nested=True))
        for rule in rules:
            found.setdefault(rule.code, rule)
    return tuple(sorted(found.values(), key=lambda r: r.code))


def family_of(code: str) -> Optional[Family]:
    """The family whose prefix is the longest start of ``code`` (``ACME1`` for
    ``ACME101``, ``FFT1`` for ``FFT101``), or None."""
    best: Optional[Family] = None
    for prefix, family in families().items():
        if code.startswith(prefix) and (best is None or len(prefix) > len(best.prefix)):
            best = family
    return best


def by_code() -> Dict[str, Type[Rule]]:
    return {r.code: r for r in all_rules()}


def lookup(code_or_name: str) -> Type[Rule]:
    key = REDIRECTS.get(code_or_name.upper(), code_or_name.upper())
    for rule in all_rules():
        if rule.code == key or rule.name == code_or_name.lower():
            return rule
    raise KeyError(code_or_name)


def normalize_selector(selector: str) -> str:
    sel = selector.strip().upper()
    return REDIRECTS.get(sel, sel)


def check_selectors(selectors: Iterable[str], rules: Sequence[Type[Rule]]) -> List[str]:
    """Selectors that match no rule (bad codes)."""
    bad = []
    for raw in selectors:
        sel = normalize_selector(raw)
        if sel in ("ALL", "FFT") or sel in families():
            continue  # a whole family is a valid selector even before it has rules
        if not any(r.code.startswith(sel) for r in rules):
            bad.append(raw)
    return bad


def select(
    rules: Sequence[Type[Rule]],
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
) -> List[Type[Rule]]:
    """Rules enabled by ruff-style selectors: the most specific selector wins, and on a
    tie ``ignore`` wins. With no ``select``, the default-enabled rules are selected.
    Engine diagnostics (syntax, internal and read errors) are always on."""
    positive = [normalize_selector(s) for s in (*select, *extend_select)]
    negative = [normalize_selector(s) for s in ignore]
    chosen = []
    for rule in rules:
        if rule.code in ALWAYS_ON:
            chosen.append(rule)
            continue
        best_pos = _specificity(rule.code, positive)
        if not select and best_pos < 0 and rule.default_enabled:
            best_pos = 0
        best_neg = _specificity(rule.code, negative)
        if best_pos >= 0 and best_pos > best_neg:
            chosen.append(rule)
    return chosen


def _specificity(code: str, selectors: Sequence[str]) -> int:
    best = -1
    for sel in selectors:
        if sel == "ALL":
            best = max(best, 0)
        elif code.startswith(sel):
            best = max(best, len(sel))
    return best
