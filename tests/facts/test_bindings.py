"""The binding map on ``ast``: what a name may hold before a statement."""

from __future__ import annotations

import pytest

from fftlint.facts.values import render

from .helpers import at_end, facts


def test_annotations_unions_optional_and_strings():
    code = """
        from __future__ import annotations
        from pathlib import Path
        from typing import Optional, Union, TextIO, List
        import io, httpx
        def f(a: Path | None, b: Optional[Path], c: "Union[Path, None]", d: TextIO,
              e: io.TextIOWrapper, g: httpx.Client | None = None, h: List[Path] = (), k: "httpx.Client" = None):
            return 1
    """
    assert at_end(code, "f", "a") == ["None", "pathlib.Path()"]
    assert at_end(code, "f", "b") == ["None", "pathlib.Path()"]
    assert at_end(code, "f", "c") == ["None", "pathlib.Path()"]
    assert at_end(code, "f", "d") == ["typing.TextIO()"]
    assert at_end(code, "f", "e") == ["io.TextIOWrapper()"]
    assert at_end(code, "f", "g") == ["None", "httpx.Client()"]
    assert "[pathlib.Path()]" in at_end(code, "f", "h")
    assert at_end(code, "f", "k") == ["None", "httpx.Client()"]


def test_annotations_that_say_nothing_stay_unknown():
    code = "from typing import Any\ndef f(a: Any, b: object, c, d: 'not valid python(', e: int = 3):\n    return 1\n"
    assert at_end(code, "f", "a") == ["?"]
    assert at_end(code, "f", "b") == ["?"]
    assert at_end(code, "f", "c") == ["?"]
    assert at_end(code, "f", "d") == ["?"]


def test_unpacking_with_and_loops():
    code = """
        from pathlib import Path
        def f(paths: list[Path], pairs: "dict"):
            a, b = Path("x"), Path("y")
            (c, d), e = (Path("1"), 2), open("z")
            with open("p") as fh, Path("q").open() as fq:
                pass
            for p in paths:
                pass
            for i, q in enumerate(paths):
                pass
            first, *rest = paths
            return a
    """
    assert at_end(code, "f", "a") == ["pathlib.Path()"]
    assert at_end(code, "f", "b") == ["pathlib.Path()"]
    assert at_end(code, "f", "c") == ["pathlib.Path()"]
    assert at_end(code, "f", "e") == ["open()"]
    assert at_end(code, "f", "fh") == ["open()[enter]"]
    assert at_end(code, "f", "fq") == ["pathlib.Path().open()[enter]"]
    assert "pathlib.Path()" in at_end(code, "f", "p")
    assert at_end(code, "f", "q") == ["pathlib.Path()"]
    assert at_end(code, "f", "i") == ["int()"]
    assert at_end(code, "f", "first") == ["pathlib.Path()"]


def test_branches_merge_and_rebinding_replaces():
    code = """
        import httpx
        from pathlib import Path
        def f(p, client=None, flag=False):
            p = Path(p)
            if client is None:
                client = httpx.Client()
            if flag:
                other = httpx.AsyncClient()
            else:
                other = httpx.Client()
            return p
    """
    assert at_end(code, "f", "p") == ["pathlib.Path()"]
    assert "httpx.Client()" in at_end(code, "f", "client")
    assert at_end(code, "f", "other") == ["httpx.AsyncClient()", "httpx.Client()"]


def test_a_return_ends_a_path_and_loops_carry_values_around():
    code = """
        from pathlib import Path
        def f(x):
            if x:
                y = 1
                return y
            y = Path(x)
            for _ in range(3):
                z = y
                y = Path("n")
            return z
    """
    assert at_end(code, "f", "y") == ["pathlib.Path()"]
    assert at_end(code, "f", "z") == ["pathlib.Path()"]


def test_import_fallbacks_type_checking_and_module_names():
    code = """
        from typing import TYPE_CHECKING
        try:
            import ujson as json
        except ImportError:
            import json
        try:
            import numpy as np
        except ImportError:
            np = None
        if TYPE_CHECKING:
            from httpx import Client
        def f(c: "Client"):
            return c
    """
    f = facts(code)
    assert sorted(f.global_values("json")) == ["json"]
    assert sorted(map(render, f.global_values("np"))) == ["None", "numpy"]
    assert at_end(code, "f", "c") == ["httpx.Client()"]


def test_locals_shadow_imports_and_class_scope_is_invisible_to_methods():
    code = """
        import time
        class A:
            time = None
            def m(self, sleep=None):
                return time
        def g(time):
            return time
    """
    assert at_end(code, "A.m", "time") == ["time"]
    assert at_end(code, "g", "time") == ["?"]


def test_self_cls_class_attributes_and_dataclass_fields():
    code = """
        import httpx, requests
        from dataclasses import dataclass, field
        class Svc:
            client: httpx.Client | None = None
            def __init__(self):
                self.session = None
                self.base = requests.Session()
            def connect(self):
                self.session = requests.Session()
            @classmethod
            def make(cls):
                return cls()
        @dataclass
        class Job:
            http: httpx.Client = field(default_factory=httpx.Client)
            name: str = "x"
    """
    f = facts(code)
    attrs = f.class_attributes(f.scopes["Svc"])
    assert sorted(map(render, attrs["client"])) == ["None", "httpx.Client()"]
    assert sorted(map(render, attrs["session"])) == ["None", "requests.Session()"]
    assert sorted(map(render, attrs["base"])) == ["requests.Session()"]
    assert at_end(code, "Svc.connect", "self") == ["pkg.mod.Svc()"]
    assert at_end(code, "Svc.make", "cls") == ["pkg.mod.Svc"]
    job = f.class_attributes(f.scopes["Job"])
    assert sorted(map(render, job["http"])) == ["httpx.Client()"]


