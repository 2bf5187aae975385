"""The Rule base class, its examples (Valid / Invalid), and the engine's context stack.

A rule is one class in one module under ``rules/``::

    class BlockingSleep(Rule):
        \"\"\"## What it does ... ## Why is this bad? ... ## Example ... ## Use instead ...
        ## Fix safety ...\"\"\"
        code = "FFT101"
        name = "blocking-sleep-in-async"
        message = "`{callee}` blocks the event loop inside `async def {func}`"
        fix_title = "Use `await asyncio.sleep(...)`"
        requires = ("async",)           # cheap pre-filter: any of these must be in the file
        VALID = ["async def f():\\n    await asyncio.sleep(1)\\n"]
        INVALID = [Invalid("import time\\nasync def f():\\n    time.sleep(1)\\n", fixed=...)]

        def visit_Call(self, node: cst.Call) -> None:
            if self.ctx.stack.in_async_def and self.ctx.names.resolve(node.func) == "time.sleep":
                self.report(node, callee="time.sleep", func=...)

        @classmethod
        def could_match(cls, view) -> bool:  # optional second pre-filter, on the ``ast``
            return view.has(ast.AsyncFunctionDef)

Rules see one file through ``self.ctx`` (a :class:`FileContext`), report through
:meth:`Rule.report`, and never print, read config files or write files.

Both pre-filters (:mod:`fftlint.engine.prefilter`) may only say "cannot report here":
a file skips LibCST when every selected rule says so, and a filtered run must report
exactly what an unfiltered one does (``lint_source(..., prefilter=False)``;
:func:`fftlint.testing.check_example` compares both on every example).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Dict,
    FrozenSet,
    List,
    Optional,
    Sequence,
    Tuple,
    Type,
    Union,
)

import libcst as cst

from fftlint.types import CONTEXTS, SAFE, Related

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.engine.prefilter import AstView
    from fftlint.facts.cst import Names
    from fftlint.facts.project import ProjectFacts
    from fftlint.facts.provider import Provider


# --------------------------------------------------------------------------- examples
@dataclass(frozen=True)
class Valid:
    """Code the rule must stay silent on."""

    code: str
    path: str = "example.py"
    options: Dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report.

    ``line``/``column`` (1-based), when given, pin the first report. ``fixed`` is the
    expected source after applying the rule's fixes (unsafe fixes included when
    ``safety == "unsafe"``); ``None`` means the example has no fix.
    """

    code: str
    fixed: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    count: Optional[int] = None
    message_contains: Optional[str] = None
    safety: str = SAFE
    path: str = "example.py"
    options: Dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- fixes
@dataclass(frozen=True)
class NodeRange:
    """The source from the start of ``first`` to the end of ``last`` (two nodes of one
    file, ``first`` not after ``last``): what a fix replaces when it rewrites several
    sibling nodes at once (adjacent decorators, the statements a ``with`` block takes in)."""

    first: cst.CSTNode
    last: cst.CSTNode


Target = Union["cst.CSTNode", NodeRange]


@dataclass(frozen=True)
class RelatedNode:
    """A related location that is a node of the file being linted (``Rule.report(related=
    [...])``): the engine turns it into a :class:`fftlint.types.Related` with its span, as
    it does for the reported node."""

    message: str
    node: cst.CSTNode


@dataclass(frozen=True)
class FixSpec:
    """A fix as a rule writes it: node replacements plus imports to add.

    ``replacements`` maps CST nodes of the file (or a :class:`NodeRange` of them) to
    replacement source text or nodes. ``imports`` are module names that must be imported
    (``"asyncio"``) for the fix.
    """

    replacements: Tuple[Tuple[Target, Union[str, cst.CSTNode]], ...]
    safety: str = SAFE
    title: Optional[str] = None
    imports: Tuple[str, ...] = ()
    #: Module-level statements the fix needs (``"_background_tasks = set()"``), added after
    #: the imports unless the module already has that statement at its top level.
    module_statements: Tuple[str, ...] = ()
    #: The whole module after the fix (a restructuring that LibCST renders: statements
    #: moved into a new block keep their relative indentation and string contents); the
    #: engine turns it into one edit over the part that changed. Used with no replacements.
    rewrite: Optional[cst.Module] = None


def replace(
    node: Target,
    new: Union[str, cst.CSTNode],
    *,
    safety: str = SAFE,
    title: Optional[str] = None,
    imports: Sequence[str] = (),
    module_statements: Sequence[str] = (),
) -> FixSpec:
    return FixSpec(((node, new),), safety, title, tuple(imports), tuple(module_statements))


# --------------------------------------------------------------------------- context
FUNCTION_KINDS = ("def", "async def", "lambda")
LOOP_KINDS = ("loop", "async loop", "comprehension")


@dataclass
class Frame:
    kind: str  # module | class | def | async def | lambda | loop | async loop | comprehension | with | async with
    node: cst.CSTNode


