"""Pass-through helpers (``rules/n_plus_one/_through.py``): a helper that hands back the
query it is given, narrowed, keeps that query's rows and loads for FFT202 / FFT206."""

from __future__ import annotations

import ast
import json
import textwrap

from fftlint.facts.bindings import ModuleFacts
from fftlint.facts.summary import FunctionView
from fftlint.testing import lint_tree, write_tree
from rules.n_plus_one._through import MARK, parse_mark, through_mark


def mark(src: str, name: str = "f"):
    facts = ModuleFacts(ast.parse(textwrap.dedent(src)), "pkg.helpers")
    scope = next(s for s in facts.scopes.values() if s.kind == "function" and s.qualname.endswith("." + name))
    got = through_mark(FunctionView(facts, scope))
    return json.loads(got[len(MARK):]) if got is not None else None


def test_a_parameter_returned_through_query_methods_is_a_pass_through():
    got = mark("def f(queryset, request):\n    if request.GET:\n        return queryset\n    return queryset.order_by('name').distinct()\n")
    assert got == [0, "queryset", ["distinct", "order_by"], [], []]


def test_local_names_assigned_only_chains_of_the_parameter_are_followed():
    got = mark("def f(qs, today):\n    qs = qs.filter(start__lte=today)\n    active = qs.exclude(end__lt=today)\n    return active\n")
    assert got[:3] == [0, "qs", ["exclude", "filter"]]


def test_loaders_on_any_path_are_kept_with_their_paths():
    got = mark("def f(qs, deep):\n    if deep:\n        return qs.select_related('a', 'b__c')\n    return qs.prefetch_related(pf)\n")
    assert got[3] == [["prefetch_related", ["*"]], ["select_related", ["a", "b__c"]]]


def test_methods_skip_self_and_keyword_only_parameters_have_no_position():
    src = "class V:\n    def apply(self, queryset, data):\n        return queryset.filter(x=data)\n"
    assert mark(src, "apply")[:2] == [0, "queryset"]
    assert mark("def f(*, qs):\n    return qs.all()\n")[:2] == [-1, "qs"]


def test_a_call_of_another_helper_with_the_query_is_recorded_for_later():
    src = "class V:\n    def a(self, qs, code):\n        if code:\n            return self.b(qs, code)\n        return qs\n    def b(self, qs, code):\n        return qs.filter(code=code)\n"
    nested = mark(src, "a")[4]
    assert nested == [[["pkg.helpers.V().b"], 0, ""]]


def test_anything_else_returned_is_not_a_pass_through():
    assert mark("def f(qs):\n    return list(qs)\n") is None
    assert mark("def f(qs, r):\n    if r:\n        return qs.all()\n    return Other.objects.all()\n") is None
    assert mark("def f(qs, r):\n    if r:\n        return qs.order_by('x')\n") is None  # falls off: None
    assert mark("def f(qs, r):\n    if r:\n        return qs\n    return\n") is None
    assert mark("def f(qs, other):\n    if other:\n        return other\n    return qs\n") is None  # two parameters
    assert mark("def f(qs, r):\n    if r:\n        qs = r.rows\n    return qs\n") is None  # reassigned from elsewhere
    assert mark("def f(qs):\n    for qs in range(3):\n        pass\n    return qs\n") is None
    assert mark("def f(qs):\n    return helpers.sort(qs, 1, qs)\n") is None  # which argument flows out: unknown
    assert mark("def f(qs):\n    return qs[:10]\n") is None
    assert mark("async def f(qs):\n    return qs\n") is None
    assert mark("def f():\n    return 1\n") is None


def test_parse_mark_round_trips():
    got = parse_mark(frozenset({"cached", MARK + json.dumps([1, "q", ["filter"], [["select_related", ["a"]]], [[["m.g"], 0, ""]]])}))
    assert got is not None and got.position == 1 and got.name == "q" and got.methods == ("filter",)
    assert got.loads == (("select_related", ("a",)),) and got.nested == ((("m.g",), 0, ""),)
    assert parse_mark(frozenset({"cached"})) is None


