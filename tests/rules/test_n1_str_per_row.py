"""FFT202: a row shown as text (``str(row)``, ``f"{row}"``, ``"{}".format(row)``,
``"%s" % row``) runs its model's ``__str__``, and loads per row what that reads."""

import textwrap

from fftlint.testing import lint_module


MODELS = textwrap.dedent(
    """
    from django.db import models

    class Author(models.Model):
        name = models.CharField(max_length=10)

    class Book(models.Model):
        title = models.CharField(max_length=10)
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

        def __str__(self):
            return f"{self.title} ({self.author.name})"

    class Shelf(models.Model):
        label = models.CharField(max_length=10)
        book = models.ForeignKey(Book, on_delete=models.CASCADE)

        def __str__(self):
            return self.label
    """
)


def found(tmp_path, body):
    code = "from .models import Author, Book, Shelf\n" + textwrap.dedent(body)
    lines, diags = lint_module(tmp_path, {"lib/__init__.py": "", "lib/models.py": MODELS, "lib/jobs.py": code}, "lib/jobs.py", ["FFT202"])
    return [(lines[d.span.line - 1].strip(), d.message.split(" loads ")[0]) for d in diags]


def test_each_way_of_showing_a_row_as_text(tmp_path):
    assert found(
        tmp_path,
        """
        def labels():
            return [str(b) for b in Book.objects.all()]

        def report():
            for b in Book.objects.filter(title="x"):
                print(f"- {b}")

        def joined():
            return "; ".join("{}".format(b) for b in Book.objects.all())

        def old_style():
            for b in Book.objects.all():
                print("%s: %d" % (b, b.pk))
        """,
    ) == [
        ("return [str(b) for b in Book.objects.all()]", "`str(b)` (its `__str__` reads `self.author`)"),
        ('print(f"- {b}")', "`{b}` (its `__str__` reads `self.author`)"),
        ('return "; ".join("{}".format(b) for b in Book.objects.all())', '`"{}".format(b)` (its `__str__` reads `self.author`)'),
        ('print("%s: %d" % (b, b.pk))', '`"%s: %d" % (b, b.pk)` (its `__str__` reads `self.author`)'),
    ]


def test_loaded_or_harmless_text_stays_silent(tmp_path):
    assert found(
        tmp_path,
        """
        def loaded():
            return [str(b) for b in Book.objects.select_related("author")]

        def own_fields_only():
            return [str(s) for s in Shelf.objects.all()]

        def a_column():
            return [f"{b.title}" for b in Book.objects.all()]

        def repr_is_not_str():
            return [f"{b!r}" for b in Book.objects.all()]

        def not_a_row(values):
            return [str(v) for v in values]

        def shadowed_str():
            str = lambda x: "?"
            return [str(b) for b in Book.objects.all()]
        """,
    ) == []


def test_a_relation_shown_as_text_runs_the_related_rows_str(tmp_path):
    assert sorted(found(
        tmp_path,
        """
        def shelves():
            for s in Shelf.objects.all():
                print(str(s.book))
            for s in Shelf.objects.select_related("book"):
                print(str(s.book))
        """,
    )) == [
        ("print(str(s.book))", "`s.book`"),
        ("print(str(s.book))", "`str(s.book)` (its `__str__` reads `self.author`)"),
        ("print(str(s.book))", "`str(s.book)` (its `__str__` reads `self.author`)"),
    ]
