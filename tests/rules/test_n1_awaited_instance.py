"""What ``await Model.objects.aget(...)`` gives: one model instance (Django's async API
returns a coroutine of it), so a synchronous query on its relations inside the
``async def`` is FFT108's, and the coroutine itself is no instance."""

import textwrap

from fftlint.engine.run import lint_source
from fftlint.registry import lookup
from fftlint.testing import project_for

FFT108 = lookup("FFT108")

MODELS = textwrap.dedent(
    """
    from django.db import models

    class Show(models.Model):
        title = models.CharField(max_length=10)

    class Seat(models.Model):
        show = models.ForeignKey(Show, related_name="seats", on_delete=models.CASCADE)
        sold = models.BooleanField(default=False)
    """
)


def lines(tmp_path, body):
    code = MODELS + textwrap.dedent(body)
    path = tmp_path / "box" / "views.py"
    path.parent.mkdir()
    (tmp_path / "box" / "__init__.py").write_text("")
    path.write_text(code)
    project = project_for([FFT108], [path])
    found = lint_source(code, str(path), [FFT108], {}, project=project, module_name="box.views").diagnostics
    return [code.splitlines()[d.span.line - 1].strip() for d in found]


def test_related_manager_of_an_awaited_instance_runs_synchronously(tmp_path):
    assert lines(
        tmp_path,
        """
        async def detail(pk):
            show = await Show.objects.aget(pk=pk)
            free = list(show.seats.filter(sold=False))
            first = await Show.objects.afirst()
            return free, first.seats.count()
        """
    ) == ["free = list(show.seats.filter(sold=False))", "return free, first.seats.count()"]


def test_async_forms_on_the_awaited_instance_stay_silent(tmp_path):
    assert lines(
        tmp_path,
        """
        async def detail(pk):
            show = await Show.objects.aget(pk=pk)
            free = [s async for s in show.seats.filter(sold=False)]
            n = await show.seats.acount()
            await show.asave()
            return free, n, show.title
        """
    ) == []


def test_get_object_or_404_in_async_def_is_a_sync_query(tmp_path):
    assert lines(
        tmp_path,
        """
        from django.shortcuts import get_object_or_404

        def load(pk):
            return get_object_or_404(Show, pk=pk)

        async def detail(pk):
            show = get_object_or_404(Show, pk=pk)
            other = load(pk)
            return show, other
        """,
    ) == ["show = get_object_or_404(Show, pk=pk)", "other = load(pk)"]
