"""``fftlint server`` end to end: a real LSP client (pygls') drives the server process."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types as lsp

import lsp_harness as h

HELPERS = '''\
"""Sync helpers the handlers call."""
import json


def load_settings(path):
    with open(path) as fh:
        return json.load(fh)


def feature_enabled(name):
    return load_settings("settings.json").get(name)
'''

HANDLERS = '''\
import time

from svc.helpers import feature_enabled


async def create_order(request):
    if feature_enabled("fraud"):
        time.sleep(1)
    return request
'''

FIXABLE = "import time\n\n\nasync def poll():\n    time.sleep(1)\n    return 1\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "svc" / "helpers.py").write_text(HELPERS, encoding="utf-8")
    (tmp_path / "svc" / "handlers.py").write_text(HANDLERS, encoding="utf-8")
    (tmp_path / "svc" / "poll.py").write_text(FIXABLE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.fftlint]\nselect = [\"ALL\"]\n", encoding="utf-8")
    return tmp_path


def codes(diags):
    return sorted(str(d.code) for d in diags)


def test_push_diagnostics_link_the_docs_and_carry_the_call_chain(project):
    async def scenario():
        ed = await h.start(project, h.capabilities())
        uri = ed.open("svc/handlers.py")
        diags = await ed.diagnostics(uri)
        assert codes(diags) == ["FFT101", "FFT106"]
        by = {d.code: d for d in diags}
        sleep = by["FFT101"]
        assert sleep.range == lsp.Range(lsp.Position(7, 8), lsp.Position(7, 21))
        assert sleep.source == "fftlint" and sleep.severity == lsp.DiagnosticSeverity.Warning
        assert sleep.code_description.href.endswith("docs/rules.md#fft101-blocking-sleep-in-async")
        chain = by["FFT106"]
        assert chain.related_information, chain
        helpers = ed.uri("svc/helpers.py")
        assert [r.location.uri for r in chain.related_information] == [helpers, helpers]
        assert chain.related_information[0].message == "`feature_enabled` calls `load_settings`"
        assert chain.related_information[0].location.range.start.line == 10
        assert chain.related_information[-1].location.range.start.line == 5  # the open(...)
        assert ed.registrations and ed.registrations[0].method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES
        assert await h.stop(ed) == 0

    h.run(scenario)


EMOJI = 'import time\n\n\nasync def f():\n    s = "\U0001f600"; time.sleep(1)\n'


@pytest.mark.parametrize("encodings, column", [(None, 14), (["utf-32"], 13), (["utf-8", "utf-16"], 16)])
def test_positions_in_the_negotiated_encoding(project, encodings, column):
    async def scenario():
        ed = await h.start(project, h.capabilities(encodings=encodings))
        negotiated = ed.initialize_result.capabilities.position_encoding
        assert negotiated == (encodings[0] if encodings else "utf-16")
        uri = ed.open("svc/emoji.py", EMOJI)
        (diag,) = await ed.diagnostics(uri)
        assert (diag.range.start.line, diag.range.start.character) == (4, column)
        assert diag.range.end.character - diag.range.start.character == len("time.sleep(1)")
        await h.stop(ed)

    h.run(scenario)


def test_changes_are_debounced_and_the_last_text_wins(project):
    async def scenario():
        ed = await h.start(project, h.capabilities(), {"debounce": 0.5})
        uri = ed.open("svc/poll.py")
        await ed.diagnostics(uri, lambda d: codes(d) == ["FFT101"])
        before = len(ed.pushed[uri])
        for i in range(5):  # typing: five changes well inside the debounce window
            ed.replace(uri, FIXABLE.replace("time.sleep(1)", f"time.sleep({i})") + ("\nasync def g():\n    open('x')\n" if i == 4 else ""))
        diags = await ed.diagnostics(uri, lambda d: codes(d) == ["FFT101", "FFT102"])
        await asyncio.sleep(0.8)
        assert len(ed.pushed[uri]) - before == 1  # one lint for the burst
        assert diags[0].range.start.line == 4
        await h.stop(ed)

    h.run(scenario)


def test_a_change_in_another_file_refreshes_cross_file_facts(project):
    async def scenario():
        ed = await h.start(project, h.capabilities())
        handlers = ed.open("svc/handlers.py")
        await ed.diagnostics(handlers, lambda d: "FFT106" in codes(d))
        helpers = ed.open("svc/helpers.py")
        await ed.diagnostics(helpers)
        # the helper stops blocking (unsaved): the handler's FFT106 goes, without touching it
        ed.replace(helpers, HELPERS.replace("    with open(path) as fh:\n        return json.load(fh)\n", "    return {}\n"))
        diags = await ed.diagnostics(handlers, lambda d: codes(d) == ["FFT101"])
        assert codes(diags) == ["FFT101"]
        # and back
        ed.replace(helpers, HELPERS)
        await ed.diagnostics(handlers, lambda d: codes(d) == ["FFT101", "FFT106"])
        await h.stop(ed)

    h.run(scenario)


def test_quick_fix_round_trip(project):
    async def scenario():
        ed = await h.start(project, h.capabilities())
        uri = ed.open("svc/poll.py")
        (diag,) = await ed.diagnostics(uri)
        actions = await ed.actions(uri, diag)
        titles = [a.title for a in actions]
        fix = next(a for a in actions if "asyncio.sleep" in a.title)
        assert fix.kind == lsp.CodeActionKind.QuickFix and fix.is_preferred is True
        assert "unsafe" not in fix.title and fix.diagnostics[0].code == "FFT101"
        assert any(t.startswith("Suppress FFT101 on this line") for t in titles)
        text = ed.apply(uri, list(fix.edit.changes[uri]))
        assert "await asyncio.sleep(1)" in text and "import asyncio" in text
        await ed.diagnostics(uri, lambda d: d == [])
        assert ed.pushed[uri][-1] == []
        await h.stop(ed)

    h.run(scenario)


def test_unsafe_fixes_say_so_and_are_not_preferred(project):
    async def scenario():
        ed = await h.start(project, h.capabilities())
        uri = ed.open("svc/files.py", "async def f(path):\n    data = open(path).read()\n    return data\n")
        diags = await ed.diagnostics(uri)
        actions = [a for d in diags for a in await ed.actions(uri, d) if not a.title.startswith("Suppress")]
        assert actions, diags
        assert all("unsafe" in a.title and not a.is_preferred for a in actions)
        await h.stop(ed)

    h.run(scenario)


def test_suppress_on_this_line_and_fix_all(project):
    async def scenario():
        ed = await h.start(project, h.capabilities())
        text = FIXABLE + "\n\nasync def again():\n    time.sleep(2)  # keep: the device needs it\n"
        uri = ed.open("svc/poll.py", text)
        diags = await ed.diagnostics(uri, lambda d: len(d) == 2)
        last = max(diags, key=lambda d: d.range.start.line)
        (suppress,) = [a for a in await ed.actions(uri, last) if a.title.startswith("Suppress")]
        edited = ed.apply(uri, list(suppress.edit.changes[uri]))
        assert "time.sleep(2)  # keep: the device needs it  # noqa: FFT101\n" in edited
        await ed.diagnostics(uri, lambda d: len(d) == 1)
        (first,) = ed.pushed[uri][-1]
        (fix_all,) = await ed.actions(uri, first, only=["source.fixAll"])
        assert fix_all.kind == "source.fixAll.fftlint"
        fixed = ed.apply(uri, list(fix_all.edit.changes[uri]))
        assert "await asyncio.sleep(1)" in fixed and "time.sleep(2)  # keep" in fixed
        await ed.diagnostics(uri, lambda d: d == [])
        await h.stop(ed)

    h.run(scenario)


def test_pull_diagnostics_when_the_client_supports_them(project):
    async def scenario():
        ed = await h.start(project, h.capabilities(pull=True))
        caps = ed.initialize_result.capabilities
        assert caps.diagnostic_provider is not None and caps.diagnostic_provider.inter_file_dependencies
        handlers = ed.open("svc/handlers.py")
        helpers = ed.open("svc/helpers.py")
        assert codes(await ed.pull(handlers)) == ["FFT101", "FFT106"]
        ed.replace(helpers, HELPERS.replace("    with open(path) as fh:\n        return json.load(fh)\n", "    return {}\n"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + h.TIMEOUT
        while not ed.refreshes and loop.time() < deadline:  # the server asks the client to pull again
            await asyncio.sleep(0.05)
        assert ed.refreshes >= 1
        assert codes(await ed.pull(handlers)) == ["FFT101"]
        await asyncio.sleep(0.3)
        assert ed.pushed == {}  # pull clients get no pushes
        await h.stop(ed)

    h.run(scenario)


def test_config_changes_are_picked_up(project):
    async def scenario():
        ed = await h.start(project, h.capabilities())
        uri = ed.open("svc/poll.py")
        await ed.diagnostics(uri, lambda d: codes(d) == ["FFT101"])
        config = project / "pyproject.toml"
        config.write_text('[tool.fftlint]\nignore = ["FFT101"]\n', encoding="utf-8")
        change = lsp.FileEvent(config.resolve().as_uri(), lsp.FileChangeType.Changed)
        ed.client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams([change]))
        await ed.diagnostics(uri, lambda d: d == [])
        # a broken config is a message to the user, not a dead server
        config.write_text('[tool.fftlint]\nselect = "FFT1\n', encoding="utf-8")
        ed.client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams([change]))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + h.TIMEOUT
        while not any("pyproject.toml" in m and "invalid TOML" in m for m in ed.messages) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        assert any("invalid TOML" in m for m in ed.messages), ed.messages
        config.write_text("[tool.fftlint]\n", encoding="utf-8")
        ed.client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams([change]))
        await ed.diagnostics(uri, lambda d: codes(d) == ["FFT101"])
        assert await h.stop(ed) == 0

    h.run(scenario)


def test_a_bad_file_never_kills_the_server(project):
    async def scenario():
        ed = await h.start(project, h.capabilities())
        bad = ed.open("svc/bad.py", "def f(:\n    pass\n")
        (diag,) = await ed.diagnostics(bad)
        assert diag.code == "FFT001" and diag.severity == lsp.DiagnosticSeverity.Error
        nested = ed.open("svc/nested.py", "x = " + "[" * 90 + "]" * 90 + "\n")
        assert await ed.diagnostics(nested) == []
        ed.replace(bad, "\x00\ufeff" + "\U0001f600" * 3)
        await ed.diagnostics(bad, lambda d: d and d[0].code == "FFT001" and len(ed.pushed[bad]) > 1)
        good = ed.open("svc/poll.py")
        assert codes(await ed.diagnostics(good)) == ["FFT101"]
        notes = ed.uri("notes.md")
        ed.client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(notes, "markdown", 1, "time.sleep(1)\n")))
        await asyncio.sleep(0.5)
        assert notes not in ed.pushed  # not Python: not linted
        assert await h.stop(ed) == 0

    h.run(scenario)


# ------------------------------------------------------------------------- in-process
def test_a_failure_inside_the_session_is_reported_not_raised(project, monkeypatch):
    from fftlint import api
    from fftlint.server.session import LintFailure, Session

    session = Session()
    path = str(project / "svc" / "poll.py")
    session.open("file://" + path, path, FIXABLE, 1)
    monkeypatch.setattr(api, "lint_text", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    session.parse = None
    with pytest.raises(LintFailure, match="RuntimeError: boom"):
        session.lint("file://" + path)


def test_server_without_pygls_says_how_to_install_it(monkeypatch, capsys):
    import fftlint.server as server
    from fftlint.cli import main

    monkeypatch.setattr(server, "available", lambda: False)
    assert main(["server"]) == 2
    assert "pip install 'fftlint[lsp]'" in capsys.readouterr().err
