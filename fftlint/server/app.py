"""The LSP wiring (pygls): documents in, diagnostics and code actions out.

* Diagnostics: pulled (``textDocument/diagnostic``) when the client supports it, else
  pushed (``textDocument/publishDiagnostics``) on open, on save and, debounced, on change.
  A change to one file can change what another reports (a helper that now blocks): once
  changes pause (``projectDebounce``) the project's cross-file facts are rebuilt and the
  open documents re-linted (push) or the client asked to pull again
  (``workspace/diagnostic/refresh``); a save or a watched file rebuilds them at once.
* Each diagnostic links to its rule's documentation (``codeDescription.href``) and, for a
  call chain, carries each step as ``relatedInformation``.
* Code actions: the rule's fix as a quick fix (its title says when it is unsafe; safe ones
  are preferred), "suppress on this line" (``# noqa: CODE``, merged like ``--add-noqa``),
  and ``source.fixAll.fftlint`` (every safe fix, re-linted to a fixpoint).
* Settings come from the project's config files, read again when one changes (watched
  files, or saved in the editor). ``initializationOptions``: ``debounce`` (seconds before
  a change is linted, default 0.3), ``projectDebounce`` (before cross-file facts are
  rebuilt, default 1.0) and ``unsafeFixes`` (fix-all applies unsafe fixes too).
* Positions are in the negotiated encoding (UTF-16 unless the client offers another).
* Nothing kills the server: a file that does not parse is an FFT001 diagnostic, a
  crashing rule an FFT002 one, any other failure a logged error.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict, List, Optional

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from fftlint import __version__
from fftlint.engine.reparse import IncrementalParser
from fftlint.server import convert
from fftlint.server.session import LintFailure, Outcome, Session

FIX_ALL = "source.fixAll.fftlint"
CONFIG_NAMES = (".fftlint.yaml", ".fftlint.yml", "pyproject.toml")
DEFAULT_DEBOUNCE = 0.3
DEFAULT_PROJECT_DEBOUNCE = 1.0

log = logging.getLogger("fftlint.server")


class FftlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("fftlint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.session = Session(warn=self.warn)
        self.debounce = DEFAULT_DEBOUNCE
        self.project_debounce = DEFAULT_PROJECT_DEBOUNCE
        self.unsafe_fixes = False
        self.pending: Dict[str, "asyncio.Task[None]"] = {}
        self.refresh_task: Optional["asyncio.Task[None]"] = None
        self.shown: set = set()
        self.session.parse = IncrementalParser()

    # -- helpers ----------------------------------------------------------------------
    @property
    def pull(self) -> bool:
        caps = self.client_capabilities
        return bool(caps and caps.text_document and caps.text_document.diagnostic is not None)

    @property
    def encoding(self) -> str:
        enc = self.workspace.position_encoding
        return str(getattr(enc, "value", enc) or "utf-16")

    def warn(self, message: str) -> None:
        if message in self.shown:
            return
        self.shown.add(message)
        self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Warning, f"fftlint: {message}"))

    def log_error(self, message: str) -> None:
        self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, f"fftlint: {message}"))

    def outcome(self, uri: str) -> Optional[Outcome]:
        """The open document's lint outcome, or None (not open, or linting failed: logged)."""
        if uri not in self.session.documents:
            return None
        try:
            outcome = self.session.lint(uri)
        except LintFailure as exc:
            self.log_error(f"linting {uri} failed: {exc}")
            return None
        if outcome.problem:
            self.warn(outcome.problem)
        return outcome

    def diagnostics(self, uri: str) -> List[lsp.Diagnostic]:
        """The document's diagnostics now (empty when it cannot be linted)."""
        outcome = self.outcome(uri)
        if outcome is None:
            return []
        text = convert.Text(self.session.documents[uri].text, self.encoding)
        others = convert.OtherTexts(self.session.buffers())
        return [convert.diagnostic(d, text, others) for d in outcome.result.diagnostics]

    def publish(self, uri: str) -> None:
        doc = self.session.documents.get(uri)
        items = self.diagnostics(uri)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, items, doc.version if doc else None))

    def schedule(self, uri: str, delay: float) -> None:
        """Push the document's diagnostics after ``delay`` seconds without a newer change."""
        if self.pull:
            return
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()

        async def later() -> None:
            await asyncio.sleep(delay)
            self.pending.pop(uri, None)
            self.publish(uri)

        self.pending[uri] = asyncio.ensure_future(later())

    def project_changed(self, delay: Optional[float] = None) -> None:
        """A file changed (saved or not), so cross-file facts may be stale. After
        ``delay`` (default: ``projectDebounce``) without further changes they are rebuilt
        and every open document is updated: re-linted and pushed, or a pull client is asked
        to pull again. Until then documents are linted with the facts as they were, so a
        keystroke never waits for a rebuild (which reads the whole project)."""
        if self.refresh_task is not None:
            self.refresh_task.cancel()

        async def later() -> None:
            await asyncio.sleep(self.project_debounce if delay is None else delay)
            self.refresh_task = None
            self.session.refresh_project()
            if self.pull:
                caps = self.client_capabilities
                workspace = caps.workspace if caps else None
                if workspace and workspace.diagnostics and workspace.diagnostics.refresh_support:
                    self.workspace_diagnostic_refresh(None)
                return
            for uri in list(self.session.documents):
                if uri not in self.pending:
                    self.publish(uri)

        self.refresh_task = asyncio.ensure_future(later())

    def everything_changed(self) -> None:
        self.session.reload_config()
        self.shown.clear()
        if self.pull:
            self.project_changed(delay=0)
            return
        for uri in list(self.session.documents):
            self.schedule(uri, 0)

    # -- code actions ------------------------------------------------------------------
    def code_actions(self, params: lsp.CodeActionParams) -> List[lsp.CodeAction]:
        from fftlint.noqa import add_noqa

        uri = params.text_document.uri
        outcome = self.outcome(uri)
        if outcome is None:
            return []
        doc = self.session.documents[uri]
        only = list(params.context.only or [])
        quick = not only or any(str(k).startswith("quickfix") for k in only)
        fix_all = any(FIX_ALL.startswith(str(k)) for k in only)
        text = convert.Text(doc.text, self.encoding)
        others = convert.OtherTexts(self.session.buffers())
        start = text.column(params.range.start)
        end = text.column(params.range.end)
        actions: List[lsp.CodeAction] = []
        for diag in outcome.result.diagnostics if quick else ():
            if not convert.overlaps(diag.span, start, end):
                continue
            item = convert.diagnostic(diag, text, others)
            if diag.fix is not None and diag.fix.edits:
                safe = diag.fix.applicability == "safe"
                actions.append(
                    lsp.CodeAction(
                        title=f"{diag.fix.title} ({diag.code}{'' if safe else ', unsafe fix: may change behaviour'})",
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[item],
                        is_preferred=safe,
                        edit=lsp.WorkspaceEdit(changes={uri: convert.text_edits(diag.fix.edits, text)}),
                    )
                )
            suppressed = add_noqa(doc.text, [diag]).text
            if suppressed != doc.text:
                actions.append(
                    lsp.CodeAction(
                        title=f"Suppress {diag.code} on this line (# noqa: {diag.code})",
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[item],
                        edit=lsp.WorkspaceEdit(changes={uri: convert.replace_text(text, suppressed)}),
                    )
                )
        if fix_all:
            fixed = self.session.fix_all(uri, self.unsafe_fixes)
            if fixed is not None:
                actions.append(
                    lsp.CodeAction(
                        title="Fix all fftlint problems" + (" (safe and unsafe fixes)" if self.unsafe_fixes else " (safe fixes)"),
                        kind=FIX_ALL,
                        edit=lsp.WorkspaceEdit(changes={uri: convert.replace_text(text, fixed)}),
                    )
                )
        return actions


