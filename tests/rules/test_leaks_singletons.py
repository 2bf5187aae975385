"""FFT303 and process singletons: a cached method of a class the project makes once.

The instances fact (``rules/leaks/instances.py``) is read on multi-file projects: where
each class with a memoized method is instantiated, through subclasses and other modules;
what makes the answer "unknown" (the class passed around, named in an import path,
aliased, made by its own ``cls()``, made in an unparsable file); and the result cache
follows a new instantiation in another file."""

from __future__ import annotations

import os

from fftlint.cache import Cache
from fftlint.testing import python_files, lint_tree, write_tree as write
from rules.leaks.instances import singletons

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "leaks", "stores")

REGISTRY = """
    from functools import lru_cache

    class Registry:
        @lru_cache(maxsize=100)
        def store_for(self, uri):
            return uri
"""


def names(found):
    return sorted(cls for _, cls in found)


def findings(root, cache=None):
    return sorted((path, d.span.line) for path, d in lint_tree(root, ["FFT303"], cache=cache))


def test_fixture_singletons_are_the_module_level_lazy_global_and_memoized_ones():
    found = singletons(python_files(os.path.normpath(FIXTURE)))
    assert names(found) == ["ModelStoreRegistry", "PluginCatalog", "TrackingStoreRegistry", "WorkspaceRegistry"]
    assert {os.path.basename(p) for p, _ in found} == {"registry.py"}


def test_module_level_instance_in_another_module_is_a_singleton(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/registry.py": REGISTRY, "app/service.py": "from .registry import Registry\n_r = Registry()\n"})
    assert names(singletons(python_files(str(tmp_path)))) == ["Registry"]
    assert findings(tmp_path) == []


def test_an_instance_per_call_keeps_reporting(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/registry.py": REGISTRY,
        "app/service.py": "from .registry import Registry\n_r = Registry()\ndef handle(request):\n    return Registry().store_for(request.uri)\n",
    })
    assert singletons(python_files(str(tmp_path))) == frozenset()
    assert findings(tmp_path) == [("app/registry.py", 5)]


def test_never_instantiated_in_the_project_is_unknown(tmp_path):
    write(tmp_path, {"lib/__init__.py": "", "lib/registry.py": REGISTRY})
    assert singletons(python_files(str(tmp_path))) == frozenset()
    assert findings(tmp_path) == [("lib/registry.py", 5)]


def test_what_makes_it_unknown(tmp_path):
    cases = {
        "import path": "from .registry import Registry\n_r = Registry()\nSTORE_CLASS = 'app.registry.Registry'\n",
        "aliased import": "from .registry import Registry as R\n_r = R()\n",
        "handed around": "from .registry import Registry\n_r = Registry()\nFACTORIES = [Registry]\n",
        "nested function": "from .registry import Registry\ndef outer():\n    global _r\n    def inner():\n        return Registry()\n    return inner\n",
        "local guard": "from .registry import Registry\ndef get():\n    r = None\n    if r is None:\n        r = Registry()\n    return r\n",
        "memoized method": "import functools\nfrom .registry import Registry\nclass Holder:\n    @functools.cache\n    def registry(self):\n        return Registry()\n",
        "subclass per call": "from .registry import Registry\n_r = Registry()\nclass Mine(Registry):\n    pass\ndef make():\n    return Mine()\n",
        "syntax error": "from .registry import Registry\n_r = Registry(\n",
    }
    for label, service in cases.items():
        root = tmp_path / label.replace(" ", "_")
        write(root, {"app/__init__.py": "", "app/registry.py": REGISTRY, "app/service.py": service})
        assert singletons(python_files(str(root))) == frozenset(), label


def test_made_by_its_own_classmethod_is_unknown(tmp_path):
    registry = REGISTRY + "\n        @classmethod\n        def fresh(cls):\n            return cls()\n"
    write(tmp_path, {"app/__init__.py": "", "app/registry.py": registry, "app/service.py": "from .registry import Registry\n_r = Registry()\n"})
    assert singletons(python_files(str(tmp_path))) == frozenset()


def test_once_guards_and_memoized_factories(tmp_path):
    cases = {
        "not-guard": "from .registry import Registry\n_r = None\ndef get():\n    global _r\n    if not _r:\n        _r = Registry()\n    return _r\n",
        "early return": "from .registry import Registry\n_r = None\ndef get():\n    global _r\n    if _r is not None:\n        return _r\n    _r = Registry()\n    return _r\n",
        "lru_cache factory": "import functools\nfrom .registry import Registry\n@functools.lru_cache(maxsize=None)\ndef get():\n    return Registry()\n",
        "class body": "from .registry import Registry\nclass Config:\n    registry = Registry()\n",
        "main block": "from .registry import Registry\nif __name__ == '__main__':\n    Registry().store_for('x')\n",
    }
    for label, service in cases.items():
        root = tmp_path / label.replace(" ", "_")
        write(root, {"app/__init__.py": "", "app/registry.py": REGISTRY, "app/service.py": service})
        assert names(singletons(python_files(str(root)))) == ["Registry"], label


def test_the_result_cache_follows_a_new_instantiation_elsewhere(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/registry.py": REGISTRY, "app/service.py": "from .registry import Registry\n_r = Registry()\n"})
    cache = Cache(str(tmp_path / ".cache"))
    assert findings(tmp_path, cache) == []
    assert findings(tmp_path, cache) == []  # served from the cache
    write(tmp_path, {"app/views.py": "from .registry import Registry\ndef view(request):\n    return Registry().store_for(request.uri)\n"})
    assert findings(tmp_path, cache) == [("app/registry.py", 5)]


def test_the_fact_is_cached_per_file(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/registry.py": REGISTRY, "app/service.py": "from .registry import Registry\n_r = Registry()\n"})
    cache = Cache(str(tmp_path / ".cache"))
    files = python_files(str(tmp_path / "app"))
    first = singletons(files, cache)
    assert os.listdir(tmp_path / ".cache")  # per-file entries were written
    assert singletons(files, cache) == first == singletons(files)
