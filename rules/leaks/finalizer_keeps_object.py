"""FFT308: ``weakref.finalize`` / ``weakref.ref`` whose callback holds the very object it watches."""

from __future__ import annotations

import ast
from typing import Any, List, Optional

import libcst as cst

from fftlint.analysis.names import ast_dotted, dotted
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule

from ._common import called_or_aliased, leak_facts, may_resolve, reachable, split_name, walk_nodes

WATCHERS = ("weakref.finalize", "weakref.ref")


class FinalizerKeepsObject(Rule):
    """## What it does
    Checks for `weakref.finalize(obj, callback, *args)` and `weakref.ref(obj, callback)`
    in a function or method where the callback or its arguments hold `obj` itself: a bound
    method of it (`weakref.finalize(self, self.close)`), a lambda or nested function that
    uses it, `functools.partial(...)` over it, or `obj` among the arguments.

    Not reported: module-level code (its objects live until exit anyway), a class or static
    method of the object's class (`self._finalize` with `@classmethod`), callbacks that
    hold only parts of the object (`weakref.finalize(self, self._conn.close)`: the
    connection, not `self`), and callbacks whose contents cannot be seen (a function of
    another module: unknown stays silent).

    ## Why is this bad?
    The finalizer registry holds the callback and its arguments strongly until `obj` dies,
    and `obj` cannot die while the callback refers to it. The object is never collected:
    the finalizer runs only at interpreter exit, and every instance leaks with everything it
    refers to (buffers, sockets, caches). The `weakref` documentation warns: "It is important
    to ensure that func, args and kwargs do not own any references to obj".

    ## Example
    ```python
    import weakref

    class TempDir:
        def __init__(self, path):
            self.path = path
            weakref.finalize(self, self.cleanup)

        def cleanup(self):
            shutil.rmtree(self.path)
    ```

    ## Use instead
    Give the finalizer what it needs, not the object:
    ```python
    import shutil, weakref

    class TempDir:
        def __init__(self, path):
            self.path = path
            self._finalizer = weakref.finalize(self, shutil.rmtree, path)
    ```

    ## Fix safety
    No fix: which parts of the object the clean-up needs is the program's to say.
    """

    code = "FFT308"
    contexts = PRODUCTION_ONLY  # tests and scripts are short-lived: nothing piles up
    name = "finalizer-keeps-object"
    message = "`{call}` watches `{obj}` with a callback that holds `{obj}`: it is never collected, the callback runs only at exit, and each object leaks with all it refers to"
    # `finalize`, or `ref` called or imported under another name
    requires = ("finalize", *called_or_aliased("ref"))

    VALID = [
        "import shutil, weakref\nclass T:\n    def __init__(self, path):\n        self._f = weakref.finalize(self, shutil.rmtree, path)\n",
        "import shutil, weakref\nclass T:\n    def __init__(self):\n        self._f = weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)\n",
        "import weakref\nclass T:\n    def __init__(self, conn):\n        self._conn = conn\n        weakref.finalize(self, self._conn.close)\n",
        "import weakref\nclass T:\n    def __init__(self, registry):\n        self._ref = weakref.ref(self, registry.discard)\n",
        "import weakref\ncache = Cache()\nweakref.finalize(cache, cache.flush)\n",
        "import weakref\ndef watch(obj, log):\n    return weakref.finalize(obj, log.info, 'gone')\n",
        # a classmethod gets the class, not the instance
        "import weakref\nclass W:\n    def __init__(self, path):\n        self._f = weakref.finalize(self, self._finalize, path)\n    @classmethod\n    def _finalize(cls, path):\n        pass\n",
    ]
    INVALID = [
        Invalid(
            "import weakref\nclass TempDir:\n    def __init__(self, path):\n        self.path = path\n        weakref.finalize(self, self.cleanup)\n    def cleanup(self):\n        pass\n",
            line=5,
            message_contains="watches `self`",
        ),
        Invalid("import weakref\ndef track(conn):\n    weakref.finalize(conn, lambda: conn.close())\n"),
        Invalid("import weakref, functools\nclass C:\n    def __init__(self):\n        weakref.finalize(self, functools.partial(release, self))\n"),
        Invalid("import weakref\nclass C:\n    def __init__(self):\n        weakref.finalize(self, release, self)\n"),
        Invalid("import weakref\nclass C:\n    def __init__(self):\n        def gone(_):\n            self.log('gone')\n        self._ref = weakref.ref(self, gone)\n"),
        Invalid("from weakref import finalize\nclass C:\n    def open(self):\n        self._fin = finalize(self.handle, self.handle.close)\n", message_contains="`self.handle`"),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Stage 2 of the pre-filter: a call with two positional arguments or more whose
        callee can resolve to ``weakref.finalize`` / ``weakref.ref``, inside a ``def``, with
        a callback that can hold the object (a method of the same expression, a lambda, a
        call, a nested def) or the object (or a lambda or call) among the arguments."""
        facts = leak_facts(view)
        targets = reachable([split_name(w) for w in WATCHERS], facts)
        if not targets:
            return False
        for call in view.nodes(ast.Call):
            if len(call.args) < 2 or not any(may_resolve(call.func, t, facts) for t in targets):
                continue
            fn = facts.innermost_function(call)
            if fn is None:
                continue
            obj = ast_dotted(call.args[0])
            if obj is None:
                continue  # the rule needs a dotted object
            rest = [*call.args[2:], *(k.value for k in call.keywords)]
            if _ast_holds(call.args[1], obj, fn) or any(
                _ast_holds(a, obj, fn) for a in rest if not (isinstance(a, ast.Attribute) and ast_dotted(a.value) == obj)
            ):
                return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.names.resolve(node.func)
        if name not in WATCHERS:
            return
        func = self.ctx.stack.function
        if func is None:
            return
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        if len(positional) < 2:
            return
        obj = dotted(positional[0])
        if obj is None:
            return
        callback = positional[1]
        args: List[cst.BaseExpression] = []
        if name == "weakref.finalize":
            args = positional[2:] + [a.value for a in node.args if a.keyword is not None]
        # an argument `obj.path` is a value (a string); only `obj` itself, or a callable
        # that closes over it, holds the object
        if self._holds(callback, obj, func) or any(
            self._holds(a, obj, func) for a in args if not (isinstance(a, cst.Attribute) and dotted(a.value) == obj)
        ):
            self.report(node, call=(dotted(node.func) or name) + "(...)", obj=obj)

    def _holds(self, expr: cst.BaseExpression, obj: str, func: cst.CSTNode) -> bool:
        if dotted(expr) == obj:
            return True  # `obj` itself among the arguments
        if isinstance(expr, cst.Attribute) and dotted(expr.value) == obj:
            # a bound method of `obj`, unless it is a class or static method of this class
            return not (obj == "self" and self._binder(expr.attr.value))
        if isinstance(expr, cst.Lambda):
            return self._mentions(expr.body, obj)
        if isinstance(expr, cst.Call) and (self.ctx.names.resolve(expr.func) or "") == "functools.partial":
            return any(self._holds(a.value, obj, func) for a in expr.args)
        if isinstance(expr, cst.Name):
            nested = self._nested_def(func, expr.value)
            return nested is not None and self._mentions(nested.body, obj)
        return False

    def _binder(self, method: str) -> bool:
        """``method`` is a ``@classmethod`` / ``@staticmethod`` of the enclosing class."""
        for frame in reversed(self.ctx.stack.frames):
            if frame.kind == "class" and isinstance(frame.node, cst.ClassDef):
                for stmt in frame.node.body.body:
                    if isinstance(stmt, cst.FunctionDef) and stmt.name.value == method:
                        return any(
                            (dotted(d.decorator) or "").rsplit(".", 1)[-1] in ("classmethod", "staticmethod") for d in stmt.decorators
                        )
                return False
        return False

    @staticmethod
    def _mentions(node: cst.CSTNode, obj: str) -> bool:
        root = obj.split(".", 1)[0]
        for sub in [node, *walk_nodes(node)]:
            text = dotted(sub) if isinstance(sub, (cst.Name, cst.Attribute)) else None
            if text is not None and (text == obj or text.startswith(obj + ".")) and (root != obj or isinstance(sub, (cst.Name, cst.Attribute))):
                return True
        return False

    @staticmethod
    def _nested_def(func: cst.CSTNode, name: str) -> Optional[cst.FunctionDef]:
        body = getattr(func, "body", None)
        if body is None:
            return None
        for sub in walk_nodes(body, into_scopes=False):
            if isinstance(sub, cst.FunctionDef) and sub.name.value == name:
                return sub
        return None


def _ast_holds(expr: ast.AST, obj: str, fn: ast.AST) -> bool:
    """``_holds`` on the ``ast``, over-approximated: any call may be ``functools.partial``,
    any bound method of ``obj`` may be an instance method, any def of that name in the
    function may be the callback."""
    if ast_dotted(expr) == obj:
        return True
    if isinstance(expr, ast.Attribute):
        return ast_dotted(expr.value) == obj
    if isinstance(expr, ast.Lambda):
        return _ast_mentions(expr.body, obj)
    if isinstance(expr, ast.Call):
        return any(_ast_holds(a, obj, fn) for a in expr.args)
    if isinstance(expr, ast.Name):
        return any(
            isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef)) and d.name == expr.id and any(_ast_mentions(b, obj) for b in d.body)
            for d in ast.walk(fn)
        )
    return False


def _ast_mentions(node: ast.AST, obj: str) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Name, ast.Attribute)):
            text = ast_dotted(sub)
            if text is not None and (text == obj or text.startswith(obj + ".")):
                return True
    return False

