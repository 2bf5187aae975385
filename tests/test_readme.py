"""README.md is a contract: its commands, generated sections and recipes must be true."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fftlint import docs
from fftlint.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTALL_AND_DEMO = "python -m pip install . && fftlint fixtures/demo"
INSTALL_AND_TEST = "python -m pip install -e '.[test]' && python -m pytest"


def fenced_blocks(text, lang=None):
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M)
    return [body for kind, body in blocks if lang is None or kind == lang]


def section(title):
    """The text under a heading, up to the next heading of the same or a higher level
    (lines inside fenced code blocks are not headings)."""
    out, level, fence = [], None, False
    for line in README.splitlines():
        if line.startswith("```"):
            fence = not fence
        heading = None if fence else re.match(r"^(#+) (.*)$", line)
        if level is None:
            if heading and heading.group(2).strip() == title:
                level = len(heading.group(1))
            continue
        if heading and len(heading.group(1)) <= level:
            break
        out.append(line)
    assert level is not None, f"README has no section {title!r}"
    return "\n".join(out)


def block_containing(lang, needle):
    for block in fenced_blocks(README, lang):
        if needle in block:
            return block
    raise AssertionError(f"no ```{lang} block in README.md contains {needle!r}")


# --------------------------------------------------------------------------- the two commands
def test_readme_opens_with_the_two_commands():
    first = fenced_blocks(README)[0]
    commands = [line for line in first.splitlines() if line.strip() and not line.startswith("#")]
    assert commands == [INSTALL_AND_DEMO, INSTALL_AND_TEST]
    assert README.index(first) < README.index("\n## ")  # before any section


def test_ci_runs_the_readme_test_command_verbatim():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert INSTALL_AND_TEST in lines
    assert lines[-1] == INSTALL_AND_TEST  # the last thing CI does; `set -e` makes its failure fail CI
    assert "set -euo pipefail" in lines or "set -e" in lines


# --------------------------------------------------------------------------- generated parts
def _between(text, begin, end):
    assert begin in text and end in text, f"README lost its markers {begin!r}"
    return text[text.index(begin) + len(begin) : text.index(end)].strip("\n")


STALE = "README.md is stale: run `python -m fftlint.docs` and commit the result"


def test_rule_list_is_generated_from_the_registry():
    rules = docs.builtin_rules()
    assert _between(README, docs.RULES_BEGIN, docs.RULES_END) == docs.rules_table(rules), STALE
    listed = re.findall(r"^\| \[(FFT\d+)\]", README, re.M)
    assert listed == [r.code for r in rules]


def test_rule_options_are_generated():
    assert _between(README, docs.OPTIONS_BEGIN, docs.OPTIONS_END) == docs.options_section(docs.builtin_rules()), STALE


def test_family_table_is_generated():
    table = _between(README, docs.FAMILIES_BEGIN, docs.FAMILIES_END)
    assert table == docs.families_table(docs.builtin_rules()), STALE
    for rule in docs.builtin_rules():
        assert rule.code in table


def test_rules_doc_is_generated():
    current = (ROOT / docs.RULES_DOC).read_text(encoding="utf-8")
    assert current == docs.rules_doc(docs.builtin_rules()), f"{docs.RULES_DOC} is stale: run `python -m fftlint.docs`"


def test_demo_output_is_what_the_first_command_prints():
    shown = _between(README, docs.DEMO_BEGIN, docs.DEMO_END)
    assert shown == docs.demo_block(docs.demo_output(str(ROOT))), STALE
    assert shown.startswith("```console\n$ fftlint fixtures/demo\n")
    assert INSTALL_AND_DEMO.endswith(" ".join(docs.DEMO_COMMAND))


def test_generator_check_mode_reports_staleness(tmp_path):
    readme = (
        f"x\n{docs.RULES_BEGIN}\nold\n{docs.RULES_END}\n{docs.OPTIONS_BEGIN}\n{docs.OPTIONS_END}\n"
        f"{docs.FAMILIES_BEGIN}\n{docs.FAMILIES_END}\n{docs.DEMO_BEGIN}\n{docs.DEMO_END}\n"
    )
    new = docs.render_readme(readme, docs.builtin_rules(), "demo output\n")
    assert "\nold\n" not in new and docs.rules_table(docs.builtin_rules()) in new
    assert "$ fftlint fixtures/demo\ndemo output\n```" in new
    assert docs.render_readme(new, docs.builtin_rules(), "demo output\n") == new  # idempotent


def test_help_uris_point_at_headings_of_the_rules_doc():
    rules_doc = (ROOT / docs.RULES_DOC).read_text(encoding="utf-8")
    anchors = {docs.github_anchor(h) for h in re.findall(r"^#+ (.+)$", rules_doc, re.M)}
    for rule in docs.builtin_rules():
        assert docs.anchor(rule) in anchors
        assert docs.rule_url(rule).endswith(f"/{docs.RULES_DOC}#{docs.anchor(rule)}")
    assert docs.github_anchor("FFT101 blocking-sleep-in-async") == "fft101-blocking-sleep-in-async"
    assert docs.github_anchor("Sync I/O in `async` code") == "sync-io-in-async-code"


def test_relative_links_exist():
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README):
        assert (ROOT / target).exists(), target


# --------------------------------------------------------------------------- configuration
def test_every_config_key_is_documented():
    from fftlint.config.load import _TOP_KEYS

    table = section("Configuration")
    for key in sorted(_TOP_KEYS):
        assert re.search(rf"^\| `{re.escape(key)}` \|", table, re.M), key


@pytest.mark.parametrize("name,lang", [("pyproject.toml", "toml"), (".fftlint.yaml", "yaml")])
def test_config_examples_are_valid(tmp_path, monkeypatch, name, lang):
    from fftlint import api
    from fftlint.config.load import discover

    example = block_containing(lang, "select")
    (tmp_path / name).write_text(example, encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = discover(["a.py"])
    assert settings.source.endswith(name)
    assert settings.select and settings.per_file_ignores
    config = api.make_config(settings)  # validates codes and per-rule option tables too
    assert config.rules and config.options


# --------------------------------------------------------------------------- output formats
def test_json_keys_are_documented(tmp_path, monkeypatch, capsys):
    (tmp_path / "a.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["--isolated", "--format", "json", "a.py"]) == 1
    (item,) = json.loads(capsys.readouterr().out)
    documented = re.findall(r"^\| `(\w+)` \| [^|]+ \|", section("json"), re.M)
    assert documented == list(item)
    for key in item["fix"]:
        assert f"`{key}`" in section("json") or f'"{key}"' in section("json")
    for key in item["fix"]["edits"][0]:
        assert f'"{key}"' in section("json")


def test_text_format_example_matches_the_problem_matcher():
    from fftlint.report.text import PROBLEM_MATCHER

    assert re.match(PROBLEM_MATCHER, "path/to/file.py:12:5: FFT101 message")
    assert "path/to/file.py:LINE:COLUMN: CODE message" in section("text (default)")


# --------------------------------------------------------------------------- integrations
def test_vscode_problem_matcher_parses_real_output(tmp_path, monkeypatch):
    tasks = json.loads(block_containing("json", "problemMatcher"))
    (task,) = tasks["tasks"]
    matcher = task["problemMatcher"]
    pattern = matcher["pattern"]
    regexp = re.compile(pattern["regexp"])
    assert matcher["fileLocation"][0] == "relative"

    (tmp_path / "svc").mkdir()
    wide = 'import time\n\nasync def g():\n    s = "h\u00e9llo"; time.sleep(2)\n'
    (tmp_path / "svc" / "handlers.py").write_text(wide, encoding="utf-8")
    (tmp_path / "svc" / "io.py").write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    env_cmd = [sys.executable, "-m", "fftlint", "--isolated"]
    args = task["args"]
    text = subprocess.run(env_cmd + args, capture_output=True, text=True, encoding="utf-8").stdout
    data = json.loads(subprocess.run(env_cmd + ["--format", "json"] + args, capture_output=True, text=True, encoding="utf-8").stdout)

    parsed = []
    for line in text.splitlines():
        m = regexp.match(line)
        if m:
            parsed.append(
                {
                    "filename": m.group(pattern["file"]),
                    "line": int(m.group(pattern["line"])),
                    "column": int(m.group(pattern["column"])),
                    "code": m.group(pattern["code"]),
                    "message": m.group(pattern["message"]),
                }
            )
    expected = [{k: d[k] for k in ("filename", "line", "column", "code", "message")} for d in data]
    assert parsed == expected and len(parsed) == 2
    for item in parsed:
        assert (tmp_path / item["filename"]).is_file()  # relative to the workspace folder


def test_github_actions_job_uploads_the_sarif():
    workflow = yaml.safe_load(block_containing("yaml", "upload-sarif"))
    (job,) = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    steps = job["steps"]
    runs = [s for s in steps if "fftlint --format sarif" in s.get("run", "")]
    assert len(runs) == 1
    argv = shlex.split(runs[0]["run"])
    assert argv[argv.index("--format") + 1] == "sarif" and argv[argv.index("-o") + 1] == "fftlint.sarif"
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert len(uploads) == 1 and uploads[0]["with"]["sarif_file"] == "fftlint.sarif"
    assert steps.index(uploads[0]) > steps.index(runs[0])
    assert "always()" in uploads[0]["if"]  # findings make fftlint exit 1; the upload must still run


def test_pre_commit_recipe_names_real_hooks():
    config = yaml.safe_load(block_containing("yaml", "repos:"))
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    recipe_ids = {h["id"] for repo in config["repos"] for h in repo["hooks"]}
    assert recipe_ids and recipe_ids <= {h["id"] for h in hooks}
    assert "fftlint-fix" in section("pre-commit")


def test_exit_codes_are_documented():
    table = section("Exit codes")
    assert re.findall(r"^\| (\d) \|", table, re.M) == ["0", "1", "2"]
    assert "never hides 2" in table


def test_options_section_documents_option_dataclasses():
    import dataclasses
    from typing import Sequence

    from fftlint.rule import Rule

    @dataclasses.dataclass(frozen=True)
    class Opts:
        """``[tool.fftlint.demo-family]``: the options.

        Extra words about ``names``."""

        names: Sequence[str] = dataclasses.field(default=(), metadata={"help": "extra names | pipes"})
        level: int = 3

    class Fake(Rule):
        code = "FFT998"
        name = "fake"
        Options = Opts
        options_key = "demo-family"

    text = docs.options_section([Fake])
    assert text.startswith("#### `[tool.fftlint.demo-family]` (used by FFT998)")
    assert "Extra words about `names`." in text and "the options" not in text
    assert "| `names` | `[]` | extra names \\| pipes |" in text
    assert "| `level` | `3` |  |" in text
