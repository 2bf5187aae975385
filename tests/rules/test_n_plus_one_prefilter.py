"""FFT201 / FFT202 ``ast`` pre-checks: never hide a finding, and keep ordinary code away
from LibCST."""

import ast
import textwrap

import pytest

from fftlint.analysis.orm import ModelIndex, summarize_models
from fftlint.config.options import build_options
from fftlint.engine.prefilter import AstView
from fftlint.engine.run import lint_source
from fftlint.testing import project_for
from fftlint.registry import lookup

FFT201 = lookup("FFT201")
FFT202 = lookup("FFT202")

MODELS = textwrap.dedent(
    """
    from django.db import models
    from shop.managers import PublishedManager as PM

    class Author(models.Model):
        name = models.CharField(max_length=10)

    class Book(models.Model):
        author = models.ForeignKey(Author, related_name="books", on_delete=models.CASCADE)
        live = PM()
        recent = BookQuerySet.as_manager()
    """
)


SQLA_MODELS = textwrap.dedent(
    """
    from sqlalchemy import Column, ForeignKey, Integer
    from sqlalchemy.orm import declarative_base, relationship

    Base = declarative_base()

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)

    class Address(Base):
        __tablename__ = "addresses"
        id = Column(Integer, primary_key=True)
        user_id = Column(ForeignKey("users.id"))
        user = relationship("User")
    """
)


def project():
    index = ModelIndex([summarize_models(MODELS, "shop.models"), summarize_models(SQLA_MODELS, "shop.tables")])
    return project_for([FFT201, FFT202], facts={"orm": index})


def _options(rule, table):
    return build_options([rule], {"n-plus-one": table}, "<test>") if table else {}


def _lint(code, rule, prefilter, proj=None, table=None, path="shop/views.py"):
    result = lint_source(code, path, [rule], _options(rule, table), project=proj, module_name=path[:-3].replace("/", "."), prefilter=prefilter)
    return [(d.code, d.span.line, d.message) for d in result.diagnostics]


def _could(code, rule, proj=None, table=None, path="shop/views.py"):
    opts = _options(rule, table)
    return rule.could_match(AstView(ast.parse(code), code, path, opts, proj))


# Each case reports when every file is parsed; the pre-filtered run must agree.
REPORTING = [
    # a custom manager declared in another file of the project
    ("from shop.models import Book\nfor a in authors:\n    Book.live.filter(author=a).first()\n", FFT201, True, None),
    # ... and in this file, through an import alias and as_manager()
    (MODELS + "for a in authors:\n    Book.live.filter(author=a).first()\n", FFT201, False, None),
    (MODELS + "for a in authors:\n    Book.recent.filter(author=a).count()\n", FFT201, False, None),
    # a manager name from the options
    (MODELS + "for a in authors:\n    Book.published.get(author=a)\n", FFT201, False, {"managers": ["published"]}),
    # a queryset bound outside the loop, evaluated inside
    ("qs = Book.objects.filter(x=1)\nfor a in authors:\n    n = qs.count()\n", FFT201, False, None),
    # sessions: by name, by option, by the sqlalchemy import behind an alias
    ("for i in ids:\n    db_session.get(User, i)\n", FFT201, False, None),
    ("for i in ids:\n    uow2.get(User, i)\n", FFT201, False, {"session-names": ["uow2"]}),
    ("from sqlalchemy.orm import Session as S\nfrom sqlalchemy import select\ns = S()\nfor i in ids:\n    s.execute(select(User).where(User.id == i))\n", FFT201, False, None),
    # DB-API cursors: by name, by the connection they come from, by option
    ("for r in rows:\n    cur.execute('INSERT INTO t VALUES (%s)', r)\n", FFT201, False, None),
    ("import sqlite3\nc = sqlite3.connect('x').cursor()\nfor r in rows:\n    c.execute('SELECT 1 FROM t WHERE id = ?', r)\n", FFT201, False, None),
    ("for r in rows:\n    pipe.execute(INSERT_ROW, r)\n", FFT201, False, {"cursor-names": ["pipe"]}),
    # Flask-SQLAlchemy's Model.query on a model of another file (no sqlalchemy import here)
    ("from shop.tables import User\nfor i in ids:\n    u = User.query.get(i)\n", FFT201, True, None),
    ("from shop.tables import Address\nfor a in Address.query.all():\n    print(a.user.id)\n", FFT202, True, None),
    # FFT202: rows of a catalog manager and a relation known from the project
    ("from shop.models import Book\nfor b in Book.objects.all():\n    print(b.author.name)\n", FFT202, True, None),
    (MODELS + "print([b.author for b in Book.objects.all()])\n", FFT202, False, None),
]


@pytest.mark.parametrize("code,rule,with_project,table", REPORTING)
def test_precheck_never_hides_a_finding(code, rule, with_project, table):
    proj = project() if with_project else None
    unfiltered = _lint(code, rule, False, proj, table)
    assert unfiltered, f"{rule.code} should report on:\n{code}"
    assert _lint(code, rule, True, proj, table) == unfiltered
    assert _could(code, rule, proj, table)


SILENT = [
    # dict.get / requests.get / list.count in loops
    "import requests\nfor u in urls:\n    requests.get(u)\n    cache.get(u)\n    seen.count(u)\n",
    # a manager-looking name without a loop
    "book = Book.objects.get(pk=1)\nbook.save()\n",
    # execute() of something that is not SQL on a non-cursor
    "for job in jobs:\n    runner.execute(job)\n",
    # class attributes that are not managers
    "class Config:\n    name = make_name()\n    items = []\nfor c in configs:\n    print(c.name)\n",
    # a URL's query, with no session and no SQLAlchemy anywhere
    "from urllib.parse import urlsplit\nfor u in urls:\n    print(urlsplit(u).query, parts.query.split('&'))\n",
    # a while loop (polling) is never a collection loop
    "while True:\n    job = Job.objects.filter(done=False).first()\n",
]


@pytest.mark.parametrize("code", SILENT)
def test_look_alikes_stay_out_of_libcst(code):
    for rule in (FFT201, FFT202):
        assert _lint(code, rule, False) == []
        assert not _could(code, rule), f"{rule.code} pre-check let through:\n{code}"


def test_the_precheck_does_not_judge_code_contexts():
    # code contexts are the engine's business (with --contexts all the rule runs there)
    code = "for b in Book.objects.all():\n    Author.objects.get(pk=b.author_id)\n"
    assert _could(code, FFT201)
    assert _could(code, FFT201, path="shop/migrations/0004_backfill.py")


def test_files_without_any_root_word_skip_the_node_walk():
    code = "def total(rows):\n    return sum(r.price for r in rows)\n"
    view = AstView(ast.parse(code), code, "shop/views.py")
    assert not FFT201.could_match(view) and not FFT202.could_match(view)
    assert view._by_type is None  # decided from the text alone
