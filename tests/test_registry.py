"""Rule selection: codes, prefixes, ALL, specificity, opt-in rules, redirects."""

from fftlint import registry
from fftlint.rule import Rule


def _rule(code, default=True):
    return type(f"R{code}", (Rule,), {"code": code, "name": code.lower(), "message": "m", "default_enabled": default})


RULES = [_rule("FFT001"), _rule("FFT003", False), _rule("FFT101"), _rule("FFT102"), _rule("FFT401"), _rule("FFT403", False)]


def codes(rules):
    return [r.code for r in rules]


def test_default_selection_is_default_enabled_rules_plus_engine():
    assert codes(registry.select(RULES)) == ["FFT001", "FFT101", "FFT102", "FFT401"]


def test_prefix_selects_opt_in_rules_of_the_family():
    assert codes(registry.select(RULES, select=["FFT4"])) == ["FFT001", "FFT401", "FFT403"]


def test_all_selects_everything():
    assert codes(registry.select(RULES, select=["ALL"])) == codes(RULES)


def test_most_specific_selector_wins_and_ignore_wins_ties():
    assert codes(registry.select(RULES, select=["FFT1"], ignore=["FFT102"])) == ["FFT001", "FFT101"]
    assert codes(registry.select(RULES, select=["FFT102"], ignore=["FFT1"])) == ["FFT001", "FFT102"]
    assert codes(registry.select(RULES, select=["FFT1"], ignore=["FFT1"])) == ["FFT001"]


def test_extend_select_adds_to_defaults():
    assert codes(registry.select(RULES, extend_select=["FFT403"])) == ["FFT001", "FFT101", "FFT102", "FFT401", "FFT403"]


def test_engine_errors_cannot_be_deselected():
    assert "FFT001" in codes(registry.select(RULES, select=["FFT4"], ignore=["FFT0"]))


def test_unknown_selectors_are_reported():
    assert registry.check_selectors(["FFT1", "ALL", "FFT9", "fft101"], RULES) == ["FFT9"]


def test_builtin_discovery_finds_rules_without_an_import_list():
    found = codes(registry.all_rules())
    assert "FFT101" in found and "FFT001" in found
    assert registry.lookup("fft101").code == "FFT101"
    assert registry.lookup("blocking-sleep-in-async").code == "FFT101"


def test_redirects_keep_old_codes_working(monkeypatch):
    monkeypatch.setitem(registry.REDIRECTS, "FFT199", "FFT101")
    assert registry.lookup("FFT199").code == "FFT101"
    assert codes(registry.select(RULES, select=["FFT199"])) == ["FFT001", "FFT101"]