class ContextStack:
    """Where the walker is: enclosing functions, classes, loops and ``with`` blocks.

    Frames describe *bodies*: a decorator or default argument of ``async def f`` is
    evaluated outside ``f`` and sees the enclosing frames; a ``for`` loop's iterable is
    evaluated once, outside the loop frame; a comprehension's first iterable likewise.
    """

    def __init__(self) -> None:
        self.frames: List[Frame] = []

    def push(self, kind: str, node: cst.CSTNode) -> None:
        self.frames.append(Frame(kind, node))

    def pop(self) -> None:
        self.frames.pop()

    @property
    def function_frame(self) -> Optional[Frame]:
        for frame in reversed(self.frames):
            if frame.kind in FUNCTION_KINDS:
                return frame
            if frame.kind == "class":
                return None
        return None

    @property
    def in_async_def(self) -> bool:
        """Directly inside an ``async def`` body (not a nested def, lambda or class body)."""
        frame = self.function_frame
        return frame is not None and frame.kind == "async def"

    @property
    def function(self) -> Optional[cst.CSTNode]:
        frame = self.function_frame
        return frame.node if frame is not None else None

    @property
    def function_name(self) -> str:
        node = self.function
        if isinstance(node, cst.FunctionDef):
            return node.name.value
        return "<lambda>" if node is not None else "<module>"

    @property
    def loops(self) -> List[Frame]:
        """Loop and comprehension frames inside the innermost function (outermost first)."""
        out: List[Frame] = []
        for frame in reversed(self.frames):
            if frame.kind in FUNCTION_KINDS or frame.kind == "class":
                break
            if frame.kind in LOOP_KINDS:
                out.append(frame)
        out.reverse()
        return out

    @property
    def in_loop(self) -> bool:
        return bool(self.loops)

    def inside(self, *kinds: str) -> bool:
        return any(frame.kind in kinds for frame in self.frames)


@dataclass
class RawReport:
    rule: "Rule"
    node: cst.CSTNode
    statement: Optional[cst.CSTNode]
    message: str
    fix: Optional[FixSpec]
    properties: Dict[str, Any]
    related: Tuple[Union[Related, RelatedNode], ...] = ()
    scope: str = ""  # qualified name of the enclosing function or class
    inside: Optional[Tuple[int, int]] = None  # (line delta, column) of the start inside the node


