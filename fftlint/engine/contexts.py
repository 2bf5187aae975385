"""Code contexts: is a file production code, a test, a migration or a script?

Each rule declares the contexts it reports in by default (``Rule.contexts``). A rule does
not run on a file of another context (:func:`fftlint.api.reporting_rules`): the file's
result counts the rules left out (``FileResult.unanalysed``) so that the summary says how
many files and how to have them analysed (``--contexts all`` / ``report-contexts``). A
finding that still lands outside its rule's contexts is *held back*: left out of the
output, counted in ``FileResult.held_back``.

A file's context comes from its path below the project root (the config file's
directory, else the working directory; for a file outside it, below the nearest
``pyproject.toml`` / ``setup.py`` / ``setup.cfg`` / ``.git``, else the whole path):

1. ``contexts`` globs in the config (``[tool.fftlint.contexts]``), tried for
   production, tests, migrations and scripts in that order (so ``production`` globs carve
   files out of a convention);
2. the conventions, tried in the order tests, migrations, scripts:

   * tests: a ``tests/`` or ``test/`` directory, ``test_*.py``, ``*_test.py``,
     ``tests.py`` (Django's), ``conftest.py``;
   * migrations: a ``migrations/`` (Django, Flask-Migrate) or ``alembic/`` directory
     (also as a private package: ``_migrations/``),
     a ``versions/`` directory next to Alembic's ``env.py`` / ``script.py.mako``;
   * scripts: a ``scripts/``, ``script/``, ``bin/``, ``docs/``, ``doc/``, ``examples/``
     or ``example/`` directory, and the one-shot entry points ``manage.py``,
     ``setup.py``, ``noxfile.py``, ``fabfile.py``, ``dodo.py``.

3. anything else is production code. Django management commands
   (``management/commands/``) stay production: they are deployed batch jobs.

Context names are generic words: the engine never names a rule family.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Callable, Dict, FrozenSet, Iterable, Optional, Tuple

from fftlint.types import CONTEXTS, MIGRATIONS, PRODUCTION, SCRIPTS, TESTS, FileResult

__all__ = ["CONTEXTS", "MIGRATIONS", "PRODUCTION", "SCRIPTS", "TESTS", "classify", "hold_back", "parse_names"]

EVERYWHERE: FrozenSet[str] = frozenset(CONTEXTS)
PRODUCTION_ONLY: FrozenSet[str] = frozenset((PRODUCTION,))
PRODUCTION_AND_SCRIPTS: FrozenSet[str] = frozenset((PRODUCTION, SCRIPTS))

#: ``--contexts`` / ``report-contexts`` words besides the context names
ALL = "all"
DEFAULT = "default"

ContextGlobs = Tuple[Tuple[str, Tuple[str, ...]], ...]

_TEST_DIRS = frozenset(("tests", "test"))
_TEST_STEMS = frozenset(("conftest", "tests"))
_MIGRATION_DIRS = frozenset(("migrations", "alembic"))
_ALEMBIC_MARKERS = ("env.py", "script.py.mako")
_SCRIPT_DIRS = frozenset(("scripts", "script", "bin", "docs", "doc", "examples", "example"))
_SCRIPT_FILES = frozenset(("manage.py", "setup.py", "noxfile.py", "fabfile.py", "dodo.py"))
_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def parse_names(values: Iterable[str]) -> Tuple[str, ...]:
    """``all`` / ``default`` / context names -> the contexts to report every rule in
    (empty: each rule in its own), in canonical order. Raises ValueError (the problem)."""
    words = [v.strip().lower() for v in values if v.strip()]
    if not words:
        raise ValueError(f"expected {choices()}")
    if words == [DEFAULT]:
        return ()
    if words == [ALL]:
        return CONTEXTS
    bad = [w for w in words if w not in CONTEXTS]
    if bad:
        raise ValueError(f"unknown context {', '.join(map(repr, bad))} (use {choices()})")
    return tuple(c for c in CONTEXTS if c in words)


def choices() -> str:
    return f"{ALL}, {DEFAULT}, or a list of {', '.join(CONTEXTS)}"


def classify(path: str, root: str, globs: ContextGlobs = ()) -> str:
    """The context of the file at ``path`` (see the module docstring)."""
    if path in ("-", "<stdin>"):
        return PRODUCTION
    rel = _relative(os.path.abspath(path), os.path.abspath(root))
    if globs:
        from fftlint.config.settings import path_matches

        by_context: Dict[str, Tuple[str, ...]] = {}
        for context, patterns in globs:
            by_context[context] = by_context.get(context, ()) + tuple(patterns)
        for context in CONTEXTS:
            if any(path_matches(rel, p) for p in by_context.get(context, ())):
                return context
    return _conventional(rel, os.path.abspath(path))


def _relative(full: str, root: str) -> str:
    try:
        rel = os.path.relpath(full, root)
    except ValueError:  # another drive (Windows)
        rel = os.pardir
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        anchor = _project_anchor(os.path.dirname(full))
        rel = os.path.relpath(full, anchor) if anchor else full.lstrip(os.sep)
    return rel.replace(os.sep, "/")


def _project_anchor(directory: str) -> Optional[str]:
    """The nearest directory at or above ``directory`` with a project marker. Not
    memoized (like :func:`_alembic_dir`): only files outside the root ask, and a
    long-lived process (an editor's server) must see new files."""
    while True:
        if any(os.path.exists(os.path.join(directory, m)) for m in _PROJECT_MARKERS):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _conventional(rel: str, full: str) -> str:
    parts = rel.split("/")
    dirs, name = parts[:-1], parts[-1]
    stem = name.rsplit(".", 1)[0] if name.endswith((".py", ".pyi")) else ""
    if _TEST_DIRS.intersection(dirs) or stem in _TEST_STEMS or stem.startswith("test_") or stem.endswith("_test"):
        return TESTS
    if _MIGRATION_DIRS.intersection(d.lstrip("_") for d in dirs) or (dirs and dirs[-1] == "versions" and _alembic_dir(os.path.dirname(os.path.dirname(full)))):
        return MIGRATIONS
    if _SCRIPT_DIRS.intersection(dirs) or name in _SCRIPT_FILES:
        return SCRIPTS
    return PRODUCTION


def _alembic_dir(directory: str) -> bool:
    """Alembic's script directory: ``versions/`` beside ``env.py`` / ``script.py.mako``."""
    return any(os.path.isfile(os.path.join(directory, m)) for m in _ALEMBIC_MARKERS)


def hold_back(result: FileResult, context: str, shown_in: Callable[[str], FrozenSet[str]]) -> FileResult:
    """The result without the findings whose code does not report in ``context``
    (``shown_in(code)``: the contexts a code reports in), counting them."""
    kept = tuple(d for d in result.diagnostics if context in shown_in(d.code))
    return replace(result, diagnostics=kept, context=context, held_back=len(result.diagnostics) - len(kept))
