"""FFT201: a database query executed on every iteration of a loop."""

from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule, Valid

from ._prefilter import query_in_loop_could_match
from ._querysets import short_code as _short
from ._querysets import (
    OPTIONS_KEY,
    dbapi_name,
    REQUIRES_QUERY_IN_LOOP,
    SEQUENCE_BUILTINS,
    NPlusOneOptions,
    Query,
    QueryLoopTracker,
    batched,
    catalog,
    collection_loops,
    flush_for_id,
    key_written_back,
    last_name,
    mentions,
    not_database,
    per_table,
    row_lock,
    runs_at_most_once,
    targets_of,
)
from .provider import OrmProvider


class QueryInLoop(QueryLoopTracker, Rule):
    """## What it does
    Checks for a database query that runs on every iteration of a `for` loop or a
    comprehension: a Django `Model.objects.get/filter(...).first()/count()/exists()`,
    `get_object_or_404(Model or queryset, ...)`, a queryset evaluated with `list()`/`len()`/`bool()`/iteration, `obj.save()` on
    every row of a queryset, a SQLAlchemy `session.query(...).first()/all()/one()`,
    `session.execute(select(...))`, `session.get(Model, id)`, `session.refresh(obj)` (not
    after a write of the same pass: `add` / `commit` then `refresh` reads back what the
    write made), a SQLAlchemy `lazy="dynamic"` relationship of each row
    (`course.assignments.count()`, iterating it: a query every time), or a DB-API
    `cursor.execute(sql, params)` (a cursor or connection of a known driver, or one named
    like one: `cur`, `db_cursor`, `conn`, `db_connection`, with a literal `SELECT` /
    `INSERT` / `UPDATE` / `DELETE` statement).

    Loops over a literal collection, `range(...)`, an enumeration's members or a
    configuration value (Django's `settings.X`, Flask's `current_app.config["X"]`, and
    their `.items()` / `.keys()` / `.values()`: a few configured sources or backends, also
    when a project helper gives it: every `return` of the helper's body reads the
    configuration or is a tuple display, whatever its annotation says; `app = app or
    current_app; return app.config.get("X", [])` counts, a helper with any other return
    -- a query, rows, a list, anything unknown -- does not), and
    `while` loops (polling, paging), are not reported: their number of passes does not
    grow with the data; nor are loops over a name bound only to such a display of fixed
    elements (a list / tuple / set / dict literal, no comprehension or unpacking) that
    nothing grows (`.append` / `.update` / `x[k] = ...` / `+=`), in the function or once
    at the module's top level (`source_tasks = {"ecb": fetch_ecb, ...}` then
    `for name, task in source_tasks.items():`), nor over a value the facts layer knows is
    a tuple display (`FALLBACKS = ("a", "b")` imported from another module, a helper's
    `return "a", "b"`: a fixed number of items); a parameter, an imported list or dict
    constant, or a collection filled from rows is not followed and still reports; nor
    are loops over batches (`for chunk in batched(rows, 5000)`,
    `more_itertools.chunked`, a target or iterable named `chunk` / `batch`).
    A query that filters on the loop variable with `__in=` / `.in_()` is a batch and is
    not reported either, nor one whose `__in=` / `.in_()` list is made from what the loop
    gives (`keys = [(r.a, r.b) for r in segment.rows]; ...tuple_(T.a, T.b).in_(keys)`,
    `id__in=[o.pk for o in wave]`, inline or through a name bound in the loop): each pass
    covers a whole batch; a list display of the pass's own values (`.in_([row.id])`)
    is one row per pass and still reported, nor are data migrations (files under `migrations/` or
    `alembic/`), which run once per database, nor a query that runs at most once per
    call: one the loop returns or raises right after (and no `try` around it goes on to
    the next row), one followed by `break` in the only loop, one under a first-pass guard
    (`if i == 0:` of an `enumerate`, `if x is None: x = ...`), one under a memo the block
    refreshes when a key changes (`if last != row.event_id or rules is None: last =
    row.event_id; rules = ...`: once per run of rows with one key, per group when the rows
    are sorted by it) or fills per key (`if k not in seen: seen[k] = ...`: once per
    distinct key; also when the guarded call is a method of the same class that stores
    into the tested `self.<cache>`, cache-aside at the call site), or one under a guard on a
    single value of the loop variable (`for k in fields: if k == "itemvars":`). Retry
    loops (`for attempt in run_with_db_retries():`, `tenacity.Retrying(...)`: a callee
    named with retry / retries / attempts) run the statement again only after a failure.
    A statement whose table is the loop variable (`for model in models:
    session.execute(delete(model)...)`, `cursor.execute(f"DELETE FROM {table} ...")`)
    runs once per table, which no single statement can replace: not reported; the loop
    variable anywhere else in the SQL (`WHERE id = {i}`) still is. A row re-read with
    `select_for_update()` inside a `with transaction.atomic():` of its own within the loop
    is the per-row race guard (locking every row at once would hold the locks for the
    whole loop): not reported; the same lock with no transaction in the loop still is.
    A `session.flush()` followed, later in the same pass, by a read of the generated key
    (`.id` / `.pk`) of an object the pass made (`run = make_run(...)`, `session.add(run)`)
    obtains that key: it cannot move after the loop as written, and is not reported; a
    flush nothing after it in the pass needs, or a read of the loop's own row's key (it
    had one before the flush), still is. Nor is the flush right after the key is stored
    (`session.flush(); req.run_id = run.id; session.flush()`): the pass flushes for the
    key anyway, so the row it sends back would go with the next pass's flush and a flush
    after the loop saves no round trip; anything else between the two flushes (another
    attribute set, a query) still reports.

    Querysets and queries are followed through the facts layer: a name bound in the
    function, `self.qs`, a helper's return value (in any module of the project), a
    parameter annotated with a model, a related manager of a model instance
    (`cart.lines.filter(...).first()`, also with `through` models), custom managers
    (`QS.as_manager()`, `Manager.from_queryset(QS)()`, `Manager` subclasses) and custom
    queryset methods whose return value is a queryset, `itertools.chain(...)` of querysets
    of one model, and an unannotated parameter that the calls of its function in the same
    module fill with querysets, the `queryset` of a Django admin action (a method named
    in the admin's `actions` or decorated `@admin.action`: the selected rows of the model
    the admin is registered for in its module), the related managers of the signed-in
    user (`request.user.orders.filter(...)`) and of a detail view's object, and a query
    passed through a project helper that hands back what it is given, narrowed
    (`qs = apply_filters(qs, params)`, as FFT202 reads it). A value the layer cannot tell (a parameter no call in its module fills) stays
    unknown and silent. Writes per row: `save()` / `delete()` of a model instance
    (by value, with keyword arguments too), `Model.objects.create/update/delete`,
    `session.execute(update(...))`, `sa.update(...)` / `sa.text(...)` (module-qualified
    builders), `session.flush()` on a SQLAlchemy session; `get_object_for_this_type()`
    of a content type. Manager methods that answer from a cache
    (`ContentType.objects.get_for_model`, the catalog's `cached` list) are not queries.

    ## Why is this bad?
    Each query is a network round trip plus query planning and row decoding on the
    database. A loop over *N* rows that queries once per row makes *N + 1* round trips
    where one or two would do: fine with ten rows in development, seconds per request
    with ten thousand in production.

    ## Example
    ```python
    for order in orders:
        customer = Customer.objects.get(id=order.customer_id)
        send(customer.email)

    for row in rows:
        cursor.execute("INSERT INTO logs (msg) VALUES (%s)", (row,))
    ```

    ## Use instead
    ```python
    customers = Customer.objects.in_bulk({o.customer_id for o in orders})
    for order in orders:
        send(customers[order.customer_id].email)

    cursor.executemany("INSERT INTO logs (msg) VALUES (%s)", [(row,) for row in rows])
    ```
    `bulk_create` / `bulk_update` / `queryset.update()` replace a `save()` per row;
    `select_related` / `prefetch_related` (Django) and `selectinload` (SQLAlchemy)
    replace a lookup per row of a related object (see FFT202).

    ## Fix safety
    No automatic fix: batching a loop changes its structure (and often its error
    handling), which needs a human.

    ## Options
    `[tool.fftlint.n-plus-one]`: `managers` (extra Django manager names),
    `session-names` (extra SQLAlchemy session receivers), `cursor-names` (extra DB-API
    cursor receivers).
    """

    code = "FFT201"
    contexts = PRODUCTION_ONLY  # tests fetch fixture rows; migrations and scripts run once
    name = "query-in-loop"
    message = "`{call}` runs a database query on every iteration of the loop; instead, {hint}"
    requires = REQUIRES_QUERY_IN_LOOP
    Options = NPlusOneOptions
    options_key = OPTIONS_KEY
    needs_project = True  # the project's facts (its provider's)
    providers = (OrmProvider,)
    tags = ("performance", "database", "n+1")

    @classmethod
    def could_match(cls, view) -> bool:  # type: ignore[no-untyped-def]
        return query_in_loop_could_match(view, cls)

    VALID = [
        # a data migration runs once per database (held back: FFT201 reports in
        # production code only, see ``contexts``)
        Valid(
            "def backfill(apps, schema_editor):\n"
            "    Book = apps.get_model('shop', 'Book')\n"
            "    for book in Book.objects.all():\n"
            "        Author.objects.filter(pk=book.author_id).update(active=True)\n"
            "        book.save()\n",
            path="shop/migrations/0004_backfill.py",
        ),
        # one query, outside the loop
        "ids = [1, 2]\nbooks = Book.objects.in_bulk(ids)\nfor i in ids:\n    print(books[i])\n",
        # dict.get / requests.get / list.count in loops are not queries
        "import requests\nfor url in urls:\n    requests.get(url)\n    cache.get(url)\n    seen.count(url)\n",
        "for key in keys:\n    value = settings.get(key)\n",
        # building (not running) a queryset in a loop
        "qs = Book.objects.all()\nfor f in filters:\n    qs = qs.filter(**f)\nprint(list(qs))\n",
        # a fixed number of passes: literal collection, range(), while (polling)
        "for name in ('a', 'b'):\n    Setting.objects.get(name=name)\n",
        "for attempt in range(3):\n    job = Job.objects.filter(done=False).first()\n",
        "while True:\n    job = Job.objects.filter(done=False).first()\n    if job is None:\n        break\n",
        # a deliberate batch: __in on the loop variable, bulk APIs
        "for chunk in chunks(ids, 500):\n    Book.objects.filter(id__in=chunk).update(seen=True)\n",
        "for batch in batches:\n    Book.objects.bulk_create(batch)\n",
        "from sqlalchemy import select\nfor chunk in chunks:\n    session.execute(select(User).where(User.id.in_(chunk)))\n",
        # the loop gives batches: the IN list is made from the whole batch of the pass
        "from sqlalchemy import select, tuple_\nfrom sqlalchemy.orm import Session\ndef f(session: Session, segments):\n"
        "    for segment in segments:\n        keys = [(r.a, r.b) for r in segment.rows]\n        session.execute(select(T.id).where(tuple_(T.a, T.b).in_(keys)))\n",
        "def f(waves):\n    for wave in waves:\n        Book.objects.filter(id__in=[b.id for b in wave]).update(seen=True)\n",
        # a queryset bound once before the loop: evaluated on the first pass, cached after
        "def f(qs, states):\n    counters = Book.objects.values('status').annotate(n=Count('id'))\n    for s in states:\n        print([c for c in counters if c['status'] == s], len(counters))\n",
        # one statement per batch of rows
        "import itertools\nfrom sqlalchemy import insert\ndef load(session, rows):\n    for group in itertools.batched(rows, 5000):\n        session.execute(insert(Event), list(group))\n",
        # configuration: a few configured names, not rows
        "from django.conf import settings\nfor name in settings.RATE_SOURCES:\n    Rate.objects.filter(source=name).count()\n",
        "from django.conf import settings\nfor name, url in settings.RATE_SOURCES.items():\n    Rate.objects.filter(source=name).update(url=url)\n",
        "from flask import current_app\nfor name in current_app.config['RATE_SOURCES']:\n    session.execute(select(Rate).where(Rate.source == name))\n",
        # a name bound to a dict / tuple display of fixed entries: a few passes, written out
        "def f():\n    tasks = {'ecb': fetch_ecb, 'cnb': fetch_cnb}\n    for name, task in tasks.items():\n        Rate.objects.filter(source=name).count()\n",
        "SOURCES = ('ecb', 'cnb')\ndef f():\n    for name in SOURCES:\n        Rate.objects.filter(source=name).count()\n",
        "def sources():\n    return 'ecb', 'cnb'\ndef f():\n    for name in sources():\n        Rate.objects.filter(source=name).count()\n",
        # a nested function defined in the loop runs later, elsewhere
        "for b in books:\n    callbacks.append(lambda: Book.objects.get(id=b.id))\n",
        # each row re-read under a lock in its own transaction: the race guard, one lock
        # per row by design
        "from django.db import transaction\nfor b in Book.objects.filter(seen=False):\n    with transaction.atomic():\n        b = Book.objects.select_for_update().get(pk=b.pk)\n        print(b)\n",
        # a flush that obtains the generated id of the object made in this pass, read next
        "from sqlalchemy.orm import Session\ndef f(session: Session, pending):\n    for req in pending:\n        run = Run(name=req.name)\n        session.add(run)\n        session.flush()\n        req.run_id = run.id\n",
        # save() on things that are not known model rows (PIL images, files)
        "for img in images:\n    img.save(path)\n",
        # requests.Session is not a database session
        "import requests\nsession = requests.Session()\nfor u in users:\n    session.get(User, u)\n",
        # a lowercase attribute called objects is not a Django manager
        "for x in xs:\n    registry.objects.get(x)\n",
        # cursor.execute with SQL that changes per iteration (running a script)
        "for stmt in migration_statements:\n    cursor.execute(stmt)\n",
        # values() on a related manager prefetch is FFT202's business, not a query here
        Valid("for x in xs:\n    y = x.related.get('k')\n"),
        # at most once per call: the loop returns or breaks right after the query, or a
        # first-pass guard runs it
        "def f(request, backends):\n    for b in backends:\n        if b.accepts(request):\n            return Profile.objects.get(user=request.user)\n",
        "def f(devices):\n    for d in devices:\n        if d.matches():\n            d.count += 1\n            Device.objects.filter(pk=d.pk).update(count=d.count)\n            break\n",
        "def f(rows):\n    for i, row in enumerate(rows):\n        if i == 0:\n            header = Header.objects.get(pk=row.header_id)\n",
        "def f(rows):\n    default = None\n    for row in rows:\n        if default is None:\n            default = Setting.objects.get(name='x')\n",
        # one statement per table: the loop walks tables or models, each pass another one
        "from sqlalchemy import delete\nfrom sqlalchemy.orm import Session\ndef purge(session: Session, dag_id, models):\n"
        "    for model in models:\n        session.execute(delete(model).where(model.dag_id == dag_id))\n",
        "from sqlalchemy import text\nfrom sqlalchemy.orm import Session\ndef scrub(session: Session, uid, tables):\n"
        "    for table in tables:\n        session.execute(text(f'DELETE FROM {table} WHERE user_id = :uid'), {'uid': uid})\n",
        "def scrub(cursor, uid, tables):\n    for table in tables:\n        cursor.execute(f'DELETE FROM \"{table}\" WHERE user_id = %s', (uid,))\n",
        # a retry loop: the statement runs again only after a failure
        "from sqlalchemy import update\nfrom sqlalchemy.orm import Session\ndef clear(session: Session):\n"
        "    for attempt in run_with_db_retries():\n        with attempt:\n            session.execute(update(Task).values(trigger_id=None))\n",
        "import tenacity\nfrom sqlalchemy.orm import Session\ndef load(session: Session, uid):\n"
        "    for attempt in tenacity.Retrying(stop=tenacity.stop_after_attempt(3)):\n        with attempt:\n            return session.get(User, uid)\n",
        # the query runs for one value of the loop variable only (a field name, a key)
        "def f(fields, event):\n    for k in fields:\n        if k == 'itemvars':\n            items = list(Item.objects.filter(event=event))\n",
        "def f(fields, event):\n    for k, v in fields.items():\n        if 'itemvars' == k:\n            n = Item.objects.filter(event=event).count()\n",
    ]
    INVALID = [
        # a setting inside a loop over rows: still once per row
        Invalid(
            "from django.conf import settings\nfor code in Rate.objects.values_list('currency', flat=True):\n    for name in settings.RATE_SOURCES:\n        Rate.objects.filter(source=name, currency=code).count()\n",
            message_contains="count",
        ),
        # a setting's name on a loop over the rows of a query is not configuration
        Invalid(
            "from django.conf import settings\nfor row in Rate.objects.filter(source=settings.DEFAULT_SOURCE):\n    Rate.objects.filter(source=row.source).count()\n",
            message_contains="count",
        ),
        # the same lock with no transaction of its own around it: plain per-row reads
        Invalid(
            "from django.db import transaction\nfor b in Book.objects.filter(seen=False):\n    locked = Book.objects.select_for_update().get(pk=b.pk)\n",
            message_contains="select_for_update",
        ),
        # a transaction around the loop: every row locked in one transaction, one by one
        Invalid(
            "from django.db import transaction\nwith transaction.atomic():\n    for b in Book.objects.filter(seen=False):\n        locked = Book.objects.select_for_update().get(pk=b.pk)\n",
            message_contains="select_for_update",
        ),
        Invalid(
            "for order in orders:\n    customer = Customer.objects.get(id=order.customer_id)\n",
            line=2,
            column=16,
            message_contains="`Customer.objects.get()`",
        ),
        Invalid("for a in authors:\n    n = Book.objects.filter(author=a).count()\n", message_contains="Count"),
        Invalid("if any(Book.objects.filter(tag=t).exists() for t in tags):\n    pass\n"),
        Invalid("names = [Author.objects.get(pk=i).name for i in ids]\n"),
        Invalid("for row in rows:\n    Book.objects.create(title=row['title'])\n", message_contains="bulk_create"),
        Invalid(
            "for book in Book.objects.filter(stale=True):\n    book.price = 0\n    book.save()\n",
            message_contains="bulk_update",
        ),
        Invalid("for a in authors:\n    books = Book.objects.filter(author=a)\n    total += len(books)\n", line=3),
        Invalid("for a in authors:\n    for b in Book.objects.filter(author=a):\n        print(b)\n", line=2),
        Invalid("async def f(ids):\n    async for i in ids:\n        await Book.objects.aget(id=i)\n"),
        Invalid("for uid in ids:\n    user = session.query(User).filter(User.id == uid).first()\n", message_contains="session.query(User)"),
        Invalid("for uid in ids:\n    user = db.session.get(User, uid)\n"),
        Invalid(
            "from sqlalchemy import select\nasync def f(session, ids):\n    for i in ids:\n        r = await session.execute(select(User).where(User.id == i))\n"
        ),
        Invalid(
            "import sqlite3\nconn = sqlite3.connect('x.db')\ncur = conn.cursor()\nfor row in rows:\n    cur.execute('INSERT INTO t VALUES (?, ?)', row)\n",
            message_contains="executemany",
        ),
        Invalid("for i in ids:\n    cursor.execute('SELECT name FROM users WHERE id = %s', (i,))\n", message_contains="IN ("),
        # not at most once: a miss goes on to the next row; a break leaves only the inner loop
        Invalid("def f(names):\n    for name in names:\n        try:\n            return Member.objects.get(name=name)\n        except Member.DoesNotExist:\n            continue\n"),
        Invalid("def f(groups):\n    for g in groups:\n        for m in g.members:\n            Member.objects.get(pk=m)\n            break\n"),
        Invalid(
            "from django.db import models\nclass Author(models.Model):\n    pass\nclass Book(models.Model):\n"
            "    author = models.ForeignKey(Author, related_name='books', on_delete=models.CASCADE)\n"
            "for a in Author.objects.all():\n    recent = a.books.filter(year__gt=2000).first()\n",
            line=7,
        ),
        # ... but any other value, or a field of the row, is a pass per row
        Invalid("def f(fields, event):\n    for k in fields:\n        if k != 'itemvars':\n            n = Item.objects.filter(event=event).count()\n"),
        Invalid("def f(rows, event):\n    for r in rows:\n        if r.kind == 'a':\n            n = Item.objects.filter(event=event).count()\n"),
        # the loop variable in the WHERE clause, not the table: one query per row
        Invalid("from sqlalchemy import delete\nfrom sqlalchemy.orm import Session\ndef purge(session: Session, ids):\n    for i in ids:\n        session.execute(delete(Log).where(Log.id == i))\n"),
        Invalid("def f(cursor, ids):\n    for i in ids:\n        cursor.execute(f'SELECT * FROM users WHERE id = {i}')\n"),
        # a connection named like one, with a literal statement (sqlite3 / psycopg 3 / asyncpg)
        Invalid("def f(conn, ids):\n    for i in ids:\n        conn.execute('UPDATE orders SET shipped = 1 WHERE id = ?', (i,))\n", message_contains="executemany"),
        # a literal that grows with the rows, or a parameter: rows again
        Invalid("def f(rows):\n    names = []\n    for r in rows:\n        names.append(r.name)\n    for n in names:\n        Rate.objects.filter(source=n).count()\n", line=6),
        Invalid("def f(names=('a', 'b')):\n    for n in names:\n        Rate.objects.filter(source=n).count()\n"),
        Invalid("def f(*names):\n    for n in names:\n        Rate.objects.filter(source=n).count()\n"),
        Invalid("def f(rows):\n    names = ('a', 'b') + tuple(rows)\n    for n in names:\n        Rate.objects.filter(source=n).count()\n"),
        # a flush per row that nothing in the pass reads back, or a read of the loop's own row
        Invalid("from sqlalchemy.orm import Session\ndef f(session: Session, pending):\n    for req in pending:\n        session.add(Run(name=req.name))\n        session.flush()\n", message_contains="flush"),
        Invalid("from sqlalchemy.orm import Session\ndef f(session: Session, pending):\n    for req in pending:\n        req.state = 'done'\n        session.flush()\n        print(req.id)\n", message_contains="flush"),
        # an IN list of the pass's own values is one row per pass
        Invalid("from sqlalchemy import select\nfrom sqlalchemy.orm import Session\ndef f(session: Session, rows):\n    for row in rows:\n        keys = [row.a]\n        session.execute(select(T.id).where(T.a.in_(keys)))\n"),
        Invalid("def f(orders):\n    for o in orders:\n        Book.objects.filter(id__in=[o.book_id, o.gift_id]).update(seen=True)\n"),
        # a collection named like retries is still rows
        Invalid("from sqlalchemy.orm import Session\ndef f(session: Session, retries):\n    for r in retries:\n        session.get(User, r)\n"),
    ]

    # -- reporting --------------------------------------------------------------
    def _report(self, node: cst.CSTNode, call: str, hint: str) -> None:
        if runs_at_most_once(self.ctx, collection_loops(self.ctx)):
            return  # ``return``/``break`` right after it, a first-pass guard: once, not per row
        self.report(node, call=call, hint=hint)

    def _hint_for(self, q: Query) -> str:
        cat = catalog()
        if q.orm == "django":
            if q.terminal == "[]":
                return "fetch all rows once with `filter(<field>__in=...)` and index them"
            return cat["django"]["query"].get(q.terminal or "", "run one query for all rows before the loop")
        table = cat["sqlalchemy"]["session" if q.via == "session" else "query"]
        return table.get(q.terminal or "", "run one query for all rows before the loop")

    def _display(self, q: Query) -> str:
        if q.via == "session":
            return q.display
        chain = q.display + "".join(f".{m}()" for m in q.methods)
        return chain + "[...]" if q.terminal == "[]" else chain

    # -- calls ------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        loops = collection_loops(self.ctx)
        if not loops:
            return
        q = self.qa.analyze(node)
        if q is not None and q.terminal is not None:
            if q.terminal != "rows":  # rows a project function fetched: FFT203, at this call
                self._terminal(node, q, loops)
            return
        func = node.func
        if isinstance(func, cst.Attribute):
            self._method(node, func, loops)
        elif isinstance(func, cst.Name) and node.args:
            name = self.ctx.names.resolve(func)
            if name in SEQUENCE_BUILTINS:
                arg = self.qa.analyze(node.args[0].value)
                if arg is not None and arg.terminal is None and not arg.batch and not batched(arg, loops) and not _prefetchable(arg) and not _reused(node.args[0].value, arg, loops):
                    self._report(node, f"{name}({self.ctx.code_for(node.args[0].value)})", _evaluate_hint(arg))

    def _terminal(self, node: cst.Call, q: Query, loops: List[cst.CSTNode]) -> None:
        if q.batch or batched(q, loops) or per_table(q.model_expr, loops) or row_lock(self.ctx, q, loops):
            return
        if q.terminal == "refresh" and _writes_each_pass(loops[-1]):
            return  # ``add`` / ``commit`` then ``refresh`` to read back what the write made: the write is the cost
        if q.related is not None and _prefetchable(q):
            return  # a.books.count() / a.books.all(): FFT202 (prefetch_related fixes it)
        if q.related is not None:
            self._report(node, self._display(q), "prefetch the rows for all parents at once (`Prefetch(..., queryset=...)`) or aggregate with `annotate()`")
            return
        self._report(node, self._display(q), self._hint_for(q))

    def _method(self, node: cst.Call, func: cst.Attribute, loops: List[cst.CSTNode]) -> None:
        method = func.attr.value
        receiver = func.value
        instance = catalog()["django"]["instance"]
        if method in instance:
            var = self.loop_var(receiver.value) if isinstance(receiver, cst.Name) else None
            if var is not None and all(a.keyword is not None for a in node.args) and var.query.orm == "django":
                # a row of the loop's query or of a related manager (``for o in q.options.all()``)
                self._report(node, f"{receiver.value}.{method}()", instance[method])  # type: ignore[attr-defined]
            elif var is None and all(a.keyword is not None for a in node.args) and self._instance_model(receiver) is not None:
                # a model instance by the facts layer (an annotated argument, a row of a
                # helper's queryset, ``Model(...)`` made per row): one write per pass
                self._report(node, f"{' '.join(self.ctx.code_for(receiver).split())}.{method}()", instance[method])
            return
        if method == "flush" and not node.args and self._sync_session(receiver):
            if flush_for_id(self.ctx, loops) or key_written_back(self.ctx, loops):
                return  # the flush obtains the generated id read next (or sends it back): it cannot move after the loop
            self._report(node, f"{' '.join(self.ctx.code_for(receiver).split())}.flush()", "`add` the objects in the loop and `flush()` once after it (or `add_all`)")
            return
        if method in catalog()["django"]["instance_queries"]:
            model = self._instance_model(receiver)
            if model is not None:
                self._report(node, f"{self.ctx.code_for(receiver)}.{method}()", catalog()["django"]["instance_queries"][method])
            return
        if method in catalog()["dbapi"]["methods"]:
            self._dbapi(node, receiver, loops)

    def _sync_session(self, receiver: cst.BaseExpression) -> bool:
        """A SQLAlchemy session by the facts layer (not by its name)."""
        canonical = self.ctx.names.resolve(receiver)
        return bool(canonical) and canonical.startswith(("sqlalchemy.", "sqlmodel.", "flask_sqlalchemy.")) and canonical.endswith("()") or canonical == "flask_sqlalchemy.SQLAlchemy().session"  # type: ignore[union-attr]

    def _instance_model(self, receiver: cst.BaseExpression) -> Optional[object]:
        """The Django model ``receiver`` is an instance of (by the facts layer), or None."""
        canonical = self.ctx.names.resolve(receiver)
        if not canonical or not canonical.endswith("()") or "[" in canonical:
            return None
        model = self.qa.index.models.get(canonical[:-2])
        return model if model is not None and self.qa.index.orm_of(model) == "django" else None

    def _dbapi(self, node: cst.Call, receiver: cst.BaseExpression, loops: List[cst.CSTNode]) -> None:
        if not node.args or node.args[0].keyword is not None:
            return
        if not self._is_cursor(receiver):
            return
        sql = node.args[0].value
        text = _sql_text(sql)
        if text is None:
            return  # a statement that changes per iteration: a script runner, not N+1
        if isinstance(sql, cst.Name) and sql.value in targets_of(loops) or per_table(sql, loops):
            return
        verb = text.lstrip("( \n\t").split(None, 1)[0].upper() if text.strip() else ""
        if verb in ("INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT"):
            hint = "collect the parameters and call `executemany(...)` once"
        elif verb == "SELECT" or verb == "WITH":
            hint = "run one query with `IN (...)` (or `= ANY(%s)`) for all keys"
        else:
            return
        self._report(node, f"{self.ctx.code_for(receiver)}.execute()", hint)

    def _is_cursor(self, receiver: cst.BaseExpression) -> bool:
        cat = catalog()["dbapi"]
        canonical = self.ctx.names.resolve(receiver)
        if not_database(canonical):
            return False
        if canonical:
            for connect in cat["connect"]:
                if canonical == f"{connect}().cursor()":
                    return True
            if canonical in (f"{c}()" for c in cat["connection_execute"]):
                return True
        return dbapi_name(last_name(receiver), self.qa.options)

    # -- evaluation -------------------------------------------------------------
    def on_query_iteration(self, iter_expr: cst.BaseExpression, loops: List[cst.CSTNode]) -> None:
        q = self.qa.analyze(iter_expr)
        if q is None or q.batch or batched(q, loops) or q.terminal is not None or _reused(iter_expr, q, loops):
            return
        if q.related is not None and _prefetchable(q):
            return
        self._report(iter_expr, f"for ... in {_short(self.ctx.code_for(iter_expr))}", _evaluate_hint(q))

    def visit_If(self, node: cst.If) -> None:
        loops = collection_loops(self.ctx)
        if not loops:
            return
        test = node.test
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test = test.expression
        if isinstance(test, (cst.Name, cst.Call, cst.Attribute)):
            q = self.qa.analyze(test)
            if q is not None and q.terminal is None and not q.batch and not batched(q, loops) and not _prefetchable(q) and not _reused(test, q, loops):
                self._report(test, f"if {_short(self.ctx.code_for(test))}", "use `.exists()` once for all keys, outside the loop")


