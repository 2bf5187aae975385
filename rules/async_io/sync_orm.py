"""FFT108: a synchronous ORM query (SQLAlchemy ``Session``, Django querysets) inside ``async def``."""

from __future__ import annotations

import ast
import os
from typing import Any, Optional, Set, Tuple

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule, Valid
from fftlint.types import Related, Span

from ._base import _ASYNC_DEF, quiet_region
from ._prefilter import possible_kinds
from .catalog import OPTIONS_KEY, AsyncIOOptions
from .orm import (
    ORM,
    django_runs,
    sqlalchemy_sync_io,
    sync_orm_iteration,
)
from .provider import OFFLOADED
from ..n_plus_one.provider import OrmProvider, is_dbapi


class SyncOrmInAsync(Rule):
    """## What it does
    Checks for synchronous database work inside an `async def` body:

    - a method of a *synchronous* SQLAlchemy `Session`, `Connection` or `Engine` that talks
      to the database (`execute`, `scalars`, `scalar`, `get`, `commit`, `flush`,
      `refresh`, `merge`, `rollback`, `connect`, `begin`, ...), `session.query(...)` run by
      `.all()` / `.first()` / `.one()` ..., and `sqlalchemy.inspect(engine)`;
    - a Django queryset evaluated synchronously: `get`, `first`, `count`, `exists`,
      `create`, `update`, `delete`, ... (not their async forms `aget`, `acount`, ...),
      a plain `for` loop or comprehension over a queryset (not `async for`), `list(qs)` /
      `len(qs)` / `bool(qs)`, and `save()` / `delete()` / `refresh_from_db()` of a model
      instance (also of one from `await Model.objects.aget(...)`, and its related managers),
      and Django's `get_object_or_404()` / `get_list_or_404()`;
    - a call of a synchronous function of your project that does one of these itself or
      through the functions it calls (reported with the chain, as FFT106 does).

    A sync session is told from an `AsyncSession` by what the facts layer infers the
    receiver is (an annotation `db: Session`, `SessionLocal = sessionmaker(...)`, a
    `session` attribute assigned in `__init__`, a helper's return value), never by its
    name: a receiver whose value is unknown, or that may be an `AsyncSession`, is not
    reported. Calls that are awaited, made in nested functions or lambdas (handed to
    `sync_to_async` / `run_in_threadpool`), or of functions decorated with an offload
    wrapper are not reported.

    ## Why is this bad?
    A synchronous query holds the event loop for the whole round trip to the database:
    every other request and task of the process waits. Django refuses outright: a sync
    ORM call in an async context raises `SynchronousOnlyOperation`.

    ## Example
    ```python
    @router.get("/users/{user_id}")
    async def read_user(user_id: int, db: Session = Depends(get_db)):
        return db.get(User, user_id)

    async def book_titles(request):
        return [b.title for b in Book.objects.filter(published=True)]
    ```

    ## Use instead
    ```python
    @router.get("/users/{user_id}")
    async def read_user(user_id: int, db: AsyncSession = Depends(get_async_db)):
        return await db.get(User, user_id)

    async def book_titles(request):
        return [b.title async for b in Book.objects.filter(published=True)]
    ```
    or keep the sync code and run it in a worker thread: `await run_in_threadpool(...)`
    (Starlette/FastAPI), `await sync_to_async(...)()` (Django), or declare the endpoint
    with `def` so the framework runs it in its thread pool.

    ## Fix safety
    No automatic fix: moving to `AsyncSession` or Django's async API changes the code
    around the call (awaits, session setup), and running it in a thread needs the
    session to be used from that thread only.
    """

    code = "FFT108"
    name = "sync-orm-in-async"
    message = "`{callee}` runs a synchronous database query inside `async def {func}`{chain}; {hint}"
    requires = ("async",)
    Options = AsyncIOOptions
    options_key = OPTIONS_KEY
    needs_project = True
    tags = ("performance", "async", "database")
    contexts = PRODUCTION_ONLY  # a sync query in an async test slows the suite; no server stalls

    providers = (OrmProvider,)  # the FFT2 family's: what ORM values are

    VALID = [
        # an AsyncSession, awaited
        "from sqlalchemy.ext.asyncio import AsyncSession\nasync def f(db: AsyncSession, stmt):\n    return (await db.execute(stmt)).scalars().all()\n",
        # a plain def: the framework runs it in a thread pool
        "from sqlalchemy.orm import Session\ndef f(db: Session, stmt):\n    return db.execute(stmt).all()\n",
        # the session's kind is unknown (a name is not enough)
        "async def f(session, stmt):\n    return session.execute(stmt)\n",
        # Django's async API
        "from django.db import models\nclass Book(models.Model):\n    title = models.CharField(max_length=9)\n"
        "async def f():\n    n = await Book.objects.acount()\n    return [b.title async for b in Book.objects.all()], n\n",
        # handed to a worker thread
        "from asgiref.sync import sync_to_async\nfrom django.db import models\nclass Book(models.Model):\n    title = models.CharField(max_length=9)\n"
        "async def f():\n    return await sync_to_async(lambda: list(Book.objects.all()))()\n",
        # building a queryset runs nothing
        "from django.db import models\nclass Book(models.Model):\n    title = models.CharField(max_length=9)\n"
        "async def f():\n    return Book.objects.filter(title='x').order_by('title')\n",
    ]
    INVALID = [
        Invalid(
            "from sqlalchemy.orm import Session\nasync def read_user(user_id: int, db: Session):\n    return db.get(User, user_id)\n",
            line=3,
            message_contains="AsyncSession",
        ),
        Invalid(
            "from sqlalchemy.orm import sessionmaker\nfrom sqlalchemy import create_engine\nSessionLocal = sessionmaker(bind=create_engine('sqlite://'))\n"
            "async def job(stmt):\n    session = SessionLocal()\n    session.execute(stmt)\n    session.commit()\n",
            count=2,
        ),
        Invalid(
            "from sqlalchemy import create_engine, inspect\nengine = create_engine('sqlite://')\nasync def tables():\n    return inspect(engine).get_table_names()\n",
            message_contains="inspect",
        ),
        Invalid(
            "from django.db import models\nclass Book(models.Model):\n    title = models.CharField(max_length=9)\n"
            "async def f(pk):\n    book = Book.objects.get(pk=pk)\n    titles = [b.title for b in Book.objects.all()]\n    book.save()\n    return titles\n",
            count=3,
            message_contains="aget",
        ),
        Invalid(
            "from django.db import models\nclass Book(models.Model):\n    title = models.CharField(max_length=9)\n"
            "def count_books():\n    return Book.objects.count()\n"
            "async def f():\n    return count_books()\n",
            message_contains="count_books -> Book.objects.count",
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Only inside an ``async def``, and only where some call there can be sync ORM
        work (the FFT1 pre-filter's kinds: :mod:`._prefilter`)."""
        if not (_ASYNC_DEF.search(view.text) and view.has(ast.AsyncFunctionDef)):
            return False
        kinds = possible_kinds(view, view.options_for(cls))
        return ORM in kinds or "*" in kinds

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        self._awaited: Set[int] = set()
        self._funcs: Set[int] = set()

    def visit_Await(self, node: cst.Await) -> None:
        self._awaited.add(id(node.expression))

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.stack.in_async_def or id(node) in self._awaited or quiet_region(self.ctx):
            return
        found = self._direct(node)
        if found is not None:
            callee, hint = found
            self._report(node, callee, "", hint)
            return
        self._helper(node)

    def _direct(self, node: cst.Call) -> Optional[Tuple[str, str]]:
        names = self.ctx.names
        callee = " ".join(self.ctx.code_for(node.func).split())
        values = names.values(node.func)
        hint = sqlalchemy_sync_io(values, [names.values(a.value) for a in node.args[:1]])
        if hint is not None:
            return callee, hint
        hint = django_runs(values, [names.values(a.value) for a in node.args[:1]])
        if hint is not None:
            return callee, hint
        return None

    def _helper(self, node: cst.Call) -> None:
        project = self.ctx.project
        if project is None or not hasattr(project, "explain"):
            return
        for target in project.targets(self.ctx.names.values(node.func)):
            if target.is_async or OFFLOADED in target.marks:
                continue
            chain = project.explain(target, ORM, self.ctx.module_name)
            if chain is None or is_dbapi(chain.effect):
                continue  # DB-API drivers block like any socket: FFT105 / FFT106 report them
            related = [Related(step.what, self._path(step.path), Span(step.line, step.column + 1, step.line, step.column + 1)) for step in chain.steps]
            callee = " ".join(self.ctx.code_for(node.func).split())
            self._report(node, callee, ": " + " -> ".join(chain.names), _HINT_HELPER, related=related, properties={"chain": list(chain.names)})
            return

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is None:
            self._iteration(node.iter)

    def visit_ListComp(self, node: cst.BaseComp) -> None:
        comp = node.for_in
        if comp.asynchronous is None:
            self._iteration(comp.iter)

    visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_ListComp

    def _iteration(self, iterable: cst.BaseExpression) -> None:
        if not self.ctx.stack.in_async_def or quiet_region(self.ctx):
            return
        if not isinstance(iterable, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
            return
        hint = sync_orm_iteration(self.ctx.names.values(iterable))
        if hint is not None:
            text = " ".join(self.ctx.code_for(iterable).split())
            self._report(iterable, f"for ... in {text if len(text) <= 60 else text[:57] + '...'}", "", hint)

    def _report(self, node: cst.CSTNode, callee: str, chain: str, hint: str, **extra: Any) -> None:
        self.report(node, callee=callee, func=self.ctx.stack.function_name, chain=chain, hint=hint, **extra)

    def _path(self, path: str) -> str:
        if not path or os.path.abspath(path) == os.path.abspath(self.ctx.path):
            return self.ctx.path
        return path


_HINT_HELPER = "run the helper in a worker thread (`await run_in_threadpool(...)` / `await sync_to_async(...)()`) or give it an async form"

__all__ = ["SyncOrmInAsync", "Valid"]
