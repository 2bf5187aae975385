"""FFT208 (model choice labels) and FFT209 (wagtail listing columns) beyond their
examples: the cheap pre-checks, a field subclass imported from another module, and the
fixed code of both real fixes staying silent."""

import ast
import textwrap

from fftlint.cli import main
from fftlint.engine.prefilter import AstView
from fftlint.registry import lookup


def _could(code, code_name):
    code = textwrap.dedent(code)
    return bool(lookup(code_name).could_match(AstView(ast.parse(code), code, "shop/forms.py", {}, None)))


def test_choice_prefilter_keeps_out_files_without_a_queryset_field():
    assert not _could("class F(forms.Form):\n    name = forms.CharField()\n", "FFT208")
    assert not _could("qs = Book.objects.all()\nfor b in qs:\n    print(b)\n", "FFT208")
    assert _could("class F(forms.Form):\n    b = BookField(queryset=Book.objects.all())\n", "FFT208")
    assert _could("class F(forms.Form):\n    def __init__(self):\n        self.fields['b'].queryset = Book.objects.all()\n", "FFT208")


def test_columns_prefilter_keeps_out_files_without_declared_columns():
    assert not _could("class V(generic.IndexView):\n    model = Book\n", "FFT209")
    assert not _could("columns = ['a', 'b']\n", "FFT209")
    assert _could("class V(generic.IndexView):\n    columns = [Column('author')]\n", "FFT209")


MODELS = """
from django.db import models

class Team(models.Model):
    name = models.CharField(max_length=20)

class Player(models.Model):
    name = models.CharField(max_length=20)
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
"""


def _run(tmp_path, files, capsys, code):
    pkg = tmp_path / "club"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text(textwrap.dedent(MODELS))
    for name, text in files.items():
        (pkg / name).write_text(textwrap.dedent(text))
    main([str(pkg), "--select", code, "--no-cache", "--jobs", "1", "--exit-zero"])
    return [line for line in capsys.readouterr().out.splitlines() if code in line]


def test_label_from_instance_of_a_field_class_in_another_module(tmp_path, capsys):
    found = _run(tmp_path, {
        "fields.py": """
            from django import forms

            class TeamLabelled(forms.ModelChoiceField):
                def label_from_instance(self, obj):
                    return f"{obj.name} ({obj.team.name})"

            class Overridden(forms.ModelChoiceField):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.queryset = self.queryset.select_related("team")

                def label_from_instance(self, obj):
                    return obj.team.name
            """,
        "forms.py": """
            from django import forms

            from .fields import Overridden, TeamLabelled
            from .models import Player

            class PickForm(forms.Form):
                player = TeamLabelled(queryset=Player.objects.all())
                loaded = TeamLabelled(queryset=Player.objects.select_related("team"))
                other = Overridden(queryset=Player.objects.all())
            """,
    }, capsys, "FFT208")
    assert len(found) == 1 and "forms.py:8:" in found[0] and 'select_related("team")' in found[0], found


def test_column_of_a_view_whose_base_is_a_project_class_is_silent(tmp_path, capsys):
    found = _run(tmp_path, {
        "views.py": """
            from wagtail.admin.ui.tables import Column
            from wagtail.admin.views import generic

            from .models import Player

            class Base(generic.IndexView):
                def get_base_queryset(self):
                    return super().get_base_queryset().select_related("team")

            class PlayerIndex(Base):
                model = Player
                columns = [Column("team")]

            class PlainIndex(generic.IndexView):
                model = Player
                columns = [Column("name"), Column("team")]
            """,
    }, capsys, "FFT209")
    assert len(found) == 1 and "views.py:17:" in found[0], found