_SESSION_WRITES = frozenset(("add", "add_all", "merge", "flush", "commit"))


def _writes_each_pass(loop: cst.CSTNode) -> bool:
    """The loop's body hands the session something to write (``add`` / ``merge`` /
    ``flush`` / ``commit``)."""
    from fftlint.engine.walk import descendants

    return any(isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in _SESSION_WRITES for n in descendants(loop))


def _reused(expr: cst.BaseExpression, q: Query, loops: List[cst.CSTNode]) -> bool:
    """``for o in counters`` with ``counters`` a Django queryset bound before the loops
    and not rebound in them: the first pass fills its result cache, later passes (and
    ``len()`` / ``list()`` / ``bool()``) read it -- one query, not one per pass. (A
    SQLAlchemy query runs again on every iteration.)"""
    if q.orm != "django" or not isinstance(expr, cst.Name) or not loops:
        return False
    from ._querysets import _assignments

    return _assignments(loops[0], expr.value) == 0


def _prefetchable(q: Query) -> bool:
    """A related manager read in a way ``prefetch_related`` serves from its cache."""
    if q.related is None:
        return False
    cached = set(catalog()["django"]["prefetch_cached"])
    return not q.narrowed and all(m in cached for m in q.methods) and (q.terminal is None or q.terminal in cached)


def _evaluate_hint(q: Query) -> str:
    if q.related is not None:
        return "prefetch the rows for all parents at once (`Prefetch(..., queryset=...)`)"
    return "fetch the rows for all iterations with one query (`__in=` / `.in_()`) before the loop"


def _sql_text(node: cst.BaseExpression) -> Optional[str]:
    """The SQL of a literal (string, concatenation, f-string) or an UPPER_CASE constant."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.FormattedString):
        return "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText)) or None
    if isinstance(node, cst.Name) and node.value.isupper():
        return "SELECT" if "SELECT" in node.value or "QUERY" in node.value else "INSERT" if any(
            w in node.value for w in ("INSERT", "UPDATE", "DELETE")
        ) else None
    return None


__all__ = ["QueryInLoop", "mentions"]

