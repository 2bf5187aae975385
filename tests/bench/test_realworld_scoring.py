"""The scoring of ``bench/realworld.py`` on a tiny committed sample (no network, no corpus):
judged rows match findings by path, code and line text (not line number), new and vanished
findings are listed, precision is true / judged per family, contexts are counted."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "realworld.py")


@pytest.fixture(scope="module")
def rw():
    spec = importlib.util.spec_from_file_location("bench_realworld", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


JUDGED_TSV = (
    "project\tversion\tpath\tline\tcode\ttext\tlabel\treason\n"
    "shop\t1.0\tshop/views.py\t10\tFFT201\tfor o in orders: o.lines.count()\ttrue\tone COUNT per order\n"
    "shop\t1.0\tshop/jobs.py\t5\tFFT404\tre.compile(p)\tfalse\tconstant pattern list, re's cache serves it\n"
)


def finding(rw, path, line, code, text, context="production"):
    return {"project": "shop", "version": "1.1", "path": path, "line": line, "code": code, "text": rw.normalize(text), "message": "m", "context": context}


def test_line_shift_keeps_the_judgement_and_a_new_finding_is_listed(rw, tmp_path):
    judged_file = tmp_path / "judged.tsv"
    judged_file.write_text(JUDGED_TSV)
    judged = rw.read_judged(str(judged_file))
    findings = [
        # moved from line 10 to 14, indentation changed: still the judged finding
        finding(rw, "shop/views.py", 14, "FFT201", "    for o in  orders: o.lines.count()"),
        finding(rw, "shop/api.py", 3, "FFT202", "x.customer.name", context="tests"),
    ]
    d = rw.diff(findings, judged, ["shop"])
    assert [(f["line"], r["label"]) for f, r in d.judged] == [(14, "true")]
    assert [(f["path"], f["code"]) for f in d.new] == [("shop/api.py", "FFT202")]
    assert [(r["path"], r["code"]) for r in d.vanished] == [("shop/jobs.py", "FFT404")]

    scores = rw.precision(d.judged, d.new)
    assert scores["FFT2"] == {"true": 1, "judged": 1, "unjudged": 1}
    assert scores["FFT4"] == {"true": 0, "judged": 0, "unjudged": 0}
    assert rw.per_context(findings) == {"production": 1, "tests": 1, "migrations": 0, "scripts": 0}
    assert rw.production_share(findings) == 0.5


def test_false_label_counts_against_precision_and_duplicates_match_in_order(rw, tmp_path):
    judged = [
        {"project": "shop", "version": "1.0", "path": "a.py", "line": "3", "code": "FFT404", "text": "re.compile(p)", "label": "true", "reason": "r1"},
        {"project": "shop", "version": "1.0", "path": "a.py", "line": "9", "code": "FFT404", "text": "re.compile(p)", "label": "false", "reason": "r2"},
    ]
    findings = [finding(rw, "a.py", 4, "FFT404", "re.compile(p)"), finding(rw, "a.py", 11, "FFT404", "re.compile(p)")]
    d = rw.diff(findings, judged, ["shop"])
    assert sorted((f["line"], r["reason"]) for f, r in d.judged) == [(4, "r1"), (11, "r2")]
    assert rw.precision(d.judged)["FFT4"] == {"true": 1, "judged": 2, "unjudged": 0}
    assert rw.pct(1, 2) == "50.0%" and rw.pct(0, 0) == "n/a"
    # a project that was not run never reports its judged rows as vanished
    assert rw.diff([], judged, ["other"]).vanished == []


def test_a_malformed_judged_file_names_its_line(rw, tmp_path):
    bad = tmp_path / "judged.tsv"
    bad.write_text(JUDGED_TSV + "shop\t1.0\tx.py\t1\tFFT101\ttime.sleep(1)\tmaybe\twho knows\n")
    with pytest.raises(ValueError, match=r"judged.tsv:4: label must be true or false"):
        rw.read_judged(str(bad))
    bad.write_text("shop\t1.0\tx.py\n")
    with pytest.raises(ValueError, match=r"judged.tsv:1: expected 8 tab-separated columns"):
        rw.read_judged(str(bad))


def test_report_renders_between_the_markers_and_keeps_the_rest(rw, tmp_path):
    judged = rw.read_judged(str(_write(tmp_path / "j.tsv", JUDGED_TSV)))
    run = {"rc": 1, "wall": 1.0, "cpu": 2.0, "maxrss_kb": 102400, "stderr": ""}
    recs = [finding(rw, "shop/views.py", 10, "FFT201", "for o in orders: o.lines.count()")]
    crash = {"rc": -9, "wall": 0.5, "cpu": 0.4, "maxrss_kb": 1024, "stderr": "Traceback\nMemoryError", "records": None}
    results = {
        "command": "python bench/realworld.py", "date": "2026-01-01", "fftlint": "0", "commit": "abc", "python": "3.12",
        "projects": [{"name": "shop", "version": "1.1", "kind": "app", "files": 2, "lines": 100, "runs": {"default": {**run, "records": recs}, "all": crash}}],
    }
    body = rw.render(results, judged)
    assert "| FFT2xx | 1 | 1 | 1 / 1 | 100.0% | 20.7%-100.0% | 0 | 95% met |" in body
    assert "Default-profile findings in production code: 1 of 1 (100.0%" in body
    assert "1 runs that did not exit 0 or 1" in body and "exit -9: `MemoryError`" in body
    report = _write(tmp_path / "R.md", f"# Title\n\nintro\n\n{rw.BEGIN}\nold\n{rw.END}\n\n## Open items\n- keep me\n")
    rw.write_report(body, str(report))
    text = report.read_text()
    assert text.startswith("# Title\n\nintro\n") and text.endswith("## Open items\n- keep me\n")
    assert "\nold\n" not in text and "| FFT2xx | 1 | 1 | 1 / 1 |" in text


def _write(path, text):
    path.write_text(text)
    return path


def test_wilson_interval_matches_the_textbook_values(rw):
    lo, hi = rw.wilson(57, 60)
    assert (round(lo, 3), round(hi, 3)) == (0.863, 0.983)
    assert rw.wilson(0, 0) is None
    lo, hi = rw.wilson(10, 10)
    assert hi == 1.0 and round(lo, 3) == 0.722


def test_the_sample_is_fixed_by_seed_stable_and_grows_by_extension(rw):
    many = [finding(rw, f"m{i}.py", i, "FFT101", f"time.sleep({i})") for i in range(40)]
    few = [finding(rw, "r.py", i, "FFT402", f"re.match(p{i}, s)") for i in range(3)]
    sizes = {"FFT1": 5}
    chosen = rw.sample(many + few, sizes)
    assert len([k for k in chosen if k[2] == "FFT101"]) == 5
    assert {k for k in chosen if k[2] == "FFT402"} == set(rw.keyed(few))  # unsampled families: all
    # the same findings in another order, or with unrelated findings added: the same sample
    extra = [finding(rw, "z.py", 1, "FFT201", "x.y")]
    assert rw.sample(list(reversed(many)) + few + extra, sizes) - set(rw.keyed(extra)) == chosen
    # a larger sample keeps the smaller one (judgements carry over)
    assert chosen <= rw.sample(many + few, {"FFT1": 10})
    # another seed draws another sample
    assert rw.sample(many, sizes, seed="other") != rw.sample(many, sizes)


def test_precision_of_a_sampled_family_counts_the_sample_only(rw):
    findings = [finding(rw, f"m{i}.py", i, "FFT101", f"time.sleep({i})") for i in range(10)]
    keys = list(rw.keyed(findings))
    chosen = rw.sample(findings, {"FFT1": 3})
    judged = [{**f, "line": str(f["line"]), "label": "false", "reason": "r"} for k, f in rw.keyed(findings).items() if k not in chosen][:2]
    judged += [{**f, "line": str(f["line"]), "label": "true", "reason": "r"} for k, f in rw.keyed(findings).items() if k in chosen][:2]
    s = rw.sampled_precision(findings, judged, {"FFT1": 3})
    assert s["FFT1"] == {"findings": 10, "sample": 3, "true": 2, "judged": 2, "unjudged": 1}
    assert len(keys) == 10


def test_judging_one_of_several_repeated_lines_matches_the_nearest(rw):
    findings = [finding(rw, "cli.py", n, "FFT106", "async with get_client() as client:") for n in (10, 20, 30)]
    judged = [{"project": "shop", "version": "1.0", "path": "cli.py", "line": "22", "code": "FFT106", "text": "async with get_client() as client:", "label": "false", "reason": "r"}]
    d = rw.diff(findings, judged, ["shop"])
    assert [f["line"] for f, _ in d.judged] == [20]
    assert sorted(f["line"] for f in d.new) == [10, 30] and d.vanished == []
    # the sample is scored through the same matching
    s = rw.sampled_precision(findings, judged, {"FFT1": 3})
    assert s["FFT1"] == {"findings": 3, "sample": 3, "true": 0, "judged": 1, "unjudged": 2}
