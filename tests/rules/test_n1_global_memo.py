"""FFT203 / FFT204: a helper that fills a module global on its first call
(``if X is None: X = <query>`` ... ``return X``) runs its query once per process."""

import textwrap

from fftlint.testing import lint_module


CODE = textwrap.dedent(
    """
    from django.db import models

    class Domain(models.Model):
        name = models.CharField(max_length=10)

    default_domain = None
    cached = None

    def get_default_domain():
        global default_domain
        # filled once, on the first call
        if default_domain is None:
            try:
                default_domain = Domain.objects.get(name="default")
            except Domain.DoesNotExist:
                default_domain = Domain(name="default")
        return default_domain

    def refreshed():
        global cached
        if cached is None:
            cached = Domain.objects.get(name="x")
        cached = Domain.objects.get(name="y")
        return cached

    def names(rows):
        return [(r, get_default_domain().name) for r in rows]

    def names_again(rows):
        return [(r, refreshed().name) for r in rows]
    """
)


def test_a_global_filled_when_empty_is_one_query_per_process(tmp_path):
    lines, diags = lint_module(tmp_path, {"core/__init__.py": "", "core/util.py": CODE}, "core/util.py", ["FFT203"])
    assert [lines[d.span.line - 1].strip() for d in diags] == ["return [(r, refreshed().name) for r in rows]"]