MODELS = """\
    from django.db import models

    class Owner(models.Model):
        name = models.CharField(max_length=9)

    class Pet(models.Model):
        name = models.CharField(max_length=9)
        owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="pets")
"""


def _codes(tmp_path, files):
    write_tree(tmp_path, {"clinic/__init__.py": "", "clinic/models.py": MODELS, **files})
    return sorted((path, d.span.line, d.code) for path, d in lint_tree(tmp_path, select=["FFT2"]))


def test_rows_through_a_helper_of_another_module_are_read_per_row(tmp_path):
    got = _codes(tmp_path, {
        "clinic/filters.py": "def by_name(qs, name):\n    if name:\n        qs = qs.filter(name__icontains=name)\n    return qs\n",
        "clinic/report.py": (
            "from .filters import by_name\nfrom .models import Pet\n\n"
            "def report(name):\n    pets = by_name(Pet.objects.all(), name)\n    for pet in pets:\n        print(pet.owner.name)\n\n"
            "def loaded(name):\n    for pet in by_name(Pet.objects.select_related('owner'), name):\n        print(pet.owner.name)\n"
        ),
    })
    assert got == [("clinic/report.py", 7, "FFT202")]


def test_editing_the_helper_changes_the_answer_on_the_next_run(tmp_path):
    from fftlint.cache import Cache

    files = {
        "clinic/filters.py": "def by_name(qs, name):\n    return qs.filter(name=name)\n",
        "clinic/report.py": "from .filters import by_name\nfrom .models import Pet\n\ndef report(name):\n    for pet in by_name(Pet.objects.all(), name):\n        print(pet.owner.name)\n",
    }
    write_tree(tmp_path, {"clinic/__init__.py": "", "clinic/models.py": MODELS, **files})
    cache = Cache(str(tmp_path / ".cache"))
    first = [(p, d.code) for p, d in lint_tree(tmp_path, select=["FFT2"], cache=cache)]
    assert first == [("clinic/report.py", "FFT202")]
    write_tree(tmp_path, {"clinic/filters.py": "def by_name(qs, name):\n    return qs.filter(name=name).select_related('owner')\n"})
    second = [(p, d.code) for p, d in lint_tree(tmp_path, select=["FFT2"], cache=cache)]
    assert second == []


SQLA_MODELS = """\
    from typing import List
    from sqlalchemy import ForeignKey
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

    class Base(DeclarativeBase):
        pass

    class Run(Base):
        __tablename__ = "runs"
        id: Mapped[int] = mapped_column(primary_key=True)
        metrics: Mapped[List["Metric"]] = relationship(back_populates="run")

    class Metric(Base):
        __tablename__ = "metrics"
        id: Mapped[int] = mapped_column(primary_key=True)
        run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
        run: Mapped["Run"] = relationship(back_populates="metrics")
"""


def test_a_statement_through_helpers_points_back_to_its_select(tmp_path):
    write_tree(tmp_path, {
        "runs/__init__.py": "",
        "runs/models.py": SQLA_MODELS,
        "runs/narrow.py": "def newest(stmt, n):\n    return stmt.order_by('id').limit(n)\n",
        "runs/store.py": (
            "from sqlalchemy import select\nfrom .models import Run\nfrom .narrow import newest\n\n"
            "def report(make_session, n):\n"
            "    with make_session() as session:\n"
            "        stmt = select(Run)\n"
            "        stmt = newest(stmt, n)\n"
            "        runs = session.execute(stmt).scalars().all()\n"
            "        return [len(r.metrics) for r in runs]\n"
        ),
    })
    found = [(p, d) for p, d in lint_tree(tmp_path, select=["FFT2"])]
    assert [(p, d.span.line, d.code) for p, d in found] == [("runs/store.py", 10, "FFT202")]
    (related,) = found[0][1].related
    assert related.message == "the query is built here" and related.span.line == 7