def _is_config(path: Optional[str]) -> bool:
    return bool(path) and os.path.basename(path) in CONFIG_NAMES  # type: ignore[arg-type]


def create() -> FftlintServer:
    server = FftlintServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: FftlintServer, params: lsp.InitializeParams) -> None:
        options = params.initialization_options or {}
        if isinstance(options, dict):
            for key, attr in (("debounce", "debounce"), ("projectDebounce", "project_debounce")):
                value = options.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
                    setattr(ls, attr, float(value))
            ls.unsafe_fixes = bool(options.get("unsafeFixes", False))

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: FftlintServer, params: lsp.InitializedParams) -> None:
        caps = ls.client_capabilities
        watched = caps.workspace.did_change_watched_files if caps and caps.workspace else None
        if watched is not None and watched.dynamic_registration:
            globs = ["**/*.py", "**/*.pyi", "**/*.sql", *(f"**/{name}" for name in CONFIG_NAMES)]
            options = lsp.DidChangeWatchedFilesRegistrationOptions(watchers=[lsp.FileSystemWatcher(glob_pattern=g) for g in globs])
            ls.client_register_capability(
                lsp.RegistrationParams([lsp.Registration("fftlint-watch", lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, options)])
            )

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: FftlintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        path = convert.path_of(item.uri)
        if path is None or not (item.language_id == "python" or path.endswith((".py", ".pyi"))):
            return  # an unsaved buffer without a file, or not Python (a config file, ...)
        ls.session.open(item.uri, path, item.text, item.version)
        ls.schedule(item.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: FftlintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri not in ls.session.documents:
            return
        doc = ls.workspace.get_text_document(uri)
        ls.session.change(uri, doc.source, params.text_document.version)
        ls.schedule(uri, ls.debounce)
        ls.project_changed()

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: FftlintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if _is_config(convert.path_of(uri)):
            ls.everything_changed()
        elif uri in ls.session.documents:
            ls.schedule(uri, 0)
            ls.project_changed(delay=0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: FftlintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        ls.session.close(uri)
        if not ls.pull:
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, []))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: FftlintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        paths = [convert.path_of(change.uri) for change in params.changes]
        if any(_is_config(p) for p in paths):
            ls.everything_changed()
        elif paths:
            ls.project_changed(delay=0)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def configuration(ls: FftlintServer, params: lsp.DidChangeConfigurationParams) -> None:
        ls.everything_changed()

    @server.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(identifier="fftlint", inter_file_dependencies=True, workspace_diagnostics=False),
    )
    def pull(ls: FftlintServer, params: lsp.DocumentDiagnosticParams) -> Any:
        items = ls.diagnostics(params.text_document.uri)
        return lsp.RelatedFullDocumentDiagnosticReport(items=items)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False),
    )
    def code_action(ls: FftlintServer, params: lsp.CodeActionParams) -> List[lsp.CodeAction]:
        return ls.code_actions(params)

    return server


def serve() -> None:
    create().start_io()
