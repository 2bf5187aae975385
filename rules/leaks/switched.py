"""Paths a constant argument switches off: ``f(disabled=True)`` where ``f`` returns first.

A function whose body tests one of its own parameters and leaves at once
(``if disabled: return ...``, ``if not enabled: return``, ``raise`` alike) does nothing
after that statement when the test holds. The leaks provider marks such functions when it
summarises them (:func:`exit_marks`: the parameter, its position, its default, whether a
true or a false value leaves, and the line after which nothing runs); :func:`explain`
searches the call graph with :meth:`ProjectFacts.search`, carrying what is known of each
function's switch parameters: a literal passed at the call (keyword or positional), the
parameter's default when the call does not pass it, or the caller's own parameter passed
on (``_get_processors(disabled=disabled)``) when that one is known. Every keyword argument
with a literal value is carried into the callee (it may pass it on by name); a positional
one only into a function that passes a parameter on (its ``params`` mark names them) or
has an exit on it. Calls and effects after an exit that holds are not followed.

Only a plain test of the parameter itself counts (``if p:`` / ``if not p:`` at the top
level of the body, the parameter never re-bound in the function); a call with ``*args`` or
``**kwargs`` makes every switch of its callee unknown. Nothing cleverer: ``if not
processors: return`` after ``processors = get(disabled=disabled)`` is not read.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Set, Tuple

from fftlint.facts.project import Chain

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.facts.project import ProjectFacts
    from fftlint.facts.summary import CallFacts, FunctionFacts

#: a function mark: ``exit-when|<param>|<true/false>|<position or -1>|<end line>|<default>``
EXIT = "exit-when"
#: a function mark: ``params|<positional parameter names, in order>`` (for functions that
#: pass a parameter on: a positional argument of their callers is then known by name)
PARAMS = "params"
#: a call note: the call passes ``*args`` / ``**kwargs`` (its callee's switches are unknown)
STARRED = "passes-starred"

Bound = FrozenSet[Tuple[str, bool]]  # parameter -> its truth value, where known


# --------------------------------------------------------------------------- summary time
def exit_marks(node: Any, is_method: bool) -> FrozenSet[str]:
    """The early exits of ``node`` (an ``ast`` def) on a plain test of a parameter."""
    args = getattr(node, "args", None)
    if args is None:
        return frozenset()
    positional = [*args.posonlyargs, *args.args]
    defaults: Dict[str, ast.AST] = {}
    for param, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
        defaults[param.arg] = default
    for param, kw_default in zip(args.kwonlyargs, args.kw_defaults):
        if kw_default is not None:
            defaults[param.arg] = kw_default
    offset = 1 if is_method else 0  # a bound call does not pass `self` / `cls`
    position = {p.arg: i - offset for i, p in enumerate(positional) if i >= offset}
    params = set(position) | {p.arg for p in args.kwonlyargs}
    if not params:
        return frozenset()
    rebound: Optional[Set[str]] = None
    out: Set[str] = set()
    if any(p in params for p in _passed_on(node)):
        # it passes a parameter on (`g(disabled=disabled)`): a positional argument of its
        # own callers must be known by name
        names = [p.arg for i, p in enumerate(positional) if i >= offset]
        out.add("|".join((PARAMS, ",".join(names))))
    for stmt in node.body:
        if not isinstance(stmt, ast.If) or not stmt.body or not isinstance(stmt.body[-1], (ast.Return, ast.Raise)):
            continue
        test, when = stmt.test, True
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, when = test.operand, False
        if not isinstance(test, ast.Name) or test.id not in params:
            continue
        if rebound is None:
            rebound = _rebound(node)
        if test.id in rebound:
            continue
        default = _literal_text(defaults[test.id]) if test.id in defaults else ""
        end = getattr(stmt, "end_lineno", None) or stmt.lineno
        out.add("|".join((EXIT, test.id, "true" if when else "false", str(position.get(test.id, -1)), str(end), default)))
    return frozenset(out)


def _passed_on(node: Any) -> Set[str]:
    """Names passed as arguments of calls in the function's own body."""
    out: Set[str] = set()
    stack = list(node.body)
    while stack:
        cur = stack.pop()
        if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(cur, ast.Call):
            out.update(a.id for a in cur.args if isinstance(a, ast.Name))
            out.update(k.value.id for k in cur.keywords if isinstance(k.value, ast.Name))
        stack.extend(ast.iter_child_nodes(cur))
    return out


