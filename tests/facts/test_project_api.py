"""The public API rules use of :class:`fftlint.facts.project.ProjectFacts` (no private
members): the chain search with a carried state, a call's own effect, module facts,
summaries, classes, methods and recorded dependencies."""

from __future__ import annotations

from fftlint.facts.project import build
from fftlint.rules.async_io.provider import BlockingProvider
from fftlint.testing import lint_tree, write_tree

SERVICE = {
    "svc/__init__.py": "",
    "svc/io.py": """
        def read(path, quick=False):
            if quick:
                return ""
            return open(path)

        def load(path, quick):
            return read(path, quick=quick)
        """,
    "svc/models.py": """
        class Base:
            def save(self):
                return open("x")

        class Item(Base):
            pass
        """,
}


def project(root):
    write_tree(root, SERVICE)
    provider = BlockingProvider()
    provider.bind(None)
    files = sorted(str(p) for p in root.rglob("*.py"))
    return build(files, [provider])


class QuickArgument:
    """A carry for the test: the state is whether ``quick`` is known true; ``read``
    returns at once (nothing runs after line 4, its `return ""`) when it is."""

    def last_line(self, fn, state):
        return 4 if state and fn.short == "read" else None

    def into(self, caller, state, call, target):
        keywords = dict(call.args[1])
        text = keywords.get("quick")
        if text == "True":
            return True
        if text == "quick":
            return state  # the caller's own parameter, passed on
        return False


def test_search_without_a_carry_is_explain(tmp_path):
    facts = project(tmp_path)
    fn = facts.function("svc.io.load")
    assert facts.search(fn, "blocking").names == facts.explain(fn, "blocking").names == ("load", "read", "open")


def test_search_threads_the_carried_state_and_cuts_functions_short(tmp_path):
    facts = project(tmp_path)
    fn = facts.function("svc.io.load")
    carry = QuickArgument()
    assert facts.search(fn, "blocking", True, carry) is None  # load(quick=True) never opens
    found = facts.search(fn, "blocking", False, carry)
    assert found is not None and found.names == ("load", "read", "open")
    assert facts.search(fn, "no-such-provider", False, carry) is None


def test_call_effect_is_the_effect_a_call_itself_has(tmp_path):
    facts = project(tmp_path)
    read = facts.function("svc.io.read")
    calls = facts.details(read).calls
    opened = [c for c in calls if facts.call_effect(c, "blocking") is not None]
    assert [facts.call_effect(c, "blocking").display for c in opened] == ["open"]
    load = facts.details(facts.function("svc.io.load")).calls
    assert all(facts.call_effect(c, "blocking") is None for c in load)  # a project helper, not an effect


def test_module_summary_class_and_method_lookups(tmp_path):
    facts = project(tmp_path)
    assert facts.summary_of("svc.models") is not None
    assert facts.summary_of("svc.nowhere") is None
    module = facts.module_facts("svc.models")
    assert module is not None and "Item" in {s.split(".")[-1] for s in module.scopes}
    item = facts.class_facts("svc.models.Item")
    assert item is not None and facts.class_facts("svc.models.Missing") is None
    save = facts.method(item, "save")
    assert save is not None and save.qualname == "svc.models.Base.save"
    assert facts.method(item, "delete") is None


def test_dependencies_a_rule_records_are_returned_by_end(tmp_path):
    facts = project(tmp_path)
    facts.begin()
    facts.depends_on("svc.io")
    facts.summary_of("svc.models")
    assert facts.end() == frozenset({"svc.io", "svc.models"})


def test_write_tree_and_lint_tree(tmp_path):
    write_tree(tmp_path, {"app/__init__.py": "", "app/views.py": "import time\n\nasync def view():\n    time.sleep(1)\n"})
    assert (tmp_path / "app" / "views.py").read_text(encoding="utf-8").startswith("import time")
    found = lint_tree(tmp_path, ["FFT1"])
    assert [(path, d.code, d.span.line) for path, d in found] == [("app/views.py", "FFT101", 4)]
    assert lint_tree(tmp_path, ["FFT1"], prefilter=False) == found
