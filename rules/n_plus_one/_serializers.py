"""What a Django REST framework serializer reads of each row, read from its class with ``ast``.

For a serializer class of the project (a subclass of ``rest_framework.serializers``'
``Serializer`` / ``ModelSerializer``), :func:`serializer_reads` lists the relations of its
``Meta.model`` that serializing one row touches:

* a nested serializer field (``author = AuthorSerializer()``, ``many=True`` for a
  collection), followed into the nested serializer (two levels);
* a field with ``source="author.name"``; ``StringRelatedField`` / ``SlugRelatedField`` /
  ``HyperlinkedRelatedField`` / ``PrimaryKeyRelatedField(many=True)`` on a relation;
* a ``SerializerMethodField`` whose ``get_<name>(self, obj)`` reads ``obj.<relation>``
  (``obj.author.name``, ``obj.tags.all()`` / ``.count()``), or runs a query
  (``obj.books.filter(...)``, ``Model.objects...`` that run: no loader serves those);
* many-valued relations listed in ``Meta.fields`` (``"__all__"`` too), which a
  ``ModelSerializer`` renders as primary keys read from a query per row; with
  ``Meta.depth``, every relation it lists.

A forward foreign key rendered as its primary key needs no query and is not listed. What
cannot be read (computed field lists, ``to_representation`` overrides, fields set in
``__init__``) is left out: the rule stays silent about it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from fftlint.analysis.orm import PREFETCH_RELATED, SELECT_RELATED, Model, ModelIndex

DRF_SERIALIZERS = ("rest_framework.serializers.",)
_RELATED_FIELDS = frozenset(("StringRelatedField", "SlugRelatedField", "HyperlinkedRelatedField", "PrimaryKeyRelatedField", "RelatedField"))
_METHOD_FIELD = "SerializerMethodField"
_MAX_DEPTH = 2


@dataclass(frozen=True)
class Read:
    """One relation a serializer reads per row: ``path`` from the serialized model
    (``author__publisher``), loaded by ``loader`` (select_related / prefetch_related),
    or ``query`` when no loader serves it (a filtered related manager, a query)."""

    field: str  # the serializer field that reads it ("author", "review_count")
    path: str
    loader: str  # SELECT_RELATED | PREFETCH_RELATED | "query"
    how: str  # what it does, for messages


def _const(node: Optional[ast.AST]) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


def _kw(call: ast.Call, name: str) -> Optional[ast.AST]:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _class_node(facts: Any, qualname: str) -> Optional[ast.ClassDef]:
    prefix = f"{facts.module}." if facts.module else ""
    if not qualname.startswith(prefix):
        return None
    scope = facts.scopes.get(qualname[len(prefix):])
    return scope.node if scope is not None and scope.kind == "class" else None  # type: ignore[no-any-return]


class SerializerReader:
    """Reads serializer classes through the project (one instance per linted file)."""

    def __init__(self, project: Any, index: ModelIndex) -> None:
        self.project = project
        self.index = index
        self._memo: Dict[Tuple[str, int], Optional[Tuple[Optional[Model], List[Read]]]] = {}

    def is_serializer(self, qualname: str) -> bool:
        cls = self.project.class_facts(qualname)
        if cls is None:
            return False
        return any(isinstance(k, str) and k.startswith(DRF_SERIALIZERS) for k in self.project.mro(cls))

    def reads(self, qualname: str, depth: int = 0) -> Optional[Tuple[Optional[Model], List[Read]]]:
        """(the serializer's model, what it reads per row), or None when it is no project
        serializer we can read."""
        key = (qualname, depth)
        if key not in self._memo:
            self._memo[key] = None  # cycles
            self._memo[key] = self._reads(qualname, depth)
        return self._memo[key]

    def _reads(self, qualname: str, depth: int) -> Optional[Tuple[Optional[Model], List[Read]]]:
        from fftlint.facts.project import found_module

        project = self.project
        cls = project.class_facts(qualname)
        if cls is None or not self.is_serializer(qualname):
            return None
        module = found_module(qualname, project.modules)
        facts = project.module_facts(module) if module else None
        node = _class_node(facts, qualname) if facts is not None else None
        if node is None:
            return None
        meta = self._meta(node, facts)
        if meta is None:
            for base in project.mro(cls)[1:]:  # ``class Meta`` inherited from a project base
                if isinstance(base, str):
                    break
                found = self.reads(base.qualname, depth)
                if found is not None and found[0] is not None:
                    model, _ = found
                    meta = (model, None, 0)
                    break
        if meta is None:
            return None, []
        model, fields, meta_depth = meta
        if model is None:
            return None, []
        out: List[Read] = []
        declared = set()
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call):
                name = stmt.targets[0].id
                declared.add(name)
                out.extend(self._field(name, stmt.value, stmt, node, facts, model, depth, qualname))
        if any(isinstance(s, ast.FunctionDef) and s.name == "to_representation" for s in node.body):
            # ``def to_representation(self, instance)``: what it reads of ``instance`` is read
            # per row, as a method field's
            out.extend(self._method("to_representation", node, "to_representation", model, qualname))
        if fields is not None:
            listed = self._listed(model, fields)
            for name in listed:
                if name in declared:
                    continue
                rel = self.index.relation(model, name)
                if rel is None:
                    continue
                if meta_depth and rel.target:
                    out.append(Read(name, name, rel.loader, "nested by `Meta.depth`"))
                elif rel.many:
                    out.append(Read(name, name, PREFETCH_RELATED, "its primary keys"))
        return model, out

    def _meta(self, node: ast.ClassDef, facts: Any) -> Optional[Tuple[Optional[Model], Optional[List[str]], int]]:
        for stmt in node.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
                model: Optional[Model] = None
                fields: Optional[List[str]] = None
                depth = 0
                for item in stmt.body:
                    if not (isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name)):
                        continue
                    target = item.targets[0].id
                    if target == "model":
                        values = facts.values(item.value, facts.ordinal_of(item))
                        resolved = self.project.resolve(values)
                        names = [v for v in resolved if isinstance(v, str) and v not in ("?", "None")]
                        if len(names) == 1:
                            model = self.index.find(names[0])
                    elif target == "fields":
                        if _const(item.value) == "__all__":
                            fields = ["__all__"]
                        elif isinstance(item.value, (ast.List, ast.Tuple)) and all(isinstance(_const(e), str) for e in item.value.elts):
                            fields = [e.value for e in item.value.elts]  # type: ignore[attr-defined]
                    elif target == "depth" and isinstance(_const(item.value), int):
                        depth = int(_const(item.value))
                return model, fields, depth
        return None

    def _listed(self, model: Model, fields: Sequence[str]) -> List[str]:
        if list(fields) == ["__all__"]:
            return [f["name"] for f in self.index._effective_fields(model)]  # forward fields only
        return list(fields)

    def _field(self, name: str, call: ast.Call, stmt: ast.stmt, node: ast.ClassDef, facts: Any, model: Model, depth: int, owner: str) -> List[Read]:
        callee = self.project.resolve(facts.values(call.func, facts.ordinal_of(stmt)))
        callees = [v for v in callee if isinstance(v, str) and v not in ("?", "None")]
        if len(callees) != 1:
            return []
        target = callees[0]
        source = _const(_kw(call, "source"))
        many = _const(_kw(call, "many")) is True
        short = target.rsplit(".", 1)[-1]
        if short == _METHOD_FIELD and target.startswith(DRF_SERIALIZERS):
            method = _const(_kw(call, "method_name")) or _const(call.args[0] if call.args else None) or f"get_{name}"
            return self._method(name, node, str(method), model, owner)
        path, end = self._path(model, source if isinstance(source, str) else name)
        if target.startswith(DRF_SERIALIZERS):
            if short in _RELATED_FIELDS and path:
                rel = end
                if short == "PrimaryKeyRelatedField" and not many and rel is not None and not rel.many:
                    return []  # the foreign key column: no query
                return [Read(name, path, PREFETCH_RELATED if rel is not None and rel.many else SELECT_RELATED, f"`{short}`")]
            if isinstance(source, str) and path and "." in source:
                return [Read(name, path, PREFETCH_RELATED if end is not None and end.many else SELECT_RELATED, f"`source={source!r}`")]
            return []
        if depth >= _MAX_DEPTH or not path or end is None:
            return []
        nested = self.reads(target, depth + 1)
        if nested is None:
            return []
        out = [Read(name, path, PREFETCH_RELATED if end.many else SELECT_RELATED, f"nested `{target.rsplit('.', 1)[-1]}`")]
        for read in nested[1]:
            if read.loader == "query":
                out.append(Read(name, read.path, "query", read.how))
            else:
                loader = PREFETCH_RELATED if end.many or read.loader == PREFETCH_RELATED else SELECT_RELATED
                out.append(Read(name, f"{path}__{read.path}", loader, read.how))
        return out

    def _path(self, model: Model, dotted: str) -> Tuple[str, Any]:
        """``author.publisher.name`` -> ("author__publisher", the last relation)."""
        parts = dotted.split(".")
        path: List[str] = []
        current: Optional[Model] = model
        rel = None
        for part in parts:
            if current is None:
                break
            found = self.index.relation(current, part)
            if found is None:
                break
            rel = found
            path.append(part)
            current = self.index.models.get(found.target or "")
            if found.many:
                break
        return "__".join(path), rel

    def _method(self, field: str, node: ast.ClassDef, method: str, model: Model, owner: str) -> List[Read]:
        """What ``method`` (a ``SerializerMethodField``'s) reads of its row: relations it
        reads of the row parameter, and a query it runs otherwise (a queryset of another
        model, a project helper that queries), which the facts layer finds as FFT203 does."""
        fn = next((s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == method), None)
        if fn is None or len(fn.args.args) < 2:
            return []
        from .provider import member_query

        runs = member_query(self.project, f"{owner}.{method}", owner.rsplit(".", 1)[0])
        extra = [Read(field, "", "query", f"`{method}` runs `{runs.split(' -> ', 1)[-1]}`")] if runs is not None else []
        obj = fn.args.args[1].arg
        out: List[Read] = []
        cached = {"all", "count", "exists"}
        for _outer, chain in attribute_chains(ast.walk(fn), obj):
            current: Optional[Model] = model
            path: List[str] = []
            for k, attr in enumerate(chain):
                rel = self.index.relation(current, attr.attr) if current is not None else None
                if rel is None:
                    break
                path.append(rel.name)
                if rel.many:
                    nxt = chain[k + 1].attr if k + 1 < len(chain) else None
                    if nxt in cached:
                        out.append(Read(field, "__".join(path), PREFETCH_RELATED, f"`{method}` reads `{obj}.{'.'.join(a.attr for a in chain[:k + 2])}()`"))
                    elif nxt is not None:
                        out.append(Read(field, "__".join(path), "query", f"`{method}` runs `{obj}.{'.'.join(a.attr for a in chain[:k + 2])}(...)`"))
                    break
                out.append(Read(field, "__".join(path), rel.loader, f"`{method}` reads `{obj}.{'.'.join(a.attr for a in chain[:k + 1])}`"))
                current = self.index.models.get(rel.target or "")
        if not any(r.loader == "query" for r in out):
            out.extend(extra)
        return _dedupe(out)


def attribute_chains(nodes: Iterable[ast.AST], root: str) -> Iterator[Tuple[ast.Attribute, List[ast.Attribute]]]:
    """Each whole attribute chain on the name ``root`` among ``nodes`` (``obj.a.b``): its
    outermost node, and its links innermost first (``obj.a``, ``obj.a.b``)."""
    seen: Set[int] = set()
    for sub in nodes:
        if not isinstance(sub, ast.Attribute) or id(sub) in seen:
            continue
        chain: List[ast.Attribute] = []
        cur: ast.AST = sub
        while isinstance(cur, ast.Attribute):
            chain.append(cur)
            seen.add(id(cur))
            cur = cur.value
        if isinstance(cur, ast.Name) and cur.id == root:
            chain.reverse()
            yield sub, chain


def _dedupe(reads: List[Read]) -> List[Read]:
    out: Dict[Tuple[str, str], Read] = {}
    for read in reads:
        out.setdefault((read.path, read.loader), read)
    return list(out.values())
