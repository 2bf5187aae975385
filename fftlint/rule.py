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
    ClassVar,
    Dict,
    FrozenSet,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import libcst as cst

from fftlint.types import CONTEXTS, SAFE, Related

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.analysis.names import Scopes
    from fftlint.engine.project import ProjectIndex


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
class FixSpec:
    """A fix as a rule writes it: node replacements plus imports to add.

    ``replacements`` maps CST nodes of the file to replacement source text or nodes.
    ``imports`` are module names that must be imported (``"asyncio"``) for the fix.
    """

    replacements: Tuple[Tuple[cst.CSTNode, Union[str, cst.CSTNode]], ...]
    safety: str = SAFE
    title: Optional[str] = None
    imports: Tuple[str, ...] = ()


def replace(
    node: cst.CSTNode,
    new: Union[str, cst.CSTNode],
    *,
    safety: str = SAFE,
    title: Optional[str] = None,
    imports: Sequence[str] = (),
) -> FixSpec:
    return FixSpec(((node, new),), safety, title, tuple(imports))


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
    related: Tuple[Related, ...] = ()


class FileContext:
    """What rules know about the file being linted."""

    def __init__(
        self,
        path: str,
        source: str,
        module: cst.Module,
        names: "Scopes",
        module_name: str,
        project: Optional["ProjectIndex"] = None,
        target_version: Tuple[int, int] = (3, 9),
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.names = names
        self.module_name = module_name
        self.project = project
        self.target_version = target_version
        self.stack = ContextStack()
        self.statements: List[cst.CSTNode] = []
        self.reports: List[RawReport] = []

    def code_for(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)


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
    #: change the answer. A rule may also define ``could_match(cls, view)``, a
    #: classmethod given an :class:`fftlint.engine.prefilter.AstView` (the file's stdlib
    #: ``ast``, its text, the run's options and project index, node lists by type), that
    #: returns False only when the rule cannot report in the file.
    requires: ClassVar[Tuple[str, ...]] = ()
    #: A dataclass of options, read from ``[tool.fftlint.<options_key>]``.
    Options: ClassVar[Optional[type]] = None
    options_key: ClassVar[Optional[str]] = None
    #: Needs the project index (cross-file facts) to be built before workers start.
    needs_project: ClassVar[bool] = False
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
        related: Sequence[Related] = (),
        **fmt: Any,
    ) -> None:
        """Report ``node``. ``properties`` travel to JSON and SARIF; the engine reads one
        of them, ``span_in_node`` (``{"line_delta": int, "column": int}``), to place the
        report on a spot inside the node, e.g. a sub-pattern inside a regex literal.
        ``related``: the steps that lead to the finding (a call chain), in order."""
        text = message if message is not None else self.message.format(**fmt)
        statement = self.ctx.statements[-1] if self.ctx.statements else None
        self.ctx.reports.append(RawReport(self, node, statement, text, fix, dict(properties or {}), tuple(related)))

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
        """``production (held back in tests, migrations, scripts; ...)`` for docs."""
        shown = [c for c in CONTEXTS if c in cls.contexts]
        held = [c for c in CONTEXTS if c not in cls.contexts]
        if not held:
            return "every code context"
        return f"{', '.join(shown)} (held back in {', '.join(held)}; `--contexts all` shows them)"

    @classmethod
    def family(cls) -> str:
        return FAMILIES.get(cls.code[:4], "other")


FAMILIES = {
    "FFT0": "engine",
    "FFT1": "sync I/O in async code",
    "FFT2": "N+1 queries",
    "FFT3": "listener and resource leaks",
    "FFT4": "catastrophic regex",
    "FFT5": "SQL and missing indexes",
}


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
