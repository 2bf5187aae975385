"""What a declared per-row reader (a changelist column, a choice label) reads of a row:
the relations a method of a model or of the declaring class reads of its row parameter,
also through the model's own members (two levels). Shared by the rules that compare such
a reader with the queryset that feeds it."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Tuple

from fftlint.analysis.orm import PREFETCH_RELATED, SELECT_RELATED, Model
from fftlint.facts.bindings import own_nodes as _own_nodes

from ._querysets import catalog
from ._serializers import Read, _class_node, attribute_chains
from .lazy_relation_in_loop import _NOT_FOLLOWED

_MAX_DEPTH = 2


class RowReader:
    """Mixin of a rule with ``self.ctx`` and ``self.qa`` (a ``QueryLoopTracker``)."""

    def _facts_class(self, qualname: str) -> Optional[ast.ClassDef]:
        from fftlint.facts.project import found_module

        own = getattr(self.ctx.names, "facts", None)
        if own is not None and own.module and qualname.startswith(own.module + ".") and "." not in qualname[len(own.module) + 1:]:
            found = _class_node(own, qualname)
            if found is not None:
                return found
        project = self.ctx.project
        if project is None or not hasattr(project, "module_facts"):
            return None
        module = found_module(qualname, project.modules)
        facts = project.module_facts(module) if module else None
        return _class_node(facts, qualname) if facts is not None else None

    def _method(self, cls: Optional[ast.ClassDef], name: str) -> Optional[ast.FunctionDef]:
        if cls is None:
            return None
        return next((s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == name), None)

    def _member(self, model: Model, name: str, depth: int) -> List[Read]:
        """What ``model``'s method or property ``name`` reads of ``self``."""
        memo: Dict[Tuple[str, str, int], List[Read]] = self.__dict__.setdefault("_member_memo", {})
        key = (model.qualname, name, depth)
        if key not in memo:
            memo[key] = []
            fn = self._method(self._facts_class(model.qualname), name)
            memo[key] = self._reads(fn, 0, model, depth) if fn is not None else []
        return memo[key]

    def _reads(self, fn: ast.FunctionDef, arg: int, model: Model, depth: int) -> List[Read]:
        """The relations ``fn`` reads of its ``arg``-th parameter, a row of ``model``."""
        if len(fn.args.args) <= arg:
            return []
        obj = fn.args.args[arg].arg
        index = self.qa.index
        cached = set(catalog()["django"]["prefetch_cached"])
        instance = set(catalog()["django"]["instance"])
        out: List[Read] = []
        nodes = list(_own_nodes(fn))
        # ``x.all().order_by(...)``: the method called on the result of a call of ``x.all``
        then: Dict[int, str] = {
            id(n.value.func): n.attr for n in nodes if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Call)
        }
        for outer, chain in attribute_chains(nodes, obj):
            if not isinstance(outer.ctx, ast.Load):
                continue
            current: Optional[Model] = model
            path: List[str] = []
            for k, attr in enumerate(chain):
                rel = index.relation(current, attr.attr) if current is not None else None
                text = f"{obj}.{'.'.join(a.attr for a in chain[:k + 1])}"
                if rel is None:
                    name = attr.attr
                    if current is not None and depth < _MAX_DEPTH and not name.startswith("__") and name not in _NOT_FOLLOWED and name not in instance:
                        prefix = "__".join(path)
                        for read in self._member(current, name, depth + 1):
                            out.append(Read(read.field, f"{prefix}__{read.path}" if prefix else read.path, read.loader, f"`{text}` reads `{read.how}`"))
                    break
                if rel.loader not in (SELECT_RELATED, PREFETCH_RELATED):
                    break
                path.append(rel.name)
                if rel.kind == "gfk":
                    out.append(Read(obj, "__".join(path), PREFETCH_RELATED, text))
                    break
                if rel.many:
                    nxt = chain[k + 1].attr if k + 1 < len(chain) else None
                    after = chain[k + 2].attr if k + 2 < len(chain) else then.get(id(chain[k + 1])) if k + 1 < len(chain) else None
                    if nxt in cached and after in (None, "count", "exists"):
                        # ``.all().order_by(...)`` / ``.all().filter(...)`` query past a prefetch
                        out.append(Read(obj, "__".join(path), PREFETCH_RELATED, f"{text}.{nxt}()"))
                    elif nxt is not None:
                        shown = f"{text}.{nxt}().{after}(...)" if nxt in cached else f"{text}.{nxt}(...)"
                        out.append(Read(obj, "__".join(path), "query", shown))
                    break
                out.append(Read(obj, "__".join(path), SELECT_RELATED, text))
                current = index.models.get(rel.target or "")
        return out

