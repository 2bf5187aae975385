"""FFT203: a ``cached_property`` is memoized on its instance. Read on the loop's own row,
each pass reads it on a new row: its query runs once per row. Read on one object the
loop does not change (``self.settings``), it runs once."""

import textwrap

from fftlint.testing import lint_module


MODELS = textwrap.dedent(
    """
    from functools import cached_property

    from django.db import models
    from django.utils.functional import cached_property as django_cached_property

    class Post(models.Model):
        title = models.CharField(max_length=10)

        @cached_property
        def latest_comment(self):
            return self.comments.order_by("-id").first()

        @django_cached_property
        def comment_count(self):
            return self.comments.filter(hidden=False).count()

    class Comment(models.Model):
        post = models.ForeignKey(Post, related_name="comments", on_delete=models.CASCADE)
        hidden = models.BooleanField(default=False)

    class Digest:
        @cached_property
        def featured(self):
            return Post.objects.filter(title__startswith="*").first()
    """
)


def found(tmp_path, body, models=MODELS):
    code = "from .models import Digest, Post\n" + textwrap.dedent(body)
    lines, diags = lint_module(tmp_path, {"blog/__init__.py": "", "blog/models.py": models, "blog/views.py": code}, "blog/views.py", ["FFT203"])
    return [" ".join(lines[d.span.line - 1].split()) for d in diags]


def test_a_cached_property_of_each_row_runs_per_row(tmp_path):
    assert found(
        tmp_path,
        """
        def feed():
            return [(p.title, p.latest_comment) for p in Post.objects.all()]

        def counts():
            out = {}
            for post in Post.objects.filter(title="x"):
                out[post.pk] = post.comment_count
            return out
        """,
    ) == ["return [(p.title, p.latest_comment) for p in Post.objects.all()]", "out[post.pk] = post.comment_count"]


def test_a_cached_property_of_one_object_runs_once(tmp_path):
    assert found(
        tmp_path,
        """
        def page(digest: Digest, titles):
            return [(t, digest.featured) for t in titles]
        """,
    ) == []


def test_a_cached_property_over_a_read_a_prefetch_serves_stays_silent(tmp_path):
    # ``has_notes`` (``self.notes.exists()``) is often prefetched or assigned by the code
    # that builds the rows: unknown, so silent
    models = MODELS + textwrap.dedent(
        """
        class Tagged(models.Model):
            @cached_property
            def has_notes(self):
                return self.notes.exists()

        class Note(models.Model):
            tagged = models.ForeignKey(Tagged, related_name="notes", on_delete=models.CASCADE)
        """
    )
    body = """
        from .models import Tagged

        def flags():
            return [t.has_notes for t in Tagged.objects.all()]
        """
    assert found(tmp_path, body, models=models) == []