def test_returns_annotation_first_then_return_statements():
    code = """
        from pathlib import Path
        def a() -> Path:
            return make()
        def b(x):
            if x:
                return Path(x)
            return None
        def c():
            yield Path("x")
        async def d() -> "Path":
            return Path()
        def e():
            pass
    """
    f = facts(code)
    assert sorted(map(render, f.returns(f.scopes["a"]))) == ["pathlib.Path()"]
    assert sorted(map(render, f.returns(f.scopes["b"]))) == ["None", "pathlib.Path()"]
    assert sorted(map(render, f.returns(f.scopes["c"]))) == ["[pathlib.Path()]"]
    assert sorted(map(render, f.returns(f.scopes["d"]))) == ["pathlib.Path()"]
    assert sorted(map(render, f.returns(f.scopes["e"]))) == ["None"]


def test_closures_globals_walrus_and_except_names():
    code = """
        import requests
        session = None
        def setup():
            global session
            session = requests.Session()
        def outer():
            client = requests.Session()
            def inner():
                return client
            if (n := requests.Session()):
                pass
            try:
                pass
            except Exception as exc:
                pass
            return n
    """
    f = facts(code)
    assert sorted(map(render, f.global_values("session"))) == ["None", "requests.Session()"]
    assert at_end(code, "outer.<locals>.inner", "client") == ["requests.Session()"]
    assert at_end(code, "outer", "n") == ["requests.Session()"]
    assert at_end(code, "outer", "exc") == ["?"]


def test_comprehensions_bind_their_targets_from_the_items():
    code = """
        from pathlib import Path
        def f(paths: list[Path]):
            names = [p for p in paths]
            first = names[0]
            return first
    """
    assert at_end(code, "f", "first") == ["pathlib.Path()"]


@pytest.mark.skipif(not hasattr(__import__("ast"), "Match"), reason="match statements need Python 3.10+")
def test_match_captures():
    code = """
        from pathlib import Path
        def f(x):
            match x:
                case Path() as p:
                    y = p
                case other:
                    y = None
            return y
    """
    assert "pathlib.Path()" in at_end(code, "f", "y")


def test_redefinitions_keep_every_scope_and_numbering_is_in_source_order():
    code = "def f():\n    a = 1\ndef f():\n    b = 2\nclass C:\n    def m(self):\n        pass\nx = 1; y = 2\n"
    f = facts(code)
    assert set(f.scopes) >= {"", "f", "f#2", "C", "C.m"}
    kinds = [f.statement_kind(i) for i in range(len(f.statements))]
    assert kinds == ["FunctionDef", "Assign", "FunctionDef", "Assign", "ClassDef", "FunctionDef", "Pass", "Assign", "Assign"]


def test_large_scopes_fall_back_to_the_last_assignment_before_the_use():
    lines = [f"v{i} = {i}" for i in range(600)] + ["from pathlib import Path", "p = Path('x')", "q = p"]
    f = facts("\n".join(lines) + "\n")
    ordinal = f.scopes[""].ordinals[-1]
    assert sorted(map(render, f.lookup("p", ordinal))) == ["pathlib.Path()"]


def test_mapping_annotations_know_their_values_and_keys():
    code = """
        from pathlib import Path
        from typing import Dict, Mapping, Optional
        import httpx
        def f(roots: dict[str, Path], clients: "Mapping[str, httpx.Client]",
              by_id: Optional[Dict[int, Path]] = None, plain: dict = None):
            one = roots["media"]
            got = roots.get("media")
            vals = list(roots.values())
            for name, client in clients.items():
                pass
            for key in roots:
                pass
            for v in roots.values():
                pass
            popped = by_id.pop(1)
            other = plain["x"]
            copied = roots.copy()["x"]
            return one
    """
    assert at_end(code, "f", "one") == ["pathlib.Path()"]
    assert at_end(code, "f", "got") == ["None", "pathlib.Path()"]
    assert at_end(code, "f", "vals") == ["[pathlib.Path()]"]
    assert at_end(code, "f", "client") == ["httpx.Client()"]
    assert at_end(code, "f", "name") == ["str()"]
    assert at_end(code, "f", "key") == ["str()"]
    assert at_end(code, "f", "v") == ["pathlib.Path()"]
    assert at_end(code, "f", "popped") == ["pathlib.Path()"]
    # a bare ``dict`` says nothing about its values; an unknown method stays unknown
    assert "pathlib.Path()" not in at_end(code, "f", "other")
    assert "pathlib.Path()" not in at_end(code, "f", "copied")


def test_a_dependency_marker_default_is_not_the_parameters_value():
    # FastAPI replaces ``Depends(...)`` / ``Security(...)`` defaults with what the
    # dependency returns: the annotation alone says what the parameter holds.
    code = """
        from fastapi import Depends, Security
        import fastapi
        from sqlalchemy.orm import Session
        def get_db():
            pass
        def f(db: Session = Depends(get_db), s: Session = fastapi.Security(get_db), u = Depends(get_db), n: Session = None):
            return 1
    """
    assert at_end(code, "f", "db") == ["sqlalchemy.orm.Session()"]
    assert at_end(code, "f", "s") == ["sqlalchemy.orm.Session()"]
    assert at_end(code, "f", "u") == ["?"]  # no annotation: unknown, not the marker
    assert at_end(code, "f", "n") == ["None", "sqlalchemy.orm.Session()"]
