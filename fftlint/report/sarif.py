"""``--format sarif``: one SARIF 2.1.0 log (OASIS standard, errata 01).

* ``tool.driver.rules`` comes from the docstrings of the rules that ran (plus any
  engine rule that reported), so ``ruleIndex`` always points into it;
* locations are relative URIs (forward slashes, percent-encoded) against the
  ``%SRCROOT%`` base, which ``originalUriBaseIds`` maps to the run's root directory;
  regions are 1-based with ``columnKind: unicodeCodePoints``, end column exclusive;
* fixable results carry ``fixes`` (the fix's character-offset edits turned into
  line/column ``deletedRegion`` + ``insertedContent``); the fix's applicability is in the
  fix's ``properties``;
* ``partialFingerprints.primaryLocationLineHash`` is computed exactly as GitHub's
  upload action computes it (:mod:`fftlint.report.fingerprint`; the engine puts the
  hashes in the results), or left out when the linted text is not the file's (the upload
  then computes it itself);
* a finding with a call chain (``Diagnostic.related``) carries each step as a
  ``relatedLocations`` entry and the whole path -- the finding, then each step -- as one
  ``codeFlows`` thread flow, so code scanning shows how the coroutine reaches the
  blocking call in another module;
* ``message.id`` is ``"default"``, which each rule's ``messageStrings`` maps to its
  summary: consumers that group results by message id group them by rule, while
  ``message.text`` keeps the finding's own words;
* suppressed findings are left out (GitHub ignores SARIF ``suppressions`` anyway).

Reporters never read the linted files: everything comes in the results.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type
from urllib.parse import quote

from fftlint.report import held_back
from fftlint.report.context import ReportContext
from fftlint.rule import Rule, doc_section
from fftlint.types import CONTEXTS, SAFE, Diagnostic, Edit, FileResult, Fix, Related, Span

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning", "note": "note"}
MESSAGE_ID = "default"


def level(severity: str) -> str:
    return LEVELS.get(severity, "warning")


# --------------------------------------------------------------------------- rules
def rule_descriptor(rule: Type[Rule]) -> Dict[str, Any]:
    from fftlint.docs import rule_url

    doc = rule.doc()
    what = doc_section(doc, "What it does") or rule.summary()
    why = doc_section(doc, "Why is this bad?")
    full = " ".join(what.split()) + (("\n\n" + " ".join(why.split())) if why else "")
    tags = [rule.family(), *rule.tags]
    if rule.fixable():
        tags.append("fixable")
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary() or rule.name},
        "fullDescription": {"text": full or rule.name},
        "help": {"text": doc or rule.summary() or rule.name, "markdown": doc or rule.summary() or rule.name},
        "helpUri": rule_url(rule),
        "messageStrings": {MESSAGE_ID: {"text": rule.summary() or rule.name}},
        "defaultConfiguration": {"level": level(rule.severity), "enabled": True},
        "properties": {"tags": list(dict.fromkeys(t for t in tags if t)), "contexts": [c for c in CONTEXTS if c in rule.contexts]},
    }


def _rules_for(results: Sequence[FileResult], ran: Sequence[Type[Rule]]) -> List[Type[Rule]]:
    rules: Dict[str, Type[Rule]] = {r.code: r for r in ran}
    missing = {d.code for r in results for d in r.diagnostics if d.code not in rules}
    if missing:
        from fftlint import registry

        for code in missing:
            try:
                rules[code] = registry.lookup(code)
            except KeyError:
                pass  # a diagnostic without a registered rule: reported without ruleIndex
    return [rules[c] for c in sorted(rules)]


# --------------------------------------------------------------------------- locations
def artifact_location(path: str, root: str) -> Dict[str, Any]:
    """A relative URI against %SRCROOT% when ``path`` is below ``root``, else a file URI."""
    if path in ("-", "<stdin>"):
        return {"uri": "stdin"}
    full = os.path.abspath(path)
    base = os.path.abspath(root)
    try:
        rel = os.path.relpath(full, base)
    except ValueError:  # another drive on Windows
        rel = None
    if rel is None or rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return {"uri": pathlib.Path(full).as_uri()}
    return {"uri": quote(rel.replace(os.sep, "/"), safe="/"), "uriBaseId": SRCROOT}


def root_uri(root: str) -> str:
    uri = pathlib.Path(os.path.abspath(root)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def region(span: Span) -> Dict[str, int]:
    start = (max(1, span.line), max(1, span.column))
    end = (max(1, span.end_line), max(1, span.end_column))
    if end < start:
        end = start
    return {"startLine": start[0], "startColumn": start[1], "endLine": end[0], "endColumn": end[1]}


def edit_region(edit: Edit) -> Optional[Dict[str, int]]:
    return region(edit.span) if edit.span is not None else None


def sarif_fix(fix: Fix, location: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The SARIF fix, or None when an edit has no line/column range."""
    replacements = []
    for e in sorted(set(fix.edits), key=lambda e: (e.start, e.end)):
        deleted = edit_region(e)
        if deleted is None:
            return None
        replacements.append({"deletedRegion": deleted, "insertedContent": {"text": e.content}})
    return {
        "description": {"text": fix.title},
        "artifactChanges": [{"artifactLocation": dict(location), "replacements": replacements}],
        "properties": {"applicability": fix.applicability, "safe": fix.applicability == SAFE},
    }


