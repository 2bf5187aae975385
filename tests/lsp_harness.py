"""A real LSP client (pygls' ``LanguageClient``) driving ``fftlint server`` in a child
process over stdin/stdout, for the end-to-end tests of the language server."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

TIMEOUT = 60.0


def capabilities(pull: bool = False, encodings: Optional[List[str]] = None, watch: bool = True, refresh: bool = True) -> lsp.ClientCapabilities:
    return lsp.ClientCapabilities(
        general=lsp.GeneralClientCapabilities(position_encodings=encodings) if encodings else None,
        text_document=lsp.TextDocumentClientCapabilities(
            diagnostic=lsp.DiagnosticClientCapabilities(related_document_support=False) if pull else None,
            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(related_information=True),
            code_action=lsp.CodeActionClientCapabilities(
                code_action_literal_support=lsp.ClientCodeActionLiteralOptions(
                    lsp.ClientCodeActionKindOptions(value_set=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll])
                )
            ),
        ),
        workspace=lsp.WorkspaceClientCapabilities(
            did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(dynamic_registration=watch),
            diagnostics=lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=refresh) if pull else None,
        ),
    )


class Editor:
    """An editor session: documents it has open, diagnostics the server pushed to it."""

    def __init__(self, root: Path, client: LanguageClient) -> None:
        self.root = root
        self.client = client
        self.pushed: Dict[str, List[List[lsp.Diagnostic]]] = {}
        self.refreshes = 0
        self.messages: List[str] = []
        self.registrations: List[lsp.Registration] = []
        self.versions: Dict[str, int] = {}
        self.texts: Dict[str, str] = {}
        self.changed = asyncio.Event()

    def uri(self, name: str) -> str:
        return (self.root / name).resolve().as_uri()

    # -- documents ----------------------------------------------------------------
    def open(self, name: str, text: Optional[str] = None) -> str:
        uri = self.uri(name)
        text = (self.root / name).read_text(encoding="utf-8") if text is None else text
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, text)))
        return uri

    def replace(self, uri: str, text: str) -> None:
        """A full-text change (the server syncs incrementally; a whole-range edit is one)."""
        old = self.texts[uri]
        lines = old.split("\n")
        end = lsp.Position(len(lines) - 1, len(lines[-1].encode("utf-16-le")) // 2)
        self.versions[uri] += 1
        self.texts[uri] = text
        change = lsp.TextDocumentContentChangePartial(range=lsp.Range(lsp.Position(0, 0), end), text=text)
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(version=self.versions[uri], uri=uri), [change])
        )

    def apply(self, uri: str, edits: List[lsp.TextEdit]) -> str:
        """Apply LSP text edits (UTF-16 positions) to the editor's copy and send it."""
        text = self.texts[uri]
        starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                starts.append(i + 1)

        def offset(pos: lsp.Position) -> int:
            line = text[starts[pos.line] :].split("\n", 1)[0] if pos.line < len(starts) else ""
            units = 0
            for i, ch in enumerate(line):
                if units >= pos.character:
                    return starts[pos.line] + i
                units += 2 if ord(ch) > 0xFFFF else 1
            return starts[min(pos.line, len(starts) - 1)] + len(line)

        for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
        self.replace(uri, text)
        return text

    # -- waiting --------------------------------------------------------------------
    async def diagnostics(self, uri: str, until: Callable[[List[lsp.Diagnostic]], bool] = lambda d: True, timeout: float = TIMEOUT) -> List[lsp.Diagnostic]:
        """The latest diagnostics pushed for ``uri`` once ``until`` holds for them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            got = self.pushed.get(uri)
            if got and until(got[-1]):
                return got[-1]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no matching diagnostics for {uri}; got {got!r}; messages {self.messages}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def pull(self, uri: str) -> List[lsp.Diagnostic]:
        report = await self.client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(uri)))
        return list(report.items)

    async def actions(self, uri: str, diag: lsp.Diagnostic, only: Optional[List[str]] = None) -> List[lsp.CodeAction]:
        params = lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(uri), diag.range, lsp.CodeActionContext(diagnostics=[diag], only=only)
        )
        return list(await self.client.text_document_code_action_async(params) or [])


async def start(root: Path, caps: lsp.ClientCapabilities, options: Optional[Dict[str, Any]] = None) -> Editor:
    client = LanguageClient("fftlint-tests", "1")
    editor = Editor(root, client)

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: lsp.PublishDiagnosticsParams) -> None:
        editor.pushed.setdefault(params.uri, []).append(list(params.diagnostics))
        editor.changed.set()

    @client.feature(lsp.WORKSPACE_DIAGNOSTIC_REFRESH)
    def refresh(params: Any) -> None:
        editor.refreshes += 1
        editor.changed.set()

    @client.feature(lsp.WINDOW_SHOW_MESSAGE)
    def show(params: lsp.ShowMessageParams) -> None:
        editor.messages.append(params.message)
        editor.changed.set()

    @client.feature(lsp.WINDOW_LOG_MESSAGE)
    def logged(params: lsp.LogMessageParams) -> None:
        editor.messages.append(params.message)

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        editor.registrations.extend(params.registrations)

    env = dict(os.environ, FFTLINT_CACHE_DIR=str(root / ".cache"), PYTHONUNBUFFERED="1")
    await client.start_io(sys.executable, "-m", "fftlint", "server", cwd=str(root), env=env)
    editor.initialize_result = await asyncio.wait_for(
        client.initialize_async(
            lsp.InitializeParams(
                capabilities=caps,
                root_uri=root.resolve().as_uri(),
                workspace_folders=[lsp.WorkspaceFolder(root.resolve().as_uri(), root.name)],
                initialization_options={"debounce": 0.05, "projectDebounce": 0.1, **(options or {})},
            )
        ),
        TIMEOUT,
    )
    client.initialized(lsp.InitializedParams())
    return editor


async def stop(editor: Editor) -> Optional[int]:
    """Shut the server down as an editor does; its exit code."""
    await asyncio.wait_for(editor.client.shutdown_async(None), TIMEOUT)
    editor.client.exit(None)
    server = editor.client._server
    code = None
    if server is not None:
        try:
            code = await asyncio.wait_for(server.wait(), TIMEOUT)
        except asyncio.TimeoutError:  # pragma: no cover
            server.kill()
    await editor.client.stop()
    return code


def run(scenario: Callable[..., Any], *args: Any) -> Any:
    return asyncio.run(asyncio.wait_for(scenario(*args), 4 * TIMEOUT))
