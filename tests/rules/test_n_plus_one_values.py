"""The ORM provider's values as the facts layer resolves them (what FFT201/202/204 and
FFT108 read): querysets and queries through helpers, ``self``, sessions made elsewhere."""

import textwrap

import libcst as cst

from fftlint.engine.run import lint_source, module_name_for
from fftlint.facts.values import render
from fftlint.rule import Rule
from fftlint.testing import project_for
from rules.n_plus_one.provider import OrmProvider, session_kind

MODELS = """
from django.db import models

class ShelfQuerySet(models.QuerySet):
    def lit(self):
        return self.filter(lit=True)

    def by_name(self):
        return {s.name: s for s in self}

class Shelf(models.Model):
    name = models.CharField(max_length=9)
    objects = ShelfQuerySet.as_manager()

class Book(models.Model):
    shelf = models.ForeignKey(Shelf, on_delete=models.CASCADE, related_name="books")
"""
SQLA = """
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

class Base(DeclarativeBase):
    pass

class Room(Base):
    __tablename__ = "rooms"
    id: Mapped[int] = mapped_column(primary_key=True)

class Repo:
    def __init__(self, db: Session) -> None:
        self.db = db

    def rooms(self):
        return self.db.query(Room).all()
"""


class _Probe(Rule):
    code = "FFT998"
    name = "values-probe"
    message = "probe"
    providers = (OrmProvider,)
    seen: dict = {}

    def visit_Call(self, node: cst.Call) -> None:
        _Probe.seen[" ".join(self.ctx.code_for(node).split())] = sorted(render(v) for v in self.ctx.names.values(node))


def values_of(tmp_path, files, target, code):
    for name, text in {**files, target: code}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    paths = [str(p) for p in tmp_path.rglob("*.py")]
    project = project_for([_Probe], paths)
    path = str(tmp_path / target)
    module, is_package = module_name_for(path)
    _Probe.seen = {}
    result = lint_source((tmp_path / target).read_text(), path, [_Probe], project=project, module_name=module, is_package=is_package, prefilter=False)
    assert not result.diagnostics
    return _Probe.seen


def test_querysets_through_helpers_custom_methods_and_related_managers(tmp_path):
    seen = values_of(tmp_path, {"lib/__init__.py": "", "lib/models.py": MODELS}, "lib/views.py", """
        from django.db.models import Prefetch
        from .models import Shelf

        def lit_shelves():
            return Shelf.objects.lit()

        def f(shelf: Shelf):
            lit_shelves()
            Shelf.objects.by_name()
            shelf.books.filter(id=1)
            Shelf.objects.select_related("x")
            Shelf.objects.select_related()
            Shelf.objects.filter(id=1).prefetch_related(Prefetch("books"))
    """)
    assert seen["lit_shelves()"] == ["<orm:('qs', 'lib.models.Shelf', (), '')>"]
    assert seen["Shelf.objects.by_name()"] == ["?"]  # a custom method returning a dict
    assert seen["shelf.books.filter(id=1)"] == ["<orm:('qs', 'lib.models.Book', (), 'lib.models.Shelf:books|filtered')>"]
    # literal loader paths are kept, across modules too; a bare select_related() is marked
    # (it follows the non-null foreign keys); a Prefetch object may load anything
    assert seen['Shelf.objects.select_related("x")'] == ["<orm:('qs', 'lib.models.Shelf', ('x',), '')>"]
    assert seen["Shelf.objects.select_related()"] == ["<orm:('qs', 'lib.models.Shelf', ('<select_related()>',), '')>"]
    assert seen['Shelf.objects.filter(id=1).prefetch_related(Prefetch("books"))'] == ["<orm:('qs', 'lib.models.Shelf', ('*',), '')>"]


def test_sqlalchemy_queries_keep_their_value_through_self_and_helpers(tmp_path):
    seen = values_of(tmp_path, {"hotel/__init__.py": "", "hotel/models.py": SQLA}, "hotel/views.py", """
        from sqlalchemy.orm import Session, selectinload
        from .models import Repo, Room

        def f(db: Session):
            Repo(db).rooms()
            db.query(Room).options(selectinload(Room.id)).filter(Room.id == 1)
    """)
    assert seen["Repo(db).rooms()"] == ["<orm:('rows', 'hotel.models.Room', (), '')>"]
    assert seen["db.query(Room).options(selectinload(Room.id)).filter(Room.id == 1)"] == ["<orm:('query', 'hotel.models.Room', ('id',), '')>"]


def test_only_sessions_connections_and_engines_are_sessions():
    assert session_kind("sqlalchemy.orm.Session()") == "sync"
    assert session_kind("sqlalchemy.orm.sessionmaker()()") == "sync"
    assert session_kind("sqlalchemy.create_engine().connect()") == "sync"
    assert session_kind("flask_sqlalchemy.SQLAlchemy().session") == "sync"
    assert session_kind("sqlalchemy.ext.asyncio.AsyncSession()") == "async"
    assert session_kind("sqlalchemy.ext.asyncio.async_sessionmaker()()") == "async"
    assert session_kind("sqlalchemy.engine.url.URL().translate_connect_args()") is None
    assert session_kind("requests.Session()") is None