def physical(path: str, span: Span, root: str) -> Dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": artifact_location(path, root), "region": region(span)}}


def related_locations(steps: Sequence[Related], root: str) -> List[Dict[str, Any]]:
    return [{"id": i, **physical(step.path, step.span, root), "message": {"text": step.message}} for i, step in enumerate(steps, 1)]


def code_flow(diag: Diagnostic, root: str) -> Dict[str, Any]:
    """One thread flow: the finding (where the coroutine makes the call), then each step."""
    locations = [{"location": {**physical(diag.path, diag.span, root), "message": {"text": diag.message}}, "nestingLevel": 0, "executionOrder": 1}]
    for i, step in enumerate(diag.related, 1):
        locations.append(
            {
                "location": {**physical(step.path, step.span, root), "message": {"text": step.message}},
                "nestingLevel": i,
                "executionOrder": i + 1,
            }
        )
    return {"message": {"text": f"{diag.code}: " + " -> ".join(s.message for s in diag.related)}, "threadFlows": [{"locations": locations}]}


# --------------------------------------------------------------------------- results
def sarif_result(
    diag: Diagnostic,
    index: Dict[str, int],
    ctx: ReportContext,
    hashes: Dict[int, str],
) -> Dict[str, Any]:
    location = artifact_location(diag.path, ctx.root)
    out: Dict[str, Any] = {"ruleId": diag.code}
    if diag.code in index:
        out["ruleIndex"] = index[diag.code]
    out["level"] = level(diag.severity)
    out["message"] = {"text": diag.message}
    if diag.code in index:
        out["message"]["id"] = MESSAGE_ID
    out["locations"] = [{"physicalLocation": {"artifactLocation": location, "region": region(diag.span)}}]
    if diag.span.line in hashes:
        out["partialFingerprints"] = {"primaryLocationLineHash": hashes[diag.span.line]}
    if diag.related:
        out["relatedLocations"] = related_locations(diag.related, ctx.root)
        out["codeFlows"] = [code_flow(diag, ctx.root)]
    if diag.fix is not None and diag.fix.edits:
        fix = sarif_fix(diag.fix, location)
        if fix is not None:
            out["fixes"] = [fix]
    if diag.properties:
        out["properties"] = json.loads(json.dumps(diag.properties, default=str))
    return out


def build_log(results: Sequence[FileResult], ctx: ReportContext) -> Dict[str, Any]:
    rules = _rules_for(results, ctx.rules)
    index = {rule.code: i for i, rule in enumerate(rules)}
    sarif_results: List[Dict[str, Any]] = []
    notifications: List[Dict[str, Any]] = []
    for result in results:
        if not result.diagnostics:
            continue
        hashes = result.line_hashes
        for diag in sorted(result.diagnostics, key=lambda d: d.sort_key):
            sarif_results.append(sarif_result(diag, index, ctx, hashes))
            if diag.code == "FFT002":
                notifications.append(_notification(diag, ctx))
    from fftlint import __version__
    from fftlint.docs import PROJECT_URL

    version = ctx.version or __version__
    invocation: Dict[str, Any] = {
        "executionSuccessful": bool(ctx.execution_successful) and not notifications,
        "workingDirectory": {"uri": root_uri(ctx.root)},
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run = {
        "tool": {
            "driver": {
                "name": "fftlint",
                "version": version,
                "semanticVersion": version,
                "informationUri": PROJECT_URL,
                "rules": [rule_descriptor(r) for r in rules],
            }
        },
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri(ctx.root)}},
        "columnKind": "unicodeCodePoints",
        "results": sarif_results,
    }
    held = held_back.total(results)
    properties: Dict[str, Any] = {}
    if held:  # findings outside their rules' code contexts: counted, not listed
        properties["heldBack"] = {"total": held, "byContext": held_back.counts(results), "show": held_back.SHOW}
    files = held_back.unanalysed_counts(results)
    if files:  # files no selected rule reports in: not read at all
        properties["unanalysedFiles"] = {"total": sum(files.values()), "byContext": files, "show": held_back.SHOW}
    if properties:
        run["properties"] = properties
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _notification(diag: Diagnostic, ctx: ReportContext) -> Dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": diag.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(diag.path, ctx.root),
                    "region": region(diag.span),
                }
            }
        ],
        "descriptor": {"id": diag.code},
    }


def render(results: Sequence[FileResult], ctx: ReportContext) -> str:
    return json.dumps(build_log(results, ctx), indent=2, ensure_ascii=False) + "\n"


__all__: Tuple[str, ...] = ("build_log", "render", "rule_descriptor", "artifact_location")
