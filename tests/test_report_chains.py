"""Call chains (``Diagnostic.related``) in SARIF, GitHub and JSON output; SARIF message ids;
reporters that work from the results alone (they never read the linted files)."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

import fftlint
from fftlint.cli import main
from fftlint.report.context import ReportContext
from fftlint.report.github import render as render_github
from fftlint.report.sarif import build_log
from fftlint.types import Diagnostic, FileResult, Related, Span

from test_report_sarif import HAVE_SCHEMA, NO_SCHEMA, _errors

SERVICE = {
    "svc/__init__.py": "",
    "svc/storage.py": (
        '"""Blocking helpers, two modules away from the coroutine."""\n'
        "import json\n"
        "\n"
        "\n"
        "def load(path):\n"
        "    with open(path) as fh:\n"
        "        return json.load(fh)\n"
    ),
    "svc/config.py": (
        "from svc.storage import load\n"
        "\n"
        "\n"
        "def settings():\n"
        "    return load('settings.json')\n"
    ),
    "svc/handlers.py": (
        "import time\n"
        "\n"
        "from svc.config import settings\n"
        "\n"
        "\n"
        "async def handle(request):\n"
        "    cfg = settings()\n"
        "    time.sleep(1)\n"
        "    return cfg\n"
    ),
}


@pytest.fixture
def service(tmp_path, monkeypatch):
    for name, text in SERVICE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def _run(fmt, *args):
    code = main(["--isolated", "--no-cache", "--format", fmt, "--output-file", "out.txt", *args, "svc"])
    return code, Path("out.txt").read_text(encoding="utf-8")


def _chain_result(log):
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "FFT106"]
    return result


def test_sarif_carries_the_chain_as_related_locations_and_a_thread_flow(service):
    code, out = _run("sarif")
    assert code == 1
    log = json.loads(out)
    assert _errors(log) == []
    result = _chain_result(log)
    related = result["relatedLocations"]
    assert [r["id"] for r in related] == [1, 2]
    places = [(r["physicalLocation"]["artifactLocation"]["uri"], r["physicalLocation"]["region"]["startLine"]) for r in related]
    assert places == [("svc/config.py", 5), ("svc/storage.py", 6)]
    assert all(r["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%" for r in related)
    assert related[0]["message"]["text"] == "`settings` calls `load`"
    assert "open" in related[1]["message"]["text"]
    (flow,) = result["codeFlows"]
    (thread,) = flow["threadFlows"]
    steps = thread["locations"]
    assert [s["executionOrder"] for s in steps] == [1, 2, 3]
    assert [s["nestingLevel"] for s in steps] == [0, 1, 2]
    first = steps[0]["location"]["physicalLocation"]
    assert first == result["locations"][0]["physicalLocation"]  # starts where the coroutine calls
    assert [s["location"]["physicalLocation"] for s in steps[1:]] == [r["physicalLocation"] for r in related]
    # a finding without a chain has neither
    (plain,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "FFT101"]
    assert "relatedLocations" not in plain and "codeFlows" not in plain


@pytest.mark.skipif(not HAVE_SCHEMA, reason=NO_SCHEMA)
def test_chain_output_is_schema_valid_and_the_check_can_fail(service):
    _, out = _run("sarif")
    log = json.loads(out)
    assert _errors(log) == []
    broken = json.loads(out)
    _chain_result(broken)["codeFlows"][0]["threadFlows"][0]["locations"][0]["executionOrder"] = -5
    _chain_result(broken)["relatedLocations"][0]["id"] = -2  # minimum -1
    assert len(_errors(broken)) >= 2


def test_sarif_message_ids_group_results_by_rule(service):
    _, out = _run("sarif")
    run = json.loads(out)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        message_id = result["message"]["id"]
        assert message_id in rule["messageStrings"]
        assert rule["messageStrings"][message_id]["text"]  # the rule's summary
        assert result["message"]["text"]  # the finding's own words stay
    groups = {(r["ruleId"], rules[r["ruleIndex"]]["messageStrings"][r["message"]["id"]]["text"]) for r in run["results"]}
    assert len(groups) == len({r["ruleId"] for r in run["results"]})


def test_github_names_the_chain_in_the_message(service):
    _, out = _run("github")
    (line,) = [x for x in out.splitlines() if "title=FFT106" in x]
    message = line.split("::", 2)[2]
    assert "\n" not in message and "%0A" in message  # one workflow command per finding
    decoded = message.replace("%0A", "\n")
    assert "Call chain:" in decoded
    assert "1. svc/config.py:5: `settings` calls `load`" in decoded
    assert "2. svc/storage.py:6: " in decoded


def test_json_carries_the_chain(service):
    _, out = _run("json")
    (item,) = [i for i in json.loads(out) if i["code"] == "FFT106"]
    assert [(r["filename"], r["line"]) for r in item["related"]] == [("svc/config.py", 5), ("svc/storage.py", 6)]
    (plain,) = [i for i in json.loads(out) if i["code"] == "FFT101"]
    assert plain["related"] == []


def test_github_message_without_a_chain_is_unchanged():
    diag = Diagnostic("FFT101", "n", "plain", "a.py", Span(1, 1, 1, 2))
    assert render_github([FileResult("a.py", (diag,))], ReportContext()).endswith("::plain\n")
    step = Related("`f` calls `g`", "b.py", Span(3, 1, 3, 1))
    chained = Diagnostic("FFT106", "n", "chained", "a.py", Span(1, 1, 1, 2), related=(step,))
    log = build_log([FileResult("a.py", (chained,))], ReportContext())
    assert log["runs"][0]["results"][0]["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 3


# ----------------------------------------------------------------- reporters need no files
def test_reports_are_complete_after_the_files_are_gone(service, capsys):
    """Fix regions, fingerprints and source excerpts come in the results: rendering works
    with the linted files deleted (the engine read them; reporters do not)."""
    from fftlint import api
    from fftlint.config.settings import Settings
    from fftlint.report import get

    config = api.make_config(Settings(root=str(service)))
    config.line_hashes = True
    results = api.lint_paths(["svc"], config)
    shutil.rmtree("svc")
    ctx = ReportContext(rules=config.rules, root=str(service), show_source=True)
    log = json.loads(get("sarif")(results, ctx))
    (sleep,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "FFT101"]
    assert sleep["fixes"][0]["artifactChanges"][0]["replacements"]
    assert sleep["partialFingerprints"]["primaryLocationLineHash"]
    text = get("text")(results, ctx)
    assert "   8 |     time.sleep(1)" in text
    (item,) = [i for i in json.loads(get("json")(results, ctx)) if i["code"] == "FFT101"]
    assert all("line" in e for e in item["fix"]["edits"])


def test_reporters_import_no_engine_module():
    """Directly or through the modules that run it (the architecture's never-arrow)."""
    report_dir = Path(fftlint.__file__).parent / "report"
    for path in sorted(report_dir.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            # the engine, nor the modules that drive it (api, fix)
            for banned in ("fftlint.engine", "fftlint.api", "fftlint.fix"):
                assert not any(n == banned or n.startswith(banned + ".") for n in names), (path.name, banned)


def test_a_related_node_of_the_file_gets_its_span_from_the_engine():
    import libcst as cst

    from fftlint.engine.run import lint_source
    from fftlint.rule import RelatedNode, Rule

    class PointsBack(Rule):
        code = "FFT998"
        name = "points-back"
        message = "call"

        def visit_Call(self, node: cst.Call) -> None:
            first = self.ctx.module.body[0].body[0]  # the first statement's assignment
            self.report(node, related=[RelatedNode("assigned here", first.value)])

    result = lint_source("x = 1 + 2\nprint(x)\n", "m.py", [PointsBack], prefilter=False)
    (diag,) = result.diagnostics
    assert diag.span.line == 2
    assert diag.related == (Related("assigned here", "m.py", Span(1, 5, 1, 10)),)
