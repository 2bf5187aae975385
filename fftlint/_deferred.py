"""LibCST, imported when it is first used rather than when fftlint starts.

Importing ``libcst`` costs about 0.15 s (it builds some 260 node dataclasses), a third of
a pre-commit run on one changed file. Most files never reach LibCST: the ``ast``
pre-filters rule every selected rule out (:mod:`fftlint.engine.prefilter`). So
:func:`defer` puts a stand-in module for ``libcst`` into ``sys.modules`` that runs the real
package's ``__init__`` in place on the first attribute anyone reads from it (``cst.Name``,
``import libcst.metadata``, unpickling a node). After that it *is* the real module: same
object, same classes, ``isinstance`` and identity hold, and nothing is proxied any more.

What keeps it deferred is that fftlint and its rules touch ``libcst`` only inside
functions, never at import time (module constants built from node classes are made on
first use; ``tests/test_deferred_libcst.py`` checks that a run which parses nothing with
LibCST never loads it). A plugin that uses ``libcst`` at import time only loads it early.
If ``libcst`` is already imported, or cannot be found, nothing is changed.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from typing import Any, Optional

_LOCK = threading.RLock()
_LOADING: set = set()  # thread ids running the real ``__init__`` right now


class _Deferred(types.ModuleType):
    """A module whose namespace is filled by its real loader on first attribute access."""

    def __getattr__(self, name: str) -> Any:  # only for names not (yet) in the namespace
        with _LOCK:
            if type(self) is _Deferred and threading.get_ident() not in _LOADING:
                _load(self)
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None


def _load(module: _Deferred) -> None:
    spec = module.__spec__
    _LOADING.add(threading.get_ident())
    try:
        module.__path__ = module.__dict__.pop("_deferred_path")
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        module.__class__ = types.ModuleType
    except BaseException:
        # leave it as a plain import would: not importable, the error raised to the reader
        sys.modules.pop(module.__name__, None)
        raise
    finally:
        _LOADING.discard(threading.get_ident())


def defer(name: str = "libcst") -> Optional[types.ModuleType]:
    """Put a deferred stand-in for package ``name`` into ``sys.modules`` (see the module doc)."""
    if name in sys.modules:
        return None
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
        return None
    module = importlib.util.module_from_spec(spec)
    # without ``__path__`` an ``import libcst.metadata`` reads it through __getattr__, which
    # runs the package's own ``__init__`` first, as a normal import would
    path = module.__dict__.pop("__path__", None)
    if path is None:
        return None
    module.__dict__["_deferred_path"] = path
    module.__class__ = _Deferred
    sys.modules[name] = module
    return module
