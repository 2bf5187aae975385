"""The FFT5xx fact provider: schema facts learned from the project's Python files.

Its project-wide facts are :func:`fftlint.analysis.sql.loader.python_schema_facts` (Django
models and migrations, SQLAlchemy tables, Alembic migrations, SQL in Python strings), built
once per run and cached by content hash. The DDL files the rules read (``schema-files``) are
external inputs: their sizes and modification times key the results of files linted with
FFT5xx, so editing ``schema.sql`` re-lints them.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence

from fftlint.facts.provider import Provider

NAME = "sql-schema"


class SchemaProvider(Provider):
    name = NAME

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        globs = {"**/*.sql"}
        found = getattr(options, "schema_files", None)
        if isinstance(found, (list, tuple)):
            globs.update(str(g) for g in found)
        self.globs = tuple(sorted(globs))
        self._inputs: Dict[str, str] = {}

    def project_facts(self, files: Sequence[str], cache: Any = None) -> Optional[List[Any]]:
        from fftlint.analysis.sql.loader import python_schema_facts

        return python_schema_facts(files, cache)

    def digest(self) -> str:
        from fftlint.cache import project_digest

        facts = getattr(self, "facts", None)
        return project_digest(list(facts)) if facts else ""

    def external_inputs(self, path: str) -> str:
        from fftlint.analysis.sql import loader
        from fftlint.cache import stat_digest

        if path in ("-", "<stdin>"):
            return ""
        root = loader.project_root(path) or os.path.dirname(os.path.abspath(path))
        digest = self._inputs.get(root)
        if digest is None:
            try:
                digest = stat_digest(loader.sql_files(root, self.globs))
            except Exception:  # noqa: BLE001 - unknown inputs: never reuse such results
                digest = "unknown:" + os.urandom(8).hex()
            self._inputs[root] = digest
        return digest


    @property
    def schema_facts(self) -> Optional[List[Any]]:
        """What :func:`fftlint.analysis.sql.loader.schema_for` reads from ``project=``."""
        return getattr(self, "facts", None)


def schema_source(project: Any) -> Any:
    """What the rules pass to ``schema_for(project=...)``: the run's schema provider (its
    ``schema_facts``), or None without a project."""
    provider = getattr(project, "provider", None)
    return provider(NAME) if callable(provider) else None
