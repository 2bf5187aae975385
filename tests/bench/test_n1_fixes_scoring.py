"""The hunk classifier and the scoring of ``bench/n1_fixes.py`` on inline examples (no
network, no downloaded trees): a hunk counts only when it *adds* an eager load or a
batching, a case is caught at its line / through a fix edit / inside its loop, and the
fixed code is silent when no finding falls in the function holding the new lines."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "n1_fixes.py")


@pytest.fixture(scope="module")
def nf():
    spec = importlib.util.spec_from_file_location("bench_n1_fixes", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


OLD = """\
def order_list(request):
    orders = Order.objects.filter(user=request.user)
    for order in orders:
        print(order.customer.name)
""".splitlines()

NEW = """\
def order_list(request):
    orders = Order.objects.filter(user=request.user).select_related("customer")
    for order in orders:
        print(order.customer.name)
""".splitlines()


def test_a_hunk_that_adds_select_related_is_an_eager_load(nf):
    hunks = list(nf.diff_hunks("shop/views.py", OLD, NEW, context=1))
    assert len(hunks) == 1
    hunk = hunks[0]
    assert (hunk.old_start, hunk.new_start) == (1, 1)
    assert hunk.removed == [OLD[1]]
    assert hunk.added == [NEW[1]]
    assert nf.classify_hunk(hunk.removed, hunk.added) == {"eager-load"}


def test_a_moved_eager_load_adds_nothing(nf):
    line = '    qs = Book.objects.prefetch_related("authors")'
    assert nf.classify_hunk([line], ["    # moved", line]) == set()


def test_annotate_counts_only_with_an_aggregate(nf):
    assert nf.classify_hunk([], ['qs = qs.annotate(n=Count("lines"))']) == {"annotate"}
    assert nf.classify_hunk([], ['qs = qs.annotate(full=F("a") + F("b"))']) == set()


def test_bulk_writes_and_in_lookups(nf):
    assert nf.classify_hunk(["    for x in xs: x.save()"], ["    Item.objects.bulk_update(xs, ['a'])"]) == {"batch-write"}
    assert nf.classify_hunk(["    a = A.objects.get(pk=pk)"], ["    a = A.objects.filter(pk__in=pks)"]) == {"in_bulk"}
    assert nf.classify_hunk([], ["    by_id = A.objects.in_bulk(ids)"]) == {"in_bulk"}


def test_parse_lines(nf):
    assert nf.parse_lines("12-14,20") == {12, 13, 14, 20}
    assert nf.parse_lines("-") == set()
    assert nf.parse_lines("") == set()


def _case(nf, **kw):
    row = {
        "project": "shop", "old_version": "1", "new_version": "2", "path": "shop/views.py",
        "old_lines": "2", "new_lines": "2", "loop": "3-4", "new_loop": "", "kind": "eager-load",
        "reason": "r", "miss_class": "",
    }
    row.update(kw)
    return nf.Case(
        row["project"], row["old_version"], row["new_version"], row["path"], nf.parse_lines(row["old_lines"]),
        nf.parse_lines(row["new_lines"]), nf._located(row["loop"], row["path"]),
        nf._located(row["new_loop"], row["path"]), row["kind"], row["reason"], row["miss_class"], row,
    )


def _finding(line, path="shop/views.py", fix_line=None, code="FFT202"):
    finding = {"code": code, "filename": path, "line": line, "related": []}
    if fix_line is not None:
        finding["fix"] = {"edits": [{"line": fix_line, "end_line": fix_line}]}
    return finding


def test_score_counts_the_three_ways_of_catching_separately(nf):
    case = _case(nf)
    result = nf.score_case(case, [_finding(4, fix_line=2)], [], "\n".join(NEW))
    assert result["at_line"] == []
    assert [f["line"] for f in result["at_fix"]] == [4]
    assert [f["line"] for f in result["in_loop"]] == [4]
    assert result["after"] == []
    assert result["span"] == (1, 4)


def test_a_finding_in_another_file_catches_nothing(nf):
    case = _case(nf)
    result = nf.score_case(case, [_finding(2, path="shop/other.py", fix_line=2)], [], "\n".join(NEW))
    assert not (result["at_line"] or result["at_fix"] or result["in_loop"])


def test_a_finding_left_in_the_fixed_function_is_reported_after(nf):
    case = _case(nf)
    result = nf.score_case(case, [_finding(2)], [_finding(4)], "\n".join(NEW))
    assert [f["line"] for f in result["at_line"]] == [2]
    assert [f["line"] for f in result["after"]] == [4]


def test_the_committed_cases_parse(nf):
    cases = nf.load_cases(nf.CASES)
    assert cases, "bench/n1_fixes_cases.tsv holds no case"
    for case in cases:
        assert case.project in nf.PROJECTS
        versions = nf.PROJECTS[case.project][2]
        assert case.old_version in versions and case.new_version in versions
        assert case.old_lines and case.new_lines
        assert case.kind in {"eager-load", "batch-write", "annotate", "in_bulk"}
        assert case.reason


def test_a_finding_on_the_loop_that_remains_is_counted_apart(nf):
    case = _case(nf, new_loop="3-4")
    result = nf.score_case(case, [], [_finding(3)], "\n".join(NEW))
    assert [f["line"] for f in result["after_loop"]] == [3]
    assert [f["line"] for f in result["after"]] == [3]


def test_render_counts_each_measure(nf):
    case = _case(nf)
    caught = nf.score_case(case, [_finding(2)], [], "\n".join(NEW))
    missed = nf.score_case(case, [], [_finding(4)], "\n".join(NEW))
    text = nf.render([(case, caught), (case, missed)])
    assert "| caught at a line the fix changed (`at_line`) | 1/2 (50%) |" in text
    assert "| nothing FFT2xx in the function holding the fix, new tree (`silent_after`) | 1/2 (50%) |" in text
    assert "**no**" in text


def test_the_report_keeps_the_hand_written_part(nf, tmp_path):
    report = tmp_path / "N1_FIXES.md"
    report.write_text("# notes by hand\n\n" + nf.MARKER + "\nold table\n", encoding="utf-8")
    nf.write_report(str(report), "new table\n")
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# notes by hand\n")
    assert "new table" in text and "old table" not in text
