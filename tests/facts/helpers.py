"""Probing the facts layer the way LibCST rules see it."""

from __future__ import annotations

import ast
import textwrap
from typing import Dict, List, Optional, Tuple

from fftlint.engine.run import lint_source
from fftlint.facts.bindings import ModuleFacts
from fftlint.facts.values import render
from fftlint.rule import Rule


class Probe(Rule):
    """Records, for every call, its callee's source, what it resolves to and its frame."""

    code = "FFT999"
    name = "probe"
    message = "probe"
    seen: List[Tuple[str, Optional[str], bool, int]] = []

    def visit_Call(self, node):  # type: ignore[no-untyped-def]
        Probe.seen.append(
            (" ".join(self.ctx.code_for(node.func).split()), self.ctx.names.resolve(node.func), self.ctx.stack.in_async_def, len(self.ctx.stack.loops))
        )


def calls(code: str, module: str = "pkg.mod", is_package: bool = False, project=None) -> Dict[str, Optional[str]]:
    """Callee source -> what it resolves to (the last call wins for repeated sources)."""
    return {src: name for src, name, _a, _l in probe(code, module, is_package, project)}


def probe(code: str, module: str = "pkg.mod", is_package: bool = False, project=None):
    Probe.seen = []
    code = textwrap.dedent(code)
    path = module.replace(".", "/") + ("/__init__.py" if is_package else ".py")
    result = lint_source(code, path, [Probe], module_name=module, is_package=is_package, prefilter=False, project=project)
    assert not result.diagnostics, result.diagnostics
    return list(Probe.seen)


def facts(code: str, module: str = "pkg.mod", is_package: bool = False) -> ModuleFacts:
    return ModuleFacts(ast.parse(textwrap.dedent(code)), module, is_package)


def at_end(code: str, scope: str, name: str, module: str = "pkg.mod") -> List[str]:
    """What ``name`` holds before the last statement of ``scope`` ("" = the module)."""
    f = facts(code, module)
    ordinal = f.scopes[scope].ordinals[-1]
    return sorted(render(v) for v in f.lookup(name, ordinal))
