"""What the language server knows between requests: the open documents, each project's
configuration and cross-file facts, and the last result of each document.

No LSP here (the protocol is :mod:`fftlint.server.app`): a session lints documents and
answers with fftlint's own values, so it is tested without a client too.

* Configuration is read as the command line reads it (the nearest ``.fftlint.yaml`` or
  ``pyproject.toml`` above the file), once per config file, until :meth:`reload_config`.
* Cross-file facts (the project index: helpers that block, ORM models, the schema) are built
  once per project, with the open documents' unsaved text standing in for their files, and
  rebuilt by :meth:`refresh_project` -- the server calls it when another file changes, saved
  or not. Per-file summaries (``ast``, by content hash) stay in memory across rebuilds, so a
  rebuild re-summarizes only the files that changed.
* Linting never raises: a file that does not parse is an FFT001 finding, a rule that crashes
  an FFT002 finding, and any other failure a :class:`LintFailure` the server logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from fftlint import api
from fftlint.config.settings import ConfigError
from fftlint.types import FileResult


class MemoryCache:
    """The engine's cache interface (``get`` / ``put`` by namespace and key) kept in
    memory, in front of the on-disk cache when there is one."""

    enabled = True

    def __init__(self, disk: Any = None) -> None:
        self.disk = disk if disk is not None and getattr(disk, "enabled", False) else None
        self.values: Dict[Tuple[str, str], Any] = {}

    def get(self, namespace: str, key: str) -> Any:
        hit = self.values.get((namespace, key))
        if hit is None and self.disk is not None:
            hit = self.disk.get(namespace, key)
            if hit is not None:
                self.values[(namespace, key)] = hit
        return hit

    def put(self, namespace: str, key: str, value: Any) -> None:
        self.values[(namespace, key)] = value
        if self.disk is not None:
            self.disk.put(namespace, key, value)


@dataclass
class Document:
    uri: str
    path: str
    text: str
    version: Optional[int] = None


@dataclass
class Project:
    """One configuration's run settings and cross-file facts."""

    config: api.RunConfig
    built: bool = False
    baseline: Any = None
    baseline_error: Optional[str] = None


@dataclass
class Outcome:
    result: FileResult
    config: Optional[api.RunConfig] = None
    #: a configuration or baseline problem to show the user (the file is not linted)
    problem: Optional[str] = None


class LintFailure(Exception):
    """An unexpected failure while linting one document (a bug: logged, never fatal)."""


@dataclass
class Session:
    #: called with a message when something is wrong that the user should know
    warn: Callable[[str], None] = lambda message: None
    documents: Dict[str, Document] = field(default_factory=dict)
    projects: Dict[str, Project] = field(default_factory=dict)
    results: Dict[str, Tuple[Optional[int], Outcome]] = field(default_factory=dict)
    cache: MemoryCache = field(default_factory=MemoryCache)
    #: a parser to use instead of LibCST's full parse (the server's incremental one)
    parse: Any = None

    # -- documents --------------------------------------------------------------------
    def open(self, uri: str, path: str, text: str, version: Optional[int] = None) -> Document:
        doc = Document(uri, path, text, version)
        self.documents[uri] = doc
        return doc

    def change(self, uri: str, text: str, version: Optional[int] = None) -> Optional[Document]:
        doc = self.documents.get(uri)
        if doc is not None:
            doc.text = text
            doc.version = version
            self.results.pop(uri, None)
        return doc

    def close(self, uri: str) -> None:
        self.documents.pop(uri, None)
        self.results.pop(uri, None)

    def buffers(self) -> Dict[str, str]:
        return {os.path.abspath(d.path): d.text for d in self.documents.values()}

    # -- configuration and project facts -------------------------------------------
    def project_for(self, path: str) -> Project:
        """The project of a file (raises ConfigError for a broken config file)."""
        from fftlint.config.load import discover

        settings = discover([path])
        key = settings.source if settings.source != "<defaults>" else "<defaults>:" + os.path.dirname(os.path.abspath(path))
        project = self.projects.get(key)
        if project is None:
            project = Project(api.make_config(settings))
            if settings.baseline:
                from fftlint.baseline import Baseline, BaselineError

                try:
                    project.baseline = Baseline.load(settings.baseline)
                except BaselineError as exc:
                    project.baseline_error = f"{settings.source}: baseline: {exc}"
            self.projects[key] = project
        return project

    def _build(self, project: Project, path: str) -> None:
        config = project.config
        root = config.settings.root if config.settings.source != "<defaults>" else os.path.dirname(os.path.abspath(path))
        config.project = None
        config.project = api.build_project([root], [path], config, self.cache, buffers=self.buffers())
        project.built = True

    def refresh_project(self) -> None:
        """Another file changed (its buffer, or on disk): cross-file facts are rebuilt
        before the next lint (per-file summaries stay cached by content)."""
        for project in self.projects.values():
            project.built = False
        self.results.clear()

    def reload_config(self) -> None:
        """A config file changed: read every configuration again."""
        from fftlint.config.load import find_config

        find_config.cache_clear()
        self.projects.clear()
        self.results.clear()

    # -- linting ----------------------------------------------------------------------
    def lint(self, uri: str) -> Outcome:
        doc = self.documents[uri]
        cached = self.results.get(uri)
        if cached is not None and cached[0] == doc.version and doc.version is not None:
            return cached[1]
        outcome = self._lint(doc)
        self.results[uri] = (doc.version, outcome)
        return outcome

    def _lint(self, doc: Document) -> Outcome:
        try:
            project = self.project_for(doc.path)
        except ConfigError as exc:
            return Outcome(FileResult(doc.path), None, str(exc))
        try:
            if not project.built:
                self._build(project, doc.path)
            result = self.lint_text(doc.text, doc.path, project.config)
        except Exception as exc:  # noqa: BLE001 - the server outlives any bug
            raise LintFailure(f"{type(exc).__name__}: {exc}") from exc
        if project.baseline is not None:
            result = project.baseline.split(result)
        return Outcome(result, project.config, project.baseline_error)

    def lint_text(self, text: str, path: str, config: api.RunConfig) -> FileResult:
        if self.parse is None:
            return api.lint_text(text, path, config)
        return api.lint_text(text, path, config, parse=self.parse)

    def fix_all(self, uri: str, unsafe: bool = False) -> Optional[str]:
        """The document's text with every (safe) fix applied, or None if nothing changes."""
        from fftlint import fix as fixer

        doc = self.documents[uri]
        outcome = self.lint(uri)
        if outcome.config is None:
            return None
        config = outcome.config
        baseline = self.project_for(doc.path).baseline

        def lint(text: str) -> FileResult:
            result = self.lint_text(text, doc.path, config)
            return baseline.split(result) if baseline is not None else result

        fixed = fixer.fix_to_fixpoint(doc.text, lint, unsafe).text
        return fixed if fixed != doc.text else None

    def open_paths(self) -> List[str]:
        return [d.path for d in self.documents.values()]
