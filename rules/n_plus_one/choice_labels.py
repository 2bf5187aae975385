"""FFT208: a Django model choice field labels each choice with a relation its queryset does not load."""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Tuple

import libcst as cst

from fftlint.analysis.orm import PREFETCH_RELATED, SELECT_RELATED, Model
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule, replace
from fftlint.types import UNSAFE

from ._querysets import OPTIONS_KEY, NPlusOneOptions, Query, QueryLoopTracker
from ._row_reads import RowReader
from ._serializers import Read
from .provider import OrmProvider

#: Django's model choice fields: one option per row of ``queryset``, labelled by
#: ``label_from_instance(obj)``, which is ``str(obj)`` (django/forms/models.py).
CHOICE_FIELDS = frozenset((
    "django.forms.ModelChoiceField", "django.forms.ModelMultipleChoiceField",
    "django.forms.models.ModelChoiceField", "django.forms.models.ModelMultipleChoiceField",
))
#: Widgets that render every choice (no widget argument: Select / SelectMultiple).
_WIDGETS = frozenset(
    f"{module}.{name}"
    for module in ("django.forms", "django.forms.widgets")
    for name in ("Select", "SelectMultiple", "CheckboxSelectMultiple", "RadioSelect")
) | frozenset(("django.contrib.admin.widgets.FilteredSelectMultiple",))
#: Members of a field subclass that change which rows are listed or how: not read here.
_OPAQUE = frozenset(("iterator", "_get_choices", "choices", "_set_queryset", "queryset", "get_queryset", "__init__"))
#: ``__str__`` of Django's own models (django/contrib/auth/models.py): ``Permission``
#: renders ``"%s | %s" % (self.content_type, self.name)``.
BUILTIN_STR_READS: Dict[str, Tuple[str, ...]] = {"django.contrib.auth.models.Permission": ("content_type",)}
#: ``self.fields["x"].<attr> = ...`` that leave the rendered choices as they were.
_HARMLESS = frozenset(("label", "required", "help_text", "initial", "empty_label", "disabled", "error_messages"))

MODELS = (
    "from django import forms\n"
    "from django.db import models\n\n"
    "class Team(models.Model):\n"
    "    name = models.CharField(max_length=50)\n\n"
    "class Player(models.Model):\n"
    "    name = models.CharField(max_length=50)\n"
    "    team = models.ForeignKey(Team, on_delete=models.CASCADE)\n\n"
    "    def __str__(self):\n"
    "        return f'{self.team.name}: {self.name}'\n\n"
)


def _kwarg(call: cst.Call, name: str, position: Optional[int] = None) -> Optional[cst.BaseExpression]:
    for i, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
        if arg.keyword is None and not arg.star and position is not None and i == position:
            return arg.value
    return None


def _fields_key(node: cst.BaseExpression) -> Optional[str]:
    """``"x"`` of ``self.fields["x"]``."""
    if not isinstance(node, cst.Subscript) or len(node.slice) != 1:
        return None
    value = node.value
    if not (isinstance(value, cst.Attribute) and value.attr.value == "fields" and isinstance(value.value, cst.Name) and value.value.value == "self"):
        return None
    index = node.slice[0].slice
    if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
        key = index.value.evaluated_value
        return key if isinstance(key, str) else None
    return None


def _shown(how: str) -> str:
    return how if "`" in how else f"`{how}`"


class _Field:
    def __init__(self, name: str, call: cst.Call, label: Optional[ast.FunctionDef]) -> None:
        self.name = name
        self.call = call
        self.label = label  # a subclass's label_from_instance, else str(obj)
        self.querysets: List[cst.BaseExpression] = []
        self.opaque = False


