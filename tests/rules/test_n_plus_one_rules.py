"""FFT201 / FFT202 beyond their examples: cross-file models, options, pre-filter exactness."""

import textwrap

from fftlint.analysis.orm import ModelIndex, summarize_models
from fftlint.config.options import build_options
from fftlint.engine.run import lint_source
from fftlint.testing import project_for
from fftlint.registry import lookup

FFT201 = lookup("FFT201")
FFT202 = lookup("FFT202")

MODELS = textwrap.dedent(
    """
    from django.db import models

    class Author(models.Model):
        name = models.CharField(max_length=10)

    class Book(models.Model):
        author = models.ForeignKey(Author, related_name="books", on_delete=models.CASCADE)
        everything = models.Manager()
        live = LiveManager()
    """
)
VIEW = textwrap.dedent(
    """
    from shop.models import Book

    def titles():
        return [b.author.name for b in Book.objects.all()]
    """
)


def lint(code, rules, project=None, options=None, module="shop.views", prefilter=True):
    return [
        (d.code, d.span.line, d.message)
        for d in lint_source(code, f"{module.replace('.', '/')}.py", rules, options or {}, project=project, module_name=module, prefilter=prefilter).diagnostics
    ]


def project():
    return project_for([FFT201, FFT202], facts={"orm": ModelIndex([summarize_models(MODELS, "shop.models")])})


def test_cross_file_relation_needs_the_project_index():
    assert lint(VIEW, [FFT202]) == []  # degraded: no model knowledge, no guess
    found = lint(VIEW, [FFT202], project())
    assert [(c, line) for c, line, _ in found] == [("FFT202", 5)]
    assert 'select_related("author")' in found[0][2]


def test_the_linted_file_wins_over_the_project_index():
    assert lint(VIEW, [FFT202], project())
    # the file being linted redefines the models without the relation: its own text wins
    stale = MODELS.replace('author = models.ForeignKey(Author, related_name="books", on_delete=models.CASCADE)', "pass")
    code = stale + "\nfor b in Book.objects.all():\n    print(b.author)\n"
    assert lint(code, [FFT202], project(), module="shop.models") == []


def test_a_custom_manager_stays_silent_for_fft202_and_a_stock_extra_one_reports():
    """``LiveManager`` may load the relation in its ``get_queryset`` (its class is not
    known here): silent. ``everything = models.Manager()`` is the stock manager: its rows
    load ``author`` one query each, as ``objects``' do."""
    code = MODELS + "\nfor b in Book.live.all():\n    print(b.author.name)\nfor b in Book.everything.all():\n    print(b.author.name)\n"
    for prefilter in (True, False):
        found = lint(code, [FFT202], module="shop.models", prefilter=prefilter)
        assert [(c, line) for c, line, _ in found] == [("FFT202", 15)]
        assert "Book.everything" in found[0][2]


def test_custom_manager_terminal_in_loop_is_fft201():
    code = MODELS + "\nfor i in ids:\n    Book.live.get(pk=i)\n"
    assert [c for c, _, _ in lint(code, [FFT201], module="shop.models")] == ["FFT201"]


def test_options_extend_cursor_and_session_names():
    code = "for i in ids:\n    dbh.execute('SELECT * FROM t WHERE id = ?', (i,))\n    unit.get(User, i)\n"
    assert lint(code, [FFT201]) == []
    options = build_options([FFT201], {"n-plus-one": {"cursor-names": ["dbh"], "session-names": ["unit"]}}, "test")
    found = lint(code, [FFT201], options=options)
    assert [line for _, line, _ in found] == [2, 3]


def test_prefilter_strings_are_necessary():
    """Code without a loop (no pre-filter string of FFT201 or FFT202) yields neither."""
    no_loop = (MODELS + "\nBook.objects.get(pk=1).save()\nprint(Book.objects.first().author.name)\n").replace("for", "f0r")
    for rule in (FFT201, FFT202):
        assert not any(s in no_loop for s in rule.requires)
        assert lint(no_loop, [rule], module="shop.models", prefilter=False) == []


def test_bad_input_never_raises():
    for code in ("for x in (:\n", "\x00", "for b in Book.objects.all(\n"):
        out = lint(code, [FFT201, FFT202])
        assert all(c == "FFT001" for c, _, _ in out)
