"""FFT203: a project function that runs a database query, called on every iteration of a loop."""

from __future__ import annotations

import ast
import os
from typing import Any, List, Optional

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.facts.project import Chain, Step
from fftlint.facts.summary import CallFacts
from fftlint.rule import Invalid, Rule
from fftlint.types import Related, Span

from ._querysets import OPTIONS_KEY, NPlusOneOptions, collection_loops, loop_targets, mentions, runs_at_most_once, targets_of
from ._parameters import module_of as _module_of, parameter_calls
from ._prefilter import query_helper_could_match
from .provider import CACHED, NAME, PER_INSTANCE, PREFETCHABLE, OrmProvider, guard_blocks, memo_per_row_counts

MODELS = (
    "from django.db import models\n\n"
    "class Owner(models.Model):\n"
    "    name = models.CharField(max_length=50)\n\n"
    "class Pet(models.Model):\n"
    "    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name='pets')\n\n"
)

#: words in a loop's iterable or target that say it runs once per batch, not per row
_BATCH_WORDS = ("chunk", "batch", "page", "slice", "shard")


class QueryHelperInLoop(Rule):
    """## What it does
    Checks for a call, on every iteration of a loop over a collection, to a function of
    your project that runs a database query itself or through the functions it calls:
    a helper, a service or repository function (`owner_service.get(db_session=...)`), a
    model method or a `@property`, in the same module or another one, a few calls deep.
    The finding is reported at the call in the loop, with the chain that leads to the
    query: `for ... -> get_owner -> Owner.objects.get`.

    Queries are what FFT201 reports in place: Django queryset methods that run
    (`get`, `first`, `count`, `exists`, iteration, ...), SQLAlchemy query methods and
    `session.execute/scalars/get`, DB-API `cursor.execute`, and writes (`save()`,
    `create()`, `update()`, `delete()`). Managers, querysets and rows are followed through
    names, `self`, return values and relations by the facts layer. A parameter with no
    annotation is known from the call: `count_pets(o)` on a row `o` of the loop's
    queryset, where `count_pets(owner)` runs `owner.pets.count()`, is a query per row
    (one level deep: the helper's own calls on its parameter, not those of functions it
    hands the parameter to; a parameter the helper rebinds is not followed). Only a row
    of a loop over a query we can read counts -- directly, or through a relation of an
    outer loop's row (`for a in op.answers.all(): fmt(a)`, judged against the outer
    query's `answers__options`) --, and a relation that query prefetches is served; a
    value computed in the pass (an object just fetched or saved) is not followed.

    SQLAlchemy service and repository code is followed too: `x_service.get(db_session=...)`,
    `repo.for_room(room_id)` (a method of an instance the facts layer infers, its session
    assigned in `__init__`), `db.query(self.model)` of a generic repository (a query of
    an unknown model), async ORM calls awaited per item.

    Not reported: loops over a literal collection, `range(...)`, an enumeration's
    members, a configuration value (read directly or returned by a project helper) or a name bound only to a literal of fixed elements
    that nothing grows (as FFT201 decides), `while` loops, loops whose iterable or target names a batch (`chunk`,
    `batch`, `page`; not when the call is a method of a project model on the loop's own
    variable, `for page in pages: page.get_path()`, a row of a `Page` model), functions memoized with `functools.lru_cache` / `cache` /
    `cached_property` (but a `cached_property` read on the loop's own row, `post.latest_comment`,
    is memoized on that row: it runs once per row, reported when its query is a read no
    prefetch serves; a plain `self.tags.exists()` stays silent, as the code building the
    rows often prefetches it or assigns the property, and so does a write, such as an error
    path's log entry) or cache-aside helpers (that read a cache and fill it on a miss:
    their query runs once per key), calls under a guard that tests the cache the called
    method of the same class fills (`if k not in self._items: self._load([k])` where
    `_load` stores into `self._items`: once per key), functions that fill a module global on their first
    call and return it from then on (`global X` / `if X: return X` first / `X = ...`, or
    `global X` / `if X is None: X = ...` first / `return X` last: once per process; a
    global set without that guard first still reports), calls whose arguments include the whole collection,
    async functions called without `await` (nothing runs), calls the loop returns or
    breaks right after (once per call), and calls whose literal argument skips the
    helper's query (`clean_username(name, shallow=True)` when the query is under
    `if not shallow:`), and calls that hand the loop's variable to a parameter the
    helper's SQL puts in the table's place (`dump(target_table=name)` with
    `session.execute(text(f"SELECT * FROM {target_table}"))`, `cursor.execute(f"DROP
    TABLE {table}")`): one statement per table, which no single statement can replace
    (as FFT201 decides in place; only when the helper runs that statement itself, not
    through a further call; the innermost loop's own variable must be the table). The
    loop's variable anywhere else in the SQL (`WHERE key = '{key}'`), a fixed table
    passed on each pass, or an outer loop's table inside a loop over its rows, still
    reports.
    Nor are chains that reach their query through a function that makes a SQLAlchemy
    engine (`create_engine(url, ...)`) and calls on towards the query: engines are made
    once per database, so a helper that makes one per call connects to the database it
    is given (listing an external database's schemas per catalog), and the query on
    the way (a token, connection settings) is part of connecting. A function that makes
    an engine and runs the query itself, or a chain through no engine maker, still
    reports.
    A chain whose query itself runs on every pass of a `for` of its own function, over
    anything but a literal or `range(...)` (the helper drains each worker's events with
    `session.get(...)` per event), is reported at that inner loop by FFT201, where the
    batching goes, not a second time at the call out in the loop over the workers; a
    call *towards* the query made in a loop, or a query in a comprehension's first
    iterable (evaluated once), still reports at the outer call.

    ## Why is this bad?
    Moving the query into a helper does not make it run once: each pass of the loop still
    makes a round trip to the database. Per-line rules miss these; in service-layer code
    (FastAPI + SQLAlchemy, Django services) they are the most common N+1 queries.

    ## Example
    ```python
    # services.py
    def get_owner(pk):
        return Owner.objects.get(pk=pk)

    # views.py
    for pet in pets:
        owner = get_owner(pet.owner_id)
    ```

    ## Use instead
    ```python
    owners = Owner.objects.in_bulk({pet.owner_id for pet in pets})
    for pet in pets:
        owner = owners[pet.owner_id]
    ```
    or load the relation with the query (`select_related("owner")`, `selectinload`), or give
    the helper a batch form (`get_owners(ids)`).

    ## Fix safety
    No automatic fix: batching changes the helper's interface.

    ## Options
    `[tool.fftlint.n-plus-one]` (shared with FFT201/FFT202).
    """

    code = "FFT203"
    contexts = PRODUCTION_ONLY  # tests fetch fixture rows; migrations and scripts run once
    name = "query-helper-in-loop"
    message = "`{callee}` runs a database query on every iteration of the loop: {chain}"
    requires = ("for",)
    Options = NPlusOneOptions
    options_key = OPTIONS_KEY
    needs_project = True
    providers = (OrmProvider,)
    tags = ("performance", "database", "n+1")

    @classmethod
    def could_match(cls, view) -> bool:  # type: ignore[no-untyped-def]
        return not _in_migration(view.path) and query_helper_could_match(view)

    VALID = [
        # the helper runs once, before the loop
        MODELS + "def get_owner(pk):\n    return Owner.objects.get(pk=pk)\nowner = get_owner(1)\nfor pet in pets:\n    print(owner)\n",
        # a helper that does not query
        MODELS + "def label(p):\n    return str(p)\nfor pet in pets:\n    label(pet)\n",
        # memoized: once per distinct argument
        MODELS + "import functools\n@functools.lru_cache(maxsize=None)\ndef get_owner(pk):\n    return Owner.objects.get(pk=pk)\nfor pet in pets:\n    get_owner(pet.owner_id)\n",
        # a fixed number of passes
        MODELS + "def get_owner(pk):\n    return Owner.objects.get(pk=pk)\nfor pk in (1, 2, 3):\n    get_owner(pk)\n",
        MODELS + "def get_owner(pk):\n    return Owner.objects.get(pk=pk)\ndef f():\n    known = {'a': 1, 'b': 2}\n    for name, pk in known.items():\n        get_owner(pk)\n",
        # one call per batch
        MODELS + "def save_all(rows):\n    Owner.objects.filter(pk__in=rows).update(name='x')\nfor chunk in chunks:\n    save_all(chunk)\n",
        # a coroutine function called without await creates a coroutine, runs nothing here
        MODELS + "async def load(pk):\n    return await Owner.objects.aget(pk=pk)\ntasks = [load(pk) for pk in ids]\n",
        # the helper's query is FFT201's business when it is itself in the loop
        MODELS + "for pet in pets:\n    Owner.objects.get(pk=pet.owner_id)\n",
        # the helper queries only when ``shallow`` is false; this call passes True
        MODELS + "def clean(name, shallow=False):\n    if not shallow:\n        if Owner.objects.filter(name=name).exists():\n            raise ValueError(name)\n    return name\nfor n in names:\n    clean(n, shallow=True)\n",
        # a loop over an enumeration's members: a fixed number of passes
        MODELS + "import enum\nclass Kind(enum.Enum):\n    A = 1\n    B = 2\ndef has(kind):\n    return Owner.objects.filter(name=kind.name).exists()\nfound = [k for k in Kind if has(k)]\n",
        # ... or when the parameter keeps its default
        MODELS + "class Price:\n    def total(self, amount, with_extras=False):\n        if with_extras:\n            for pet in Pet.objects.all():\n                amount += 1\n        return amount\nfor p in prices:\n    Price().total(p)\n",
        # a helper that memoizes its work on the object it is given
        MODELS + "def cart(request):\n    if not hasattr(request, '_cart'):\n        request._cart = list(Owner.objects.filter(name=request.user))\n    return request._cart\nfor step in steps:\n    cart(request)\n",
        # a model method reading a relation the loop's query prefetched
        MODELS + "class Kennel(models.Model):\n    def dogs(self):\n        return [d.name for d in self.residents.all()]\nclass Dog(models.Model):\n    kennel = models.ForeignKey(Kennel, on_delete=models.CASCADE, related_name='residents')\nfor k in Kennel.objects.prefetch_related('residents'):\n    k.dogs()\n",
        # the loop returns the first helper call: once per call
        MODELS + "def get_owner(pk):\n    return Owner.objects.get(pk=pk)\ndef first(pets):\n    for pet in pets:\n        if pet.owner_id:\n            return get_owner(pet.owner_id)\n",
        # the helper queries a relation of the row it is given, and the loop's query prefetched it
        MODELS + "def pet_names(owner):\n    return [p.name for p in owner.pets.all()]\n\nfor o in Owner.objects.prefetch_related('pets'):\n    print(pet_names(o))\n",
        # ... the parameter is rebound before the relation is read (not the row any more)
        MODELS + "def count_pets(owner):\n    owner = owner.pk\n    return owner.pets.count()\n\nfor o in Owner.objects.all():\n    print(count_pets(o))\n",
        # ... the helper is given a plain value of the row, not the row
        MODELS + "def shout(name):\n    return name.upper()\n\nfor o in Owner.objects.all():\n    print(shout(o.name))\n",
        # a cache-aside helper (reads a cache, fills it on a miss): once per key
        MODELS + "from django.core.cache import cache\ndef owner_name(pk):\n    name = cache.get(pk)\n    if name is None:\n        name = Owner.objects.get(pk=pk).name\n        cache.set(pk, name)\n    return name\nfor pet in pets:\n    owner_name(pet.owner_id)\n",
    ]
    INVALID = [
        Invalid(
            MODELS + "def clean(name, shallow=False):\n    if not shallow:\n        if Owner.objects.filter(name=name).exists():\n            raise ValueError(name)\n    return name\nfor n in names:\n    clean(n, shallow=False)\n",
            message_contains="clean -> Owner.objects.exists",
        ),
        Invalid(
            MODELS + "class Kennel(models.Model):\n    def dogs(self):\n        return [d.name for d in self.residents.all()]\nclass Dog(models.Model):\n    kennel = models.ForeignKey(Kennel, on_delete=models.CASCADE, related_name='residents')\nfor k in Kennel.objects.all():\n    k.dogs()\n",
            message_contains="Kennel.dogs -> for ... in Kennel.residents",
        ),
        Invalid(
            MODELS + "def get_owner(pk):\n    return Owner.objects.get(pk=pk)\n\nfor pet in pets:\n    owner = get_owner(pet.owner_id)\n",
            line=13,
            message_contains="for ... -> get_owner -> Owner.objects.get",
        ),
        Invalid(
            MODELS + "def count_pets(owner: Owner):\n    return owner.pets.count()\n\nnames = [count_pets(o) for o in owners]\n",
            message_contains="count_pets -> Owner.pets.count",
        ),
        Invalid(
            # ... the same helper on rows of a query that does not prefetch them
            MODELS + "def pet_names(owner):\n    return [p.name for p in owner.pets.all()]\n\nfor o in Owner.objects.all():\n    print(pet_names(o))\n",
            message_contains="for ... -> pet_names -> for ... in Owner.pets",
        ),
        Invalid(
            # an unannotated parameter: the call passes a row, the helper queries its relation
            MODELS + "def count_pets(owner):\n    return owner.pets.count()\n\nfor o in Owner.objects.all():\n    print(count_pets(o))\n",
            message_contains="for ... -> count_pets -> Owner.pets.count",
        ),
        Invalid(
            MODELS + "class Report:\n    def __init__(self, owner):\n        self.owner = owner\n    @property\n    def pets(self):\n        return list(Pet.objects.filter(owner=self.owner))\n\n"
            "for o in owners:\n    print(Report(o).pets)\n",
            message_contains="Report.pets",
        ),
        Invalid(
            MODELS + "def rename(pk, name):\n    owner = Owner.objects.get(pk=pk)\n    owner.name = name\n    owner.save()\n\nfor pk, name in pairs:\n    rename(pk, name)\n",
            message_contains="rename -> Owner.objects.get",
        ),
        Invalid(
            "import sqlite3\nconn = sqlite3.connect('db')\n\ndef fetch(cur, pk):\n    return cur.execute('SELECT * FROM t WHERE id = ?', (pk,)).fetchone()\n\n"
            "def run(ids):\n    cur = conn.cursor()\n    for pk in ids:\n        fetch_one(pk)\n\ndef fetch_one(pk):\n    return conn.cursor().execute('SELECT 1').fetchone()\n",
            message_contains="fetch_one -> cursor.execute",
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        self._funcs = getattr(self, "_funcs", set())
        self._funcs.add(id(node.func))
        project = self.ctx.project
        if project is None or not hasattr(project, "explain"):
            return
        loops = collection_loops(self.ctx)
        if not loops or _in_migration(self.ctx.path):
            return
        targets = project.targets(self.ctx.names.values(node.func))
        if not targets or self._batch_loop(loops, node.func, targets) or self._passes_the_collection(node, loops):
            return
        self._report_first(node, targets, self._awaited(node))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        """``report.total`` where ``total`` is a ``@property`` that queries."""
        if id(node) in getattr(self, "_funcs", ()):
            return  # a method call: visit_Call has it
        project = self.ctx.project
        if project is None or not hasattr(project, "explain"):
            return
        loops = collection_loops(self.ctx)
        if not loops or _in_migration(self.ctx.path):
            return
        if not any(isinstance(v, str) and "()" in v for v in self.ctx.names.local_values(node.value)):
            return  # not an instance here (the summaries record the same reads: the pre-filter agrees)
        targets = project.targets(self.ctx.names.values(node.value), node.attr.value)
        if targets and not self._batch_loop(loops, node, targets):
            self._report_first(node, targets, False)

    def _on_each_row(self, node: cst.CSTNode) -> bool:
        """``row.member`` / ``row.member()`` on a variable an enclosing loop binds: another
        instance on every pass."""
        func = node.func if isinstance(node, cst.Call) else node
        receiver = func.value if isinstance(func, cst.Attribute) else None
        return isinstance(receiver, cst.Name) and receiver.value in targets_of(collection_loops(self.ctx))

    def _report_first(self, node: cst.CSTNode, targets: Any, awaited: bool) -> None:
        project = self.ctx.project
        if runs_at_most_once(self.ctx, collection_loops(self.ctx)):
            return  # ``return helper(x)`` in the loop, ``break`` after it: once per call
        per_row = self._on_each_row(node)
        for target in targets:
            if CACHED in target.marks and not (per_row and PER_INSTANCE in target.marks) or target.is_async and not awaited:
                continue  # memoized; a ``cached_property`` of the loop's row is not: a new row each pass
            found = project.explain(target, NAME, self.ctx.module_name)
            if found is None and isinstance(node, cst.Call):
                found = self._through_argument(node, target)
            if found is None or self._guarded(node, target, found) or self._per_table(node, target, found) or self._prefetched(node, found) or self._connecting(target, found) or self._looped_inside(target, found):
                continue
            if CACHED in target.marks and not memo_per_row_counts(found.effect):
                continue  # a ``cached_property`` per row over a prefetchable read or a write
            chain = ["for ...", *found.names]
            related = [Related(step.what, self._path(step.path), Span(step.line, step.column + 1, step.line, step.column + 1)) for step in found.steps]
            shown = node.func if isinstance(node, cst.Call) else node
            self.report(
                node,
                callee=" ".join(self.ctx.code_for(shown).split()),
                chain=" -> ".join(chain),
                properties={"chain": chain, "kind": found.effect.kind},
                related=related,
            )
            return

    def _through_argument(self, node: cst.Call, target: Any) -> Optional[Chain]:
        """``count_pets(o)`` in ``for o in Owner.objects.all()`` where ``count_pets(owner)``
        (no annotation) runs ``owner.pets.count()``: the helper's summary cannot know what
        ``owner`` is, the call site does. The helper's own calls rooted at the parameter
        are read again with the argument's values in its place; one level deep only."""
        project = self.ctx.project
        helper = parameter_calls(project, target)
        if helper is None:
            return None
        params, calls = helper
        bound: dict = {}
        for index, arg in enumerate(node.args):
            if arg.star:
                return None
            if arg.keyword is not None:
                bound[arg.keyword.value] = arg.value
            elif index < len(params):
                bound[params[index]] = arg.value
        rows = {}
        for param, value in bound.items():
            known = sorted(v for v in self.ctx.names.values(value) if isinstance(v, str) and v and "?" not in v)
            if known:
                rows[param] = (known, value)
        if not rows:
            return None
        path = project.path_of(target.qualname) or self.ctx.path
        for line, column, param, tail, kind in calls:
            if param not in rows:
                continue
            values, argument = rows[param]
            callee = frozenset(f"{v}.{tail}" for v in values)
            effect = project.call_effect(CallFacts(callee, line, column, kind=kind), NAME)
            if effect is None:
                continue
            if self._argument_served(argument, effect):
                continue
            step = Step(effect.display, path, effect.line, effect.column)
            return Chain((target.short, effect.display), effect, (step,))
        return None

    def _argument_served(self, argument: cst.BaseExpression, effect: Any) -> bool:
        """Whether the helper's query may not run per row, or cannot be judged: the row
        handed to the helper must be the variable of a loop over a query we can read --
        directly (``for o in Owner.objects.all()``) or through a relation of an outer
        loop's row (``for a in op.answers.all()``, judged against the outer query's
        ``answers__options``) -- and, for a relation a prefetch serves, that query must
        not prefetch it. Anything else (a value computed in the pass, a loop over
        something we cannot read) is taken as served: silent."""
        if not isinstance(argument, cst.Name):
            return True
        found = self._row_query(argument.value, "", 0)
        if found is None:
            return True
        query, prefix = found
        if effect.kind != PREFETCHABLE:
            return False
        if "." not in effect.display:
            return True
        attr = effect.display.split(" ")[-1].split(".")[1]
        return query.orm != "django" or query.covers(f"{prefix}__{attr}" if prefix else attr)

    def _row_query(self, name: str, prefix: str, depth: int) -> Optional[tuple]:
        """The query whose rows ``name`` is a loop variable of, and the relation path from
        that query's model to the rows (``("answers", ...)`` for ``for a in
        op.answers.all()``); None when that cannot be read."""
        if depth > 3:
            return None
        for frame in reversed(self.ctx.stack.loops):
            loop = frame.node
            if name not in loop_targets(loop):
                continue
            iterable = loop.iter if isinstance(loop, cst.For) else loop.for_in.iter if hasattr(loop, "for_in") else None  # type: ignore[attr-defined]
            if iterable is None:
                return None
            outer = _relation_of_row(iterable)
            if outer is not None and any(outer[0] in loop_targets(f.node) for f in self.ctx.stack.loops if f.node is not loop):
                return self._row_query(outer[0], f"{outer[1]}__{prefix}" if prefix else outer[1], depth + 1)
            query = self._loop_query(iterable)
            return (query, prefix) if query is not None else None
        return None

    def _guarded(self, node: cst.CSTNode, target: Any, found: Any) -> bool:
        """The chain's first step runs only under ``if not <param>:`` and this call passes
        a literal that skips it (``clean_username(name, shallow=True)``)."""
        if not isinstance(node, cst.Call) or not found.steps:
            return False
        literal = {a.keyword.value: _literal(a.value) for a in node.args if a.keyword is not None}
        literal = {k: v for k, v in literal.items() if v is not None}
        positional = -1 if any(a.star for a in node.args) else sum(1 for a in node.args if a.keyword is None)
        first = found.steps[0]
        for call in self.ctx.project.details(target).calls:
            if call.line == first.line and call.column == first.column:
                return guard_blocks(call.notes, literal, positional)
        return False

    def _per_table(self, node: cst.CSTNode, target: Any, found: Any) -> bool:
        """The helper's statement puts a parameter in the table's place
        (``text(f"SELECT * FROM {target_table}")``) and this call passes the loop's
        variable for it: one statement per table (an export or a drop of each archived
        table), which no single statement can replace."""
        if not isinstance(node, cst.Call) or len(found.steps) != 1:
            return False
        first = found.steps[0]
        # ``session.execute(...).all()``: the outer call starts where the inner one does
        tables = [
            n[len("table:"):]
            for call in self.ctx.project.details(target).calls
            if call.line == first.line and call.column == first.column
            for n in call.notes
            if n.startswith("table:")
        ]
        if not tables:
            return False
        loops = collection_loops(self.ctx)
        # the innermost loop repeats the call: its own variable must be the table (an outer
        # loop's table, the same on every inner pass, is one statement per inner row)
        targets = loop_targets(loops[-1]) if loops else set()
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        for spec in tables:
            param, _, position = spec.partition("@")
            index = int(position) if position.lstrip("-").isdigit() else -1
            value = keywords.get(param)
            if value is None and 0 <= index < len(positional):
                value = positional[index]
            if value is not None and isinstance(value, cst.Name) and value.value in targets:
                return True
        return False

    def _connecting(self, target: Any, found: Any) -> bool:
        """The chain reaches its query through a function that makes a SQLAlchemy engine
        (``create_engine(url, ...)``) before the query's own function: engines are made
        once per database, so a function that makes one per call connects to the
        database it is given -- an external source it then inspects (the schema listing of
        each catalog of a data source). The query on the way (credentials, connection
        settings) is part of connecting, not a row fetched per item."""
        project = self.ctx.project
        functions = self._chain_functions(target, found)
        return any(c.kind == "call" and _makes_engine(project.resolve(c.callee)) for fn in functions[:-1] for c in project.details(fn).calls)

    def _looped_inside(self, target: Any, found: Any) -> bool:
        """The query itself runs on every pass of a ``for`` of its own function, over
        something other than a literal or ``range`` (the helper drains each worker's
        events with ``session.get(...)`` per event): FFT201 reports it there, where the
        batching goes, and the call out here is not reported a second time. A call
        towards the query in a loop, or a query in a comprehension's first iterable
        (evaluated once), does not count."""
        project = self.ctx.project
        functions = self._chain_functions(target, found)
        if len(functions) != len(found.steps):
            return False
        fn, effect = functions[-1], found.effect
        if not any(c.in_loop and c.kind == "call" and c.line == effect.line and c.column == effect.column for c in project.details(fn).calls):
            return False
        module = project.path_of(fn.qualname) and _module_of(project, fn.qualname)
        facts = project.module_facts(module) if module else None
        tree = getattr(facts, "tree", None)
        return tree is not None and _in_for_body(tree, fn.line, effect.line, effect.column)

    def _chain_functions(self, target: Any, found: Any) -> List[Any]:
        """The function each step of the chain happens in (fewer when a step's callee
        cannot be found again)."""
        project = self.ctx.project
        out = [target]
        for step in found.steps[:-1]:
            following = [
                t for c in project.details(out[-1]).calls
                if c.kind == "call" and c.line == step.line and c.column == step.column
                for t in project.targets(c.callee)
            ]
            if not following:
                break
            out.append(following[0])
        return out

    def _prefetched(self, node: cst.CSTNode, found: Any) -> bool:
        """``discount.apply(...)`` on a row of ``qs.prefetch_related("products")`` whose
        method only reads ``self.products.all()``: the prefetch serves it, no query."""
        if found.effect.kind != PREFETCHABLE or len(found.names) < 2:
            return False
        owners = {n.split(".", 1)[0] for n in found.names[:-1]}
        served_by = found.effect.display.split(" ")[-1].split(".")[0]
        if owners != {served_by} or any("." not in n for n in found.names[:-1]):
            return False  # ``page.get_path() -> Page.get_url -> self.urls``: methods of the row's own model only
        func = node.func if isinstance(node, cst.Call) else node
        receiver = func.value if isinstance(func, cst.Attribute) else None
        if not isinstance(receiver, cst.Name):
            return False
        attr = found.effect.display.split(" ")[-1].split(".")[1] if "." in found.effect.display else ""
        for frame in reversed(self.ctx.stack.loops):
            loop = frame.node
            if receiver.value in loop_targets(loop):
                iterable = loop.iter if isinstance(loop, cst.For) else loop.for_in.iter if hasattr(loop, "for_in") else None  # type: ignore[attr-defined]
                query = self._loop_query(iterable) if iterable is not None else None
                return query is not None and query.orm == "django" and query.covers(attr)
        return False

    def _loop_query(self, iterable: cst.BaseExpression) -> Any:
        from ._querysets import Analyzer, options_of

        analyzer = self.__dict__.get("_analyzer")
        if analyzer is None:
            analyzer = self.__dict__["_analyzer"] = Analyzer(self.ctx, options_of(self))
        return analyzer.analyze(iterable)

    def visit_Await(self, node: cst.Await) -> None:
        self._awaits = getattr(self, "_awaits", set())
        self._awaits.add(id(node.expression))

    def _awaited(self, node: cst.Call) -> bool:
        return id(node) in getattr(self, "_awaits", ())

    def _batch_loop(self, loops: Any, func: Any = None, targets: Any = ()) -> bool:
        """A loop whose variable or iterable names a batch (``for page in paginator``):
        one pass per batch. Not when the call is a method of a project model on the
        loop's own variable (``for page in pages: page.get_path()``): that variable is a
        row of the model (a CMS page), whatever the word."""
        for loop in loops:
            names = loop_targets(loop)
            words = " ".join(names).lower()
            iterable = getattr(loop, "iter", None)
            if iterable is None and getattr(loop, "for_in", None) is not None:
                iterable = loop.for_in.iter
            if iterable is not None:
                words += " " + self.ctx.code_for(iterable).lower()
            if any(w in words for w in _BATCH_WORDS) and not self._row_method(func, names, targets):
                return True
        return False

    def _row_method(self, func: Any, names: Any, targets: Any) -> bool:
        """``row.method`` where ``row`` is one of ``names`` and every target is a method
        of a model the project index knows."""
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name) or func.value.value not in names:
            return False
        provider = self.ctx.project.provider(NAME)
        index = getattr(provider, "index", None)
        if index is None:
            return False
        return all(t.qualname.rpartition(".")[0] in index.models and index.orm_of(index.models[t.qualname.rpartition(".")[0]]) for t in targets)

    def _passes_the_collection(self, node: cst.Call, loops: Any) -> bool:
        """``save_all(rows)`` inside ``for row in rows``: the helper gets the whole batch."""
        for loop in loops:
            iterable = getattr(loop, "iter", None)
            if isinstance(iterable, cst.Name) and any(mentions(a.value, {iterable.value}) and not isinstance(a.value, cst.Subscript) for a in node.args):
                return True
        return False

    def _path(self, path: str) -> str:
        if not path or os.path.abspath(path) == os.path.abspath(self.ctx.path):
            return self.ctx.path
        return path


def _relation_of_row(iterable: cst.BaseExpression) -> Optional[tuple]:
    """``op.answers.all()`` / ``op.addon_to.answers`` -> ("op", "answers") / ("op",
    "addon_to__answers"): rows of a relation of another name's row."""
    node = iterable
    if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) and node.func.attr.value == "all":
        node = node.func.value
    parts: List[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if parts and isinstance(node, cst.Name):
        return node.value, "__".join(reversed(parts))
    return None


def _in_for_body(tree: ast.AST, def_line: int, line: int, column: int) -> bool:
    """The call at ``line:column`` in the function defined at ``def_line`` sits in the
    body of a ``for`` of that function whose iterable is no literal display or ``range``."""
    function = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno == def_line), None)
    if function is None:
        return False
    for loop in ast.walk(function):
        if not isinstance(loop, (ast.For, ast.AsyncFor)):
            continue
        if isinstance(loop.iter, (ast.List, ast.Tuple, ast.Set, ast.Dict)) or isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name) and loop.iter.func.id == "range":
            continue
        for stmt in loop.body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Call) and node.lineno == line and node.col_offset == column:
                    return True
    return False


#: what makes a SQLAlchemy engine: once per database URL
_ENGINE_MAKERS = frozenset(("sqlalchemy.create_engine", "sqlalchemy.engine.create_engine", "sqlalchemy.ext.asyncio.create_async_engine"))


def _makes_engine(values: Any) -> bool:
    return any(isinstance(v, str) and v in _ENGINE_MAKERS for v in values)


def _literal(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return node.value
    if isinstance(node, cst.Integer):
        return node.value
    if isinstance(node, cst.SimpleString):
        return node.value
    return None


def _in_migration(path: str) -> Optional[bool]:
    parts = path.replace("\\", "/").split("/")[:-1]
    return "migrations" in parts or "alembic" in parts or "versions" in parts and "alembic" in parts
