"""FFT202: a column the rows' queryset defers (``defer("rate")``, or one ``only(...)``
leaves out) is loaded with one query per row on its first read."""

import textwrap

from fftlint.testing import lint_module


CODE = textwrap.dedent(
    """
    from django.db import models

    class Team(models.Model):
        name = models.CharField(max_length=10)

    class Emp(models.Model):
        name = models.CharField(max_length=10)
        rate = models.IntegerField()
        email = models.CharField(max_length=10)
        team = models.ForeignKey(Team, on_delete=models.CASCADE)
        KIND = "staff"

        @property
        def label(self):
            return self.name

    def deferred():
        return [e.rate for e in Emp.objects.defer("rate")]

    def left_out():
        return [(e.name, e.email) for e in Emp.objects.only("name")]

    def fk_column():
        return [e.team_id for e in Emp.objects.only("name")]

    def kept():
        return [(e.name, e.pk, e.id, e.label, e.team_id, e.KIND) for e in Emp.objects.only("name", "team")]

    def other_column():
        return [e.rate for e in Emp.objects.defer("email")]
    """
)


def test_deferred_columns_read_per_row(tmp_path):
    lines, diags = lint_module(tmp_path, {"hr/__init__.py": "", "hr/models.py": CODE}, "hr/models.py", ["FFT202"])
    got = [(lines[d.span.line - 1].strip(), d.message.rsplit("; ", 1)[-1]) for d in diags]
    assert got == [
        ('return [e.rate for e in Emp.objects.defer("rate")]', 'drop "rate" from `defer()`'),
        ('return [(e.name, e.email) for e in Emp.objects.only("name")]', 'add "email" to `only()`'),
        ('return [e.team_id for e in Emp.objects.only("name")]', 'add "team" to `only()`'),
    ]
