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


def test_custom_and_extra_managers_stay_silent_for_fft202():
    code = MODELS + "\nfor b in Book.live.all():\n    print(b.author.name)\nfor b in Book.everything.all():\n    print(b.author.name)\n"
    assert lint(code, [FFT202], module="shop.models") == []


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
    """Code with no FFT202 pre-filter string can only yield FFT202 findings through a
    custom manager, which FFT202 never reports; code without a loop yields no FFT201."""
    code = MODELS.replace("objects", "o") + "\nfor b in Book.live.all():\n    print(b.author.name)\n"
    assert not any(s in code for s in FFT202.requires)
    assert lint(code, [FFT202], module="shop.models", prefilter=False) == []
    no_loop = MODELS + "\nBook.objects.get(pk=1).save()\n"
    assert lint(no_loop.replace("for", "f0r"), [FFT201], module="shop.models", prefilter=False) == []


def test_bad_input_never_raises():
    for code in ("for x in (:\n", "\x00", "for b in Book.objects.all(\n"):
        out = lint(code, [FFT201, FFT202])
        assert all(c == "FFT001" for c, _, _ in out)
