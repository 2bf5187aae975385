"""Baselines: adopt fftlint on an existing codebase, then let the known findings only shrink.

``fftlint --write-baseline fftlint-baseline.json src/`` records today's findings;
``fftlint --baseline fftlint-baseline.json src/`` (or ``baseline = "..."`` in the config)
reports only the findings that are not in it. An entry is keyed so that it survives edits
elsewhere in the file -- no line numbers:

* ``code``: the rule;
* ``path``: the file, relative to the baseline file's directory, with ``/``;
* ``scope``: the qualified name of the enclosing function or class
  (``package.module.Class.method``; the module's name at module level);
* ``hash``: a hash of the normalized source of the flagged statement
  (:mod:`fftlint.engine.statement`: layout and comments do not count);
* ``count``: how many findings share that key (the same call twice in one function).

A finding matches an entry with the same key while the entry's count lasts; of several
findings with one key, the first ones in the file are the known ones. Entries of linted
files that match nothing any more are *stale* (the finding was fixed or its statement
changed): reported as a note, or as a failure with ``--strict-baseline``, so that the
baseline is rewritten and only ever shrinks. Engine errors (syntax errors, crashed rules,
unreadable files) are never baselined.

The file is JSON, one entry per line, sorted by path, code, scope and hash, so that a
review of a baseline change reads like a list of fixed (or accepted) findings::

    {
      "fftlint-baseline": 1,
      "statement-hash": 1,
      "entries": [
        {"path": "app/jobs.py", "code": "FFT101", "scope": "app.jobs.poll", "hash": "9f3c2a7d11e04b56", "count": 1, "message": "..."}
      ]
    }

``message`` is there for the reader only; it is not part of the key.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from typing import Dict, Iterable, List, Sequence, Tuple

from fftlint.engine.statement import VERSION as HASH_VERSION
from fftlint.types import Diagnostic, FileResult

FORMAT = 1
#: Engine diagnostics that are problems of the run, not findings to live with.
NEVER_BASELINED = frozenset({"FFT001", "FFT002", "FFT004"})


class BaselineError(Exception):
    """The baseline file cannot be read or is not a baseline (exit 2, never a traceback)."""


@dataclass(frozen=True, order=True)
class Key:
    path: str
    code: str
    scope: str
    hash: str


@dataclass
class Applied:
    results: List[FileResult]
    baselined: int
    #: entries of linted files that no finding matched, with how many of their count
    stale: List[Tuple[Key, int]] = field(default_factory=list)


def relative(path: str, base_dir: str) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), base_dir)
    except ValueError:  # another drive on Windows
        rel = os.path.abspath(path)
    return rel.replace(os.sep, "/")


def key_for(diag: Diagnostic, base_dir: str) -> Key:
    return Key(relative(diag.path, base_dir), diag.code, diag.scope, diag.statement_hash)


def baselinable(diag: Diagnostic) -> bool:
    return diag.code not in NEVER_BASELINED


class Baseline:
    def __init__(self, path: str, entries: Dict[Key, int]) -> None:
        self.path = path
        self.base_dir = os.path.dirname(os.path.abspath(path))
        self.entries = entries

    @classmethod
    def load(cls, path: str) -> "Baseline":
        try:
            with open(path, "r", encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            raise BaselineError(f"{path}: baseline file not found (write one with --write-baseline {path})") from None
        except OSError as exc:
            raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise BaselineError(f"{path}: not a fftlint baseline (invalid JSON: {exc})") from None
        if not isinstance(data, dict) or data.get("fftlint-baseline") != FORMAT or not isinstance(data.get("entries"), list):
            raise BaselineError(f"{path}: not a fftlint baseline of format {FORMAT} (expected {{\"fftlint-baseline\": {FORMAT}, \"entries\": [...]}})")
        if data.get("statement-hash") != HASH_VERSION:
            raise BaselineError(f"{path}: written with statement hashes of version {data.get('statement-hash')!r}, this fftlint makes version {HASH_VERSION}: write it again")
        entries: Dict[Key, int] = {}
        for i, item in enumerate(data["entries"]):
            try:
                key = Key(str(item["path"]), str(item["code"]), str(item["scope"]), str(item["hash"]))
                count = int(item.get("count", 1))
            except (KeyError, TypeError, ValueError):
                raise BaselineError(f"{path}: entries[{i}]: expected path, code, scope, hash and count") from None
            if count < 1:
                raise BaselineError(f"{path}: entries[{i}]: count must be 1 or more")
            entries[key] = entries.get(key, 0) + count
        return cls(path, entries)

    def split(self, result: FileResult) -> FileResult:
        """``result`` with the findings the baseline knows moved to ``baselined``.
        Idempotent: a result split before is split again from all its findings."""
        every = sorted((*result.diagnostics, *result.baselined), key=lambda d: d.sort_key)
        if not every:
            return result
        used: Counter = Counter()
        kept: List[Diagnostic] = []
        known: List[Diagnostic] = []
        for diag in every:
            key = key_for(diag, self.base_dir)
            if baselinable(diag) and used[key] < self.entries.get(key, 0):
                used[key] += 1
                known.append(diag)
            else:
                kept.append(diag)
        return dc_replace(result, diagnostics=tuple(kept), baselined=tuple(known))

    def apply(self, results: Sequence[FileResult]) -> Applied:
        out = [self.split(r) for r in results]
        used = Counter(key_for(d, self.base_dir) for r in out for d in r.baselined)
        linted = {relative(r.path, self.base_dir) for r in results}
        stale = [(key, n - used[key]) for key, n in sorted(self.entries.items()) if key.path in linted and n > used[key]]
        return Applied(out, sum(used.values()), stale)


def entries_for(results: Iterable[FileResult], base_dir: str) -> List[Dict[str, object]]:
    counts: Counter = Counter()
    messages: Dict[Key, str] = {}
    for result in results:
        for diag in sorted((*result.diagnostics, *result.baselined), key=lambda d: d.sort_key):
            if not baselinable(diag):
                continue
            key = key_for(diag, base_dir)
            counts[key] += 1
            messages.setdefault(key, " ".join(diag.message.split()))
    return [
        {"path": k.path, "code": k.code, "scope": k.scope, "hash": k.hash, "count": counts[k], "message": messages[k]}
        for k in sorted(counts)
    ]


def render(results: Iterable[FileResult], path: str) -> Tuple[str, int]:
    """The baseline file's text for ``results``, and how many findings it holds."""
    entries = entries_for(results, os.path.dirname(os.path.abspath(path)))
    lines = [json.dumps(e, ensure_ascii=False) for e in entries]
    body = ",\n".join("    " + line for line in lines)
    text = (
        "{\n"
        f'  "fftlint-baseline": {FORMAT},\n'
        f'  "statement-hash": {HASH_VERSION},\n'
        '  "entries": [' + ("\n" + body + "\n  " if lines else "") + "]\n"
        "}\n"
    )
    return text, sum(int(e["count"]) for e in entries)  # type: ignore[call-overload]


def describe_stale(stale: Sequence[Tuple[Key, int]], limit: int = 10) -> List[str]:
    out = [f"  {k.path}: {k.code} in {k.scope or '<module>'}" + (f" (x{n})" if n > 1 else "") for k, n in stale[:limit]]
    if len(stale) > limit:
        out.append(f"  ... and {len(stale) - limit} more")
    return out
