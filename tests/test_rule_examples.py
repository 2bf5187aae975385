"""Every rule's VALID / INVALID examples, and its documentation, as tests."""

import pytest

from fftlint import registry
from fftlint.testing import check_example, example_cases, rule_doc_problems

RULES = registry.all_rules()
CASES = list(example_cases(RULES))


@pytest.mark.parametrize("rule, example", [(r, e) for _, r, e in CASES], ids=[i for i, _, _ in CASES])
def test_example(rule, example):
    check_example(rule, example)


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_is_documented(rule):
    assert rule_doc_problems(rule) is None, rule_doc_problems(rule)


@pytest.mark.parametrize("rule", [r for r in RULES if not r.code.startswith("FFT0")], ids=lambda r: r.code)
def test_rule_has_examples(rule):
    assert rule.VALID, f"{rule.code} needs VALID examples"
    assert rule.INVALID, f"{rule.code} needs INVALID examples"


def test_codes_and_names_are_unique():
    codes = [r.code for r in RULES]
    names = [r.name for r in RULES]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))
