"""FFT202: a project function given the loop's row reads that parameter's relations per
row (``department_of(emp)`` returning ``e.team.department``), in any module."""

import textwrap

from fftlint.testing import lint_module


MODELS = textwrap.dedent(
    """
    from django.db import models

    class Department(models.Model):
        name = models.CharField(max_length=10)

    class Team(models.Model):
        department = models.ForeignKey(Department, on_delete=models.CASCADE)

    class Employee(models.Model):
        name = models.CharField(max_length=10)
        team = models.ForeignKey(Team, on_delete=models.CASCADE)
    """
)
HELPERS = textwrap.dedent(
    """
    def department_of(employee):
        return employee.team.department

    def label(employee, upper=False):
        return employee.name.upper() if upper else employee.name

    def swapped(employee):
        employee = employee.team
        return employee.department

    class Chart:
        def place(self, employee):
            return employee.team.department.name
    """
)


def found(tmp_path, body):
    code = "from .helpers import Chart, department_of, label, swapped\nfrom .models import Employee\n" + textwrap.dedent(body)
    files = {"hr/__init__.py": "", "hr/models.py": MODELS, "hr/helpers.py": HELPERS, "hr/views.py": code}
    lines, diags = lint_module(tmp_path, files, "hr/views.py", ["FFT202"])
    return [(" ".join(lines[d.span.line - 1].split()), d.message.split(" loads ")[0]) for d in diags]


def test_a_helper_given_the_row_reads_its_relations_per_row(tmp_path):
    assert found(
        tmp_path,
        """
        def chart():
            return [(e.name, department_of(e).name) for e in Employee.objects.all()]

        def placed(chart: Chart):
            for e in Employee.objects.filter(name="x"):
                print(chart.place(e))

        def by_keyword():
            return [department_of(employee=e) for e in Employee.objects.all()]
        """,
    ) == [
        ("return [(e.name, department_of(e).name) for e in Employee.objects.all()]", "`department_of(e)` (it reads `employee.team.department`)"),
        ("print(chart.place(e))", "`chart.place(e)` (it reads `employee.team.department`)"),
        ("return [department_of(employee=e) for e in Employee.objects.all()]", "`department_of(employee=e)` (it reads `employee.team.department`)"),
    ]


def test_loaded_rows_columns_and_rebound_parameters_stay_silent(tmp_path):
    assert found(
        tmp_path,
        """
        def loaded():
            return [department_of(e) for e in Employee.objects.select_related("team__department")]

        def columns():
            return [label(e, upper=True) for e in Employee.objects.all()]

        def rebound():
            return [swapped(e) for e in Employee.objects.all()]

        def not_rows(names):
            return [department_of(n) for n in names]
        """,
    ) == []
