"""Guards that make a call run once: read on the stdlib ``ast`` of one function.

A lazy-initialisation guard -- ``if X is None:`` / ``if not X:`` whose body assigns ``X``
(a global, a module or class attribute, ``self.x``) -- runs its body the first time
only: the store, client or schema it builds is kept for every later call. A test of an
object's own state (``if not q.is_active(): q.activate()``) runs the method once per
change of that state. Providers use :func:`once_guarded_in` to tell the facts layer that
a call sits under such a guard (chains of per-call effects do not go through it).

Not a guard: an ``if X is None:`` whose body never sets ``X`` (it runs again on every
call), or a call after the guard.

``process_wide=True`` keeps only the guards whose state outlives the call *and* the
object: a ``global`` / ``nonlocal`` name, an attribute of ``cls`` or of a module-level
name (a class, a module). A local or a parameter (``if store is None: store =
get_store()`` fills in a default on every call) and ``self.x`` (once per instance, and
the instance may be made per call) are not guards then, nor are state tests.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Callable, Optional, Set

from fftlint.analysis.names import ast_dotted

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.facts.summary import FunctionView

#: a call note: the call runs once, under a lazy-initialisation guard
ONCE = "once-guarded"
#: a call note: the same, on state of the process (``process_wide=True``)
ONCE_PER_PROCESS = "once-per-process"


def once_guarded(function: ast.AST, process_wide: bool = False) -> Set[int]:
    """Ids of the calls in ``function`` that sit in the body of a lazy-initialisation
    guard or of a test of their own receiver's state (see the module docstring)."""
    out: Set[int] = set()
    kept = _process_wide_state(function) if process_wide else None
    for node in ast.walk(function):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            subject: Optional[ast.AST] = test.operand
            if isinstance(subject, ast.Call) and isinstance(subject.func, ast.Attribute) and not subject.args and not subject.keywords:
                if kept is not None:
                    continue
                state = ast_dotted(subject.func.value)
                if state:
                    # `if not q.is_active(): q.activate()`: once per change of q's state
                    out.update(id(sub) for stmt in node.body for sub in ast.walk(stmt) if isinstance(sub, ast.Call)
                               and isinstance(sub.func, ast.Attribute) and ast_dotted(sub.func.value) == state)
                    continue
        elif isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is) and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
            subject = test.left
        else:
            continue
        text = ast_dotted(subject) if isinstance(subject, (ast.Name, ast.Attribute)) else None
        if not text or (kept is not None and not kept(subject)):
            continue
        assigned = any(
            ast_dotted(target) == text
            for stmt in node.body
            for sub in ast.walk(stmt)
            if isinstance(sub, (ast.Assign, ast.AnnAssign))
            for target in (sub.targets if isinstance(sub, ast.Assign) else [sub.target])
        )
        if assigned:
            out.update(id(sub) for stmt in node.body for sub in ast.walk(stmt) if isinstance(sub, ast.Call))
    return out


def _process_wide_state(function: ast.AST) -> Callable[[ast.AST], bool]:
    """Whether a tested ``X`` / ``X.attr`` is state of the process (see the module
    docstring), for the names of ``function``."""
    declared: Set[str] = set()
    local: Set[str] = set()
    args = getattr(function, "args", None)
    if args is not None:
        local.update(a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a is not None)
    for node in ast.walk(function):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)

    def kept(subject: ast.AST) -> bool:
        if isinstance(subject, ast.Name):
            return subject.id in declared
        base = subject
        while isinstance(base, ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name) or base.id == "self":
            return False
        return base.id == "cls" or base.id in declared or base.id not in local

    return kept


def once_guarded_in(function: "FunctionView", process_wide: bool = False) -> Set[int]:
    """:func:`once_guarded` of a function being summarised, read once per function
    (every call site of it asks)."""
    key = "guards.once.process" if process_wide else "guards.once"
    found = function.memo.get(key)
    if found is None:
        found = function.memo[key] = once_guarded(function.node, process_wide)
    return found