class FileContext:
    """What rules know about the file being linted.

    * ``names`` -- the facts layer for this file (:class:`fftlint.facts.cst.Names`):
      ``names.resolve(expr)`` / ``names.values(expr)``;
    * ``project`` -- the project's facts (:class:`fftlint.facts.project.ProjectFacts`,
      summaries, call chains, providers' project-wide facts), or None when no selected
      rule declares a provider;
    * ``stack`` / ``statements`` -- where the walker is;
    * :meth:`shared` -- a per-file memo that the rules of a family share (one analysis of
      the file, however many of its rules run).
    """

    def __init__(
        self,
        path: str,
        source: str,
        module: cst.Module,
        names: "Names",
        module_name: str,
        project: Optional["ProjectFacts"] = None,
        target_version: Tuple[int, int] = (3, 9),
        is_package: bool = False,
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.names = names
        self.module_name = module_name
        self.is_package = is_package
        self.project = project
        self.target_version = target_version
        self.stack = ContextStack()
        self.statements: List[cst.CSTNode] = []
        self.reports: List[RawReport] = []
        self._shared: Dict[Any, Any] = {}

    def code_for(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def shared(self, key: Any, factory: Callable[[], Any]) -> Any:
        """The value ``factory()`` made the first time ``key`` was asked for in this file."""
        found = self._shared.get(key, _MISSING)
        if found is _MISSING:
            found = self._shared[key] = factory()
        return found

    def provider(self, name: str) -> Optional["Provider"]:
        """The run's fact provider called ``name`` (None without a project)."""
        return self.project.provider(name) if self.project is not None else None

    def scope_name(self) -> str:
        """Qualified name of where the walker is: ``module.Class.method.<lambda>``
        (classes, functions and lambdas; loops, comprehensions and ``with`` blocks are
        not scopes of their own)."""
        parts = [self.module_name]
        for frame in self.stack.frames:
            if frame.kind in ("class", "def", "async def"):
                parts.append(frame.node.name.value)  # type: ignore[attr-defined]
            elif frame.kind == "lambda":
                parts.append("<lambda>")
        return ".".join(parts)


_MISSING = object()


# --------------------------------------------------------------------------- rule
class Rule:
    """Base class of every rule. Subclass it in a module under ``rules/``."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    message: ClassVar[str] = ""
    fix_title: ClassVar[Optional[str]] = None
    severity: ClassVar[str] = "warning"  # error | warning | note
    default_enabled: ClassVar[bool] = True
    #: Cheap pre-filter: the file is parsed for this rule only when one of these
    #: strings (or compiled patterns) occurs in its text. Empty: always run. Must never
    #: change the answer. The second pre-filter is :meth:`could_match`.
    requires: ClassVar[Tuple[str, ...]] = ()
    #: A dataclass of options, read from ``[tool.fftlint.<options_key>]``.
    Options: ClassVar[Optional[type]] = None
    options_key: ClassVar[Optional[str]] = None
    #: Documents that the rule reads facts of other files (call chains, a provider's
    #: project-wide facts). Every rule sees the project through ``ctx.names`` and
    #: ``ctx.project``; the result cache tracks which modules each file's result consulted.
    needs_project: ClassVar[bool] = False
    #: Fact providers (:class:`fftlint.facts.provider.Provider` subclasses) the rule reads
    #: through ``ctx.project``: what its family's calls do (block, query, register) and
    #: the family's project-wide facts. The engine makes one of each per run.
    providers: ClassVar[Tuple[Type["Provider"], ...]] = ()
    #: The code contexts (production, tests, migrations, scripts: see
    #: :mod:`fftlint.engine.contexts`) where the rule's findings are shown by default;
    #: elsewhere they are held back and counted (``--contexts all`` shows them). The
    #: default, everywhere, suits engine diagnostics and rules that do not say.
    contexts: ClassVar[FrozenSet[str]] = frozenset(CONTEXTS)
    tags: ClassVar[Tuple[str, ...]] = ()
    VALID: ClassVar[Sequence[Union[str, Valid]]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()

    def __init__(self, ctx: FileContext, options: Any = None) -> None:
        self.ctx = ctx
        self.options = options

    @classmethod
    def could_match(cls, view: "AstView") -> bool:
        """The ``ast`` pre-filter: False only when the rule cannot report in the file
        (``view`` holds its ``ast``, text, binding map, the run's options and project).
        Must never change the answer; the default lets every file through."""
        return True

    # Called by the engine once the whole file has been walked.
    def end(self) -> None:
        pass

    def report(
        self,
        node: cst.CSTNode,
        message: Optional[str] = None,
        *,
        fix: Optional[FixSpec] = None,
        properties: Optional[Dict[str, Any]] = None,
        related: Sequence[Union[Related, RelatedNode]] = (),
        inside: Optional[Tuple[int, int]] = None,
        **fmt: Any,
    ) -> None:
        """Report ``node``. ``properties`` travel to JSON and SARIF (the engine reads none
        of them). ``related``: the steps that lead to the finding (a call chain), in
        order. ``inside``: ``(line_delta, column)`` of a spot inside the node to start the
        report at, e.g. a sub-pattern inside a regex literal (``column`` 0-based, from the
        node's start column on its first line, absolute on later lines)."""
        text = message if message is not None else self.message.format(**fmt)
        statement = self.ctx.statements[-1] if self.ctx.statements else None
        self.ctx.reports.append(
            RawReport(self, node, statement, text, fix, dict(properties or {}), tuple(related), self.ctx.scope_name(), inside)
        )

    # -- documentation --------------------------------------------------------
    @classmethod
    def doc(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """First paragraph of *What it does*, used as the short description."""
        text = cls.doc()
        section = doc_section(text, "What it does") or text
        first = section.strip().split("\n\n", 1)[0]
        return " ".join(first.split())

    @classmethod
    def fixable(cls) -> bool:
        return any(ex.fixed is not None for ex in cls.INVALID)

    @classmethod
    def where_it_reports(cls) -> str:
        """``production (not run in tests, migrations, scripts; ...)`` for docs."""
        shown = [c for c in CONTEXTS if c in cls.contexts]
        held = [c for c in CONTEXTS if c not in cls.contexts]
        if not held:
            return "every code context"
        return f"{', '.join(shown)} (not run in {', '.join(held)}; `--contexts all` runs it there)"

    @classmethod
    def family(cls) -> str:
        """The title of the family whose prefix the code starts with ("other" when no
        package declares one)."""
        from fftlint.registry import family_of

        found = family_of(cls.code)
        return found.title if found is not None else "other"


@dataclass(frozen=True)
class Family:
    """A rule family, declared by the package that holds its rules (``FAMILY = Family(...)``
    in ``rules/<family>/__init__.py``, or in a plugin's module): the code prefix its rules
    share, its title, and a line on what it finds (README, ``fftlint explain``, SARIF)."""

    prefix: str  # "FFT1"
    title: str  # "sync I/O in async code"
    summary: str = ""


ENGINE_FAMILY = Family("FFT0", "engine", "syntax errors, crashed rules, unused suppressions, unreadable files")


def doc_section(doc: str, title: str) -> Optional[str]:
    """The text under ``## title`` in a rule docstring."""
    lines = doc.splitlines()
    out: List[str] = []
    inside = False
    for line in lines:
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip().lower() == title.lower()
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip() if inside or out else None