def starred(node: ast.Call) -> bool:
    return any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords)


def _rebound(node: Any) -> Set[str]:
    out: Set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            out.add(sub.id)
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            out.update(sub.names)
    return out


def _literal_text(node: ast.AST) -> str:
    """The source of a constant default (as :func:`fftlint.facts.summary.call_args` spells
    arguments), else "" (unknown)."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (bool, int, float, str))):
        return repr(node.value)
    return ""


def truth(text: Optional[str]) -> Optional[bool]:
    """The truth value of an argument's literal text, None when it is not a constant."""
    if text is None or text == "":
        return None
    if text in ("True", "False", "None"):
        return text == "True"
    if text[:1] in ("'", '"'):
        try:
            return bool(ast.literal_eval(text))
        except (ValueError, SyntaxError):
            return None
    try:
        return bool(float(text))
    except ValueError:
        return None


# --------------------------------------------------------------------------- search time
class Exit:
    __slots__ = ("param", "when", "position", "end", "default")

    def __init__(self, mark: str) -> None:
        _, self.param, when, position, end, self.default = mark.split("|", 5)
        self.when = when == "true"
        self.position = int(position)
        self.end = int(end)


def exits_of(fn: "FunctionFacts") -> List[Exit]:
    return [Exit(m) for m in fn.marks if m.startswith(EXIT + "|")]


def params_of(fn: "FunctionFacts") -> List[str]:
    """The positional parameter names of a function that passes one on (else [])."""
    for mark in fn.marks:
        if mark.startswith(PARAMS + "|"):
            text = mark.split("|", 1)[1]
            return text.split(",") if text else []
    return []


def bind(
    exits: List[Exit],
    positional: Tuple[Optional[str], ...],
    keywords: Mapping[str, Optional[str]],
    is_starred: bool,
    caller: Mapping[str, bool],
    order: Sequence[str] = (),
) -> Bound:
    """What a call tells of its callee's switch parameters: a literal argument, a known
    parameter of the caller passed on, or the default when the argument is not passed."""
    out: Dict[str, bool] = {}
    named = dict(keywords)
    for i, name in enumerate(order):
        if i < len(positional) and name not in named:
            named[name] = positional[i]
    for name, text in named.items():
        # every keyword passed a known value: the callee may pass it on (`disabled=disabled`)
        value = truth(text)
        if value is None and text and text in caller:
            value = caller[text]
        if value is not None:
            out[name] = value
    for ex in exits:
        if ex.param in keywords:
            text: Optional[str] = keywords[ex.param]
        elif 0 <= ex.position < len(positional):
            text = positional[ex.position]
        elif is_starred:
            continue  # `f(*args, **kw)` may pass it
        else:
            text = ex.default
        value = truth(text)
        if value is None and text and text in caller:
            value = caller[text]  # `g(disabled=disabled)`: the caller's own switch, passed on
        if value is not None:
            out[ex.param] = value
    return frozenset(out.items())


def cutoff(fn: "FunctionFacts", bound: Bound) -> Optional[int]:
    """The line after which nothing of ``fn`` runs, given ``bound``; None: all of it may."""
    known = dict(bound)
    lines = [ex.end for ex in exits_of(fn) if ex.param in known and known[ex.param] == ex.when]
    return min(lines) if lines else None


class _Switches:
    """The :class:`fftlint.facts.project.ChainCarry` of FFT309's search: the state is the
    :data:`Bound` of a function's switch parameters."""

    def last_line(self, fn: "FunctionFacts", state: Bound) -> Optional[int]:
        return cutoff(fn, state)

    def into(self, caller: "FunctionFacts", state: Bound, call: "CallFacts", target: "FunctionFacts") -> Bound:
        if call.attribute:
            return frozenset()  # a property read passes nothing
        return bind(exits_of(target), call.args[0], call.args[1], STARRED in call.notes, dict(state), params_of(target))


def explain(project: "ProjectFacts", start: "FunctionFacts", provider_name: str, bound: Bound) -> Optional[Chain]:
    """The shortest chain from calling ``start`` (with ``bound`` known of its switch
    parameters) to an effect of ``provider_name``, not going past an exit that holds."""
    return project.search(start, provider_name, bound, _Switches())