class ModelChoiceLabelPerRow(RowReader, QueryLoopTracker, Rule):
    """## What it does
    Checks for a Django `ModelChoiceField` / `ModelMultipleChoiceField` whose choice
    labels read a relation that the field's queryset does not load. Rendering the field
    runs the queryset and labels each row with `label_from_instance(obj)`, which is
    `str(obj)` unless a subclass overrides it; when that `__str__` (or the override)
    reads a forward relation (`self.team.name`) or a collection, every choice runs a
    query of its own.

    Followed: a field declared in a form class body (`forms.ModelChoiceField(queryset=...)`)
    or replaced in the form's methods (`self.fields["player"].queryset = ...`); a project
    subclass of the field whose `label_from_instance(self, obj)` is read; the model's
    own `__str__` and the members it calls (two levels), and the `__str__` of Django's
    `Permission` (which reads `content_type`). The field must render its choices: no
    `widget=`, or one of Django's `Select`, `SelectMultiple`, `CheckboxSelectMultiple`,
    `RadioSelect`, `FilteredSelectMultiple`. Silent when anything deciding the rows or
    the labels cannot be read: a queryset that is not a readable chain, another widget
    (a chooser or autocomplete widget renders no options), a subclass that overrides how
    choices are iterated, a `self.fields["x"]` changed in other ways, a `__str__` not
    defined on the model itself (inherited from a base we do not read).

    ## Why is this bad?
    A select of 200 players labelled `"Team: Player"` runs 201 queries each time the
    form is shown: one for the players, one per player for its team. Nothing in the
    project's code loops; Django's `ModelChoiceIterator` does.

    ## Example
    ```python
    class TransferForm(forms.Form):
        player = forms.ModelChoiceField(queryset=Player.objects.order_by("name"))
    ```

    ## Use instead
    ```python
    class TransferForm(forms.Form):
        player = forms.ModelChoiceField(queryset=Player.objects.order_by("name").select_related("team"))
    ```

    ## Fix safety
    For a to-one path the fix appends `.select_related("path", ...)` to the queryset
    expression. It is **unsafe**: the query changes (a JOIN per path) and a relation
    name read statically can be contradicted at run time. No fix for a collection read
    per label (`prefetch_related` would do, but it also stops Django from iterating the
    queryset with `.iterator()`).
    """

    code = "FFT208"
    name = "model-choice-label-per-row"
    message = "`{field}` labels each choice with `{how}`, which {what}; {hint}"
    fix_title = "Load the relation with the choice field's queryset"
    requires = ("queryset",)
    Options = NPlusOneOptions
    options_key = OPTIONS_KEY
    needs_project = True
    providers = (OrmProvider,)
    tags = ("performance", "database", "n+1", "django-forms")
    contexts = PRODUCTION_ONLY

    VALID = [
        # the queryset loads what __str__ reads
        MODELS + "class F(forms.Form):\n    player = forms.ModelChoiceField(queryset=Player.objects.select_related('team'))\n",
        # __str__ reads only the row's own fields
        MODELS + "class F(forms.Form):\n    team = forms.ModelChoiceField(queryset=Team.objects.all())\n",
        # a widget that does not render the choices
        MODELS + "class F(forms.Form):\n    player = forms.ModelChoiceField(queryset=Player.objects.all(), widget=PlayerChooser())\n",
        # a label that reads the foreign key's id only
        MODELS + "class PlayerField(forms.ModelChoiceField):\n    def label_from_instance(self, obj):\n        return f'{obj.name} ({obj.team_id})'\n\n"
        "class F(forms.Form):\n    player = PlayerField(queryset=Player.objects.all())\n",
        # a placeholder: no row is listed
        MODELS + "class F(forms.Form):\n    player = forms.ModelChoiceField(queryset=Player.objects.none())\n",
        # the queryset is replaced in __init__ with one that loads the team
        MODELS + "class F(forms.Form):\n    player = forms.ModelChoiceField(queryset=Player.objects.none())\n\n"
        "    def __init__(self, *args, **kwargs):\n        super().__init__(*args, **kwargs)\n"
        "        self.fields['player'].queryset = Player.objects.select_related('team')\n",
    ]
    INVALID = [
        Invalid(
            MODELS + "class F(forms.Form):\n    player = forms.ModelChoiceField(queryset=Player.objects.order_by('name'))\n",
            message_contains='select_related("team")',
            fixed=MODELS + "class F(forms.Form):\n    player = forms.ModelChoiceField(queryset=Player.objects.order_by('name').select_related(\"team\"))\n",
            safety=UNSAFE,
        ),
        # a subclass's label reads the relation
        Invalid(
            MODELS + "class TeamLabel(forms.ModelMultipleChoiceField):\n    def label_from_instance(self, obj):\n        return obj.team.name\n\n"
            "class F(forms.Form):\n    players = TeamLabel(queryset=Player.objects.all(), widget=forms.CheckboxSelectMultiple)\n",
            message_contains="team",
        ),
        # the queryset set in __init__ is the one rendered
        Invalid(
            MODELS + "class F(forms.Form):\n    player = forms.ModelChoiceField(queryset=Player.objects.none())\n\n"
            "    def __init__(self, *args, **kwargs):\n        super().__init__(*args, **kwargs)\n"
            "        self.fields['player'].queryset = Player.objects.filter(name__startswith='A')\n",
            message_contains="team",
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        from ._prefilter import choice_field_could_match

        return choice_field_could_match(view)

    # -- collecting ---------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.ctx.stack.frames and any(f.kind != "module" for f in self.ctx.stack.frames):
            return
        if not isinstance(node.body, cst.IndentedBlock):
            return
        fields: Dict[str, _Field] = {}
        for stmt in node.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)):
                    continue
                if not isinstance(small.value, cst.Call):
                    continue
                field = self._field(small.targets[0].target.value, small.value)
                if field is not None:
                    fields[field.name] = field
        if not fields:
            return
        self._scan_methods(node, fields)
        for field in fields.values():
            if field.opaque:
                continue
            if field.querysets:
                for expr in field.querysets:
                    self._check(field, expr)
                continue
            queryset = _kwarg(field.call, "queryset", 0)
            if queryset is not None:
                self._check(field, queryset)

    def _field(self, name: str, call: cst.Call) -> Optional[_Field]:
        """The field ``call`` builds, when it is a model choice field whose labels we read."""
        values = list(self.ctx.names.values(call.func))
        if len(values) != 1 or not isinstance(values[0], str):
            return None
        label: Optional[ast.FunctionDef] = None
        if values[0] not in CHOICE_FIELDS:
            found = self._subclass_label(values[0])
            if found is None:
                return None
            label = found[0]
        widget = _kwarg(call, "widget")
        if widget is not None:
            target = widget.func if isinstance(widget, cst.Call) else widget
            if self.ctx.names.resolve(target) not in _WIDGETS:
                return None
        if any(a.star for a in call.args):
            return None
        return _Field(name, call, label)

    def _subclass_label(self, qualname: str) -> Optional[Tuple[Optional[ast.FunctionDef]]]:
        """A project subclass of a choice field: (its ``label_from_instance``, or None for
        ``str(obj)``), or None when the class is not one or overrides what we do not read."""
        project = self.ctx.project
        cls = project.class_facts(qualname) if project is not None and hasattr(project, "class_facts") else None
        if cls is None:
            return None
        label: Optional[ast.FunctionDef] = None
        for klass in project.mro(cls):
            if isinstance(klass, str):
                if klass in CHOICE_FIELDS:
                    return (label,)
                if klass != "object":
                    return None
                continue
            if any(name in klass.methods or name in klass.attributes for name in _OPAQUE):
                return None
            if label is None and "label_from_instance" in klass.methods:
                node = self._method(self._facts_class(klass.qualname), "label_from_instance")
                if node is None:
                    return None
                label = node
        return None

    def _scan_methods(self, node: cst.ClassDef, fields: Dict[str, _Field]) -> None:
        """``self.fields["x"].queryset = ...`` in the class's methods; any other use of
        ``self.fields["x"]`` that may change its choices leaves the field unread."""
        from fftlint.engine.walk import descendants

        assert isinstance(node.body, cst.IndentedBlock)
        for stmt in node.body.body:
            if not isinstance(stmt, cst.FunctionDef):
                continue
            targets: set = set()
            for n in descendants(stmt.body):
                if isinstance(n, cst.Assign) and len(n.targets) == 1:
                    t = n.targets[0].target
                    if isinstance(t, cst.Attribute):
                        key = _fields_key(t.value)
                        if key in fields:
                            targets.add(id(t.value))
                            if t.attr.value == "queryset":
                                fields[key].querysets.append(n.value)
                            elif t.attr.value not in _HARMLESS:
                                fields[key].opaque = True
            for n in descendants(stmt.body):
                if isinstance(n, cst.Subscript) and id(n) not in targets:
                    key = _fields_key(n)
                    if key in fields:
                        fields[key].opaque = True  # read, passed on, replaced...

    # -- the check ----------------------------------------------------------------
    def _label_reads(self, field: _Field, model: Model) -> List[Read]:
        if field.label is not None:
            return self._reads(field.label, 1, model, 0)
        builtin = BUILTIN_STR_READS.get(model.qualname)
        if builtin is not None:
            return [Read("__str__", path, SELECT_RELATED, f"self.{path}") for path in builtin]
        return self._member(model, "__str__", 1)

    def _check(self, field: _Field, expr: cst.BaseExpression) -> None:
        q: Optional[Query] = self.qa.analyze(expr)
        if q is None or q.orm != "django" or q.model is None or not q.instances or q.custom or q.loads_unknown or q.terminal is not None:
            return
        if self.qa.index.orm_of(q.model) != "django" or "none" in q.methods:
            return  # ``.none()`` lists no row (a placeholder a method replaces)
        reads = self._label_reads(field, q.model)
        missing = [r for r in reads if r.loader == "query" or not q.covers(r.path)]
        if not missing:
            return
        how = "label_from_instance(obj)" if field.label is not None else f"str({q.model.name})"
        select = []
        for r in missing:
            if r.loader == SELECT_RELATED and r.path not in select:
                select.append(r.path)
        select = [p for p in select if not any(o != p and o.startswith(p + "__") for o in select)]
        first = missing[0]
        if select:
            args = ", ".join(f'"{p}"' for p in select)
            what = f"reads {', '.join(_shown(r.how) for r in missing if r.loader == SELECT_RELATED)} (a query per choice)"
            hint = f"add `.select_related({args})` to the queryset"
            fix = None if q.no_fix else replace(expr, f"{self.ctx.code_for(expr)}.select_related({args})", safety=UNSAFE, title=f"Add `.select_related({args})`")
        elif first.loader == PREFETCH_RELATED:
            what = f"reads {_shown(first.how)} (a query per choice)"
            hint = f'add `.prefetch_related("{first.path}")` to the queryset'
            fix = None
        else:
            what = f"runs {_shown(first.how)} (a query per choice)"
            hint = "annotate the value on the queryset"
            fix = None
        self.report(expr, field=field.name, how=how, what=what, hint=hint, fix=fix)
