"""Examples as tests: every rule's VALID / INVALID examples become pytest cases.

``tests/test_rule_examples.py`` parametrizes over all registered rules; a third-party rule
package can do the same with :func:`example_cases` and :func:`check_example`.
"""

from __future__ import annotations

from typing import Any, Iterator, List, Mapping, Optional, Sequence, Tuple, Type, Union

from fftlint.config.options import build_options
from fftlint.engine.contexts import EVERYWHERE, classify, hold_back
from fftlint.engine.run import lint_source
from fftlint.fix import fix_to_fixpoint, parses
from fftlint.rule import Invalid, Rule, Valid
from fftlint.types import UNSAFE, Diagnostic, FileResult

Example = Union[str, Valid, Invalid]


def example_cases(rules: Any) -> Iterator[Tuple[str, Type[Rule], Example]]:
    for rule in rules:
        for i, ex in enumerate(rule.VALID):
            yield f"{rule.code}-valid-{i}", rule, ex
        for i, ex in enumerate(rule.INVALID):
            yield f"{rule.code}-invalid-{i}", rule, ex


def lint_example(rule: Type[Rule], code: str, path: str, options: dict, prefilter: bool = True) -> FileResult:
    """Lint an example as the file ``path`` (relative to the working directory): the
    path's code context applies, so ``Valid(code, path="shop/tests/test_x.py")`` shows
    that a rule keeps quiet in tests by default."""
    opts = {}
    if rule.Options is not None and rule.options_key:
        opts = build_options([rule], {rule.options_key: options} if options else {}, "<example>")
    result = lint_source(code, path, [rule], opts, prefilter=prefilter, module_name=path.rsplit(".", 1)[0].replace("/", "."))
    return hold_back(result, classify(path, "."), lambda c: rule.contexts if c == rule.code else EVERYWHERE)


def _own(result: FileResult, rule: Type[Rule]) -> List[Any]:
    others = [d for d in result.diagnostics if d.code != rule.code]
    assert not others, f"engine diagnostics on a {rule.code} example: {others}"
    return [d for d in result.diagnostics if d.code == rule.code]


def check_example(rule: Type[Rule], ex: Example) -> None:
    if isinstance(ex, str):
        ex = Valid(ex)
    result = lint_example(rule, ex.code, ex.path, ex.options)
    found = _own(result, rule)
    unfiltered = _own(lint_example(rule, ex.code, ex.path, ex.options, prefilter=False), rule)
    assert found == unfiltered, f"{rule.code}: the pre-filter changed the answer: {found} != {unfiltered}"
    if isinstance(ex, Valid):
        assert not found, f"{rule.code} must stay silent on:\n{ex.code}\nbut reported {found}"
        return
    assert found, f"{rule.code} must report:\n{ex.code}"
    if ex.count is not None:
        assert len(found) == ex.count, f"{rule.code}: expected {ex.count} reports, got {found}"
    first = found[0]
    if ex.line is not None:
        assert first.span.line == ex.line, f"{rule.code}: expected line {ex.line}, got {first.span}"
    if ex.column is not None:
        assert first.span.column == ex.column, f"{rule.code}: expected column {ex.column}, got {first.span}"
    if ex.message_contains is not None:
        assert any(ex.message_contains in d.message for d in found), [d.message for d in found]
    unsafe = ex.safety == UNSAFE
    lint = lambda text: lint_example(rule, text, ex.path, ex.options)  # noqa: E731
    outcome = fix_to_fixpoint(ex.code, lint, unsafe=unsafe)
    if ex.fixed is None:
        assert outcome.text == ex.code, f"{rule.code}: example has no `fixed` but a fix applied:\n{outcome.text}"
        return
    assert outcome.text == ex.fixed, f"{rule.code}: fix mismatch\n--- got\n{outcome.text}\n--- want\n{ex.fixed}"
    assert parses(outcome.text)
    again = fix_to_fixpoint(outcome.text, lint, unsafe=unsafe)
    assert again.text == outcome.text, f"{rule.code}: a second --fix changed the code again"
    if not unsafe:
        safe_only = fix_to_fixpoint(ex.code, lint, unsafe=False)
        assert safe_only.text == ex.fixed


def rule_doc_problems(rule: Type[Rule]) -> Optional[str]:
    from fftlint.rule import doc_section

    doc = rule.doc()
    missing = [s for s in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety") if doc_section(doc, s) is None]
    if missing:
        return f"{rule.code} docstring lacks sections: {', '.join(missing)}"
    if not rule.code or not rule.name or not rule.message:
        return f"{rule.__name__}: code, name and message are required"
    return None


def project_for(
    rules: Any,
    files: Any = (),
    options: Optional[dict] = None,
    facts: Optional[dict] = None,
) -> Any:
    """A real project for tests and third-party rule packages: the facts layer over
    ``files`` (paths; summaries load on demand) with the rules' providers, whose
    project-wide facts are built from ``files`` as a run builds them -- or, for the
    providers named in ``facts`` (provider name -> facts), given."""
    from fftlint.facts.project import build
    from fftlint.facts.setup import make_providers

    files = [str(f) for f in files]
    providers = make_providers(list(rules), options or {})
    for provider in providers:
        if facts is not None and provider.name in facts:
            provider.bind(facts[provider.name])
        else:
            provider.bind(provider.project_facts(files))
    return build(files, providers)


def python_files(root: str) -> List[str]:
    """Every ``.py`` file under ``root`` (sorted; caches and virtualenvs skipped)."""
    import os

    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", ".venv", "venv", ".git"))
        out.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py"))
    return out


def write_tree(root: Any, files: Mapping[str, str]) -> None:
    """Write a multi-file project under ``root`` (a path): ``files`` maps a relative path
    to its source, dedented; folders are made as needed."""
    import textwrap
    from pathlib import Path

    for rel, text in files.items():
        path = Path(root) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def lint_tree(root: Any, select: Sequence[str] = ("ALL",), prefilter: bool = True, cache: Any = None) -> List[Tuple[str, Diagnostic]]:
    """Lint every file under ``root`` as one project (settings rooted there, no config
    file read) with the rules ``select`` names: (path relative to ``root``, diagnostic)
    pairs, in path order, each file's in the order the run reports them."""
    import os

    from fftlint import api
    from fftlint.config.settings import Settings

    config = api.make_config(Settings(root=str(root)), select=list(select))
    config.prefilter = prefilter
    results = api.lint_paths([str(root)], config, cache=cache)
    return [(os.path.relpath(r.path, str(root)).replace(os.sep, "/"), d) for r in sorted(results, key=lambda r: r.path) for d in r.diagnostics]


def lint_module(root: Any, files: Mapping[str, str], target: str, select: Sequence[str]) -> Tuple[List[str], List[Diagnostic]]:
    """Write ``files`` as a project under ``root`` (:func:`write_tree`), lint it as one
    project with the rules ``select`` names (:func:`lint_tree`), and return the lines of
    the file ``target`` (a key of ``files``) with its diagnostics, in report order."""
    import textwrap

    write_tree(root, files)
    lines = textwrap.dedent(files[target]).splitlines()
    return lines, [d for path, d in lint_tree(root, select) if path == target]
