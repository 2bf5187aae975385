"""The FFT2xx fact provider: the project's ORM models, for the facts layer.

Its project-wide facts are the model index (:func:`fftlint.analysis.orm.build_model_index`:
every Django and SQLAlchemy model of the project with its relations, forward and reverse),
built once per run with ``ast`` and cached by content hash.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from fftlint.analysis.orm import ModelIndex, build_model_index
from fftlint.facts.provider import Provider

NAME = "orm"


class OrmProvider(Provider):
    name = NAME

    def project_facts(self, files: Sequence[str], cache: Any = None) -> Optional[ModelIndex]:
        return build_model_index(files, cache=cache)

    def digest(self) -> str:
        facts = getattr(self, "facts", None)
        return facts.digest() if isinstance(facts, ModelIndex) else ""


def project_models(project: Any) -> Optional[ModelIndex]:
    """The project's model index (None without a project or models)."""
    if project is None:
        return None
    facts_of = getattr(project, "facts_of", None)
    found = facts_of(NAME) if callable(facts_of) else None
    return found if isinstance(found, ModelIndex) else None
