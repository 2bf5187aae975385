"""FFT204: a ``SerializerMethodField`` whose method runs a query of its own per row
(another model's queryset, a project helper that queries), for a list view whose
queryset cannot serve it: the fix is an annotation on the view's queryset."""

import textwrap

from fftlint.testing import lint_module


MODELS = textwrap.dedent(
    """
    from django.db import models

    class Book(models.Model):
        title = models.CharField(max_length=10)

    class Review(models.Model):
        book = models.ForeignKey(Book, related_name="reviews", on_delete=models.CASCADE)
        stars = models.IntegerField()
    """
)
HELPERS = textwrap.dedent(
    """
    from functools import lru_cache

    from django.db.models import Avg

    from .models import Review

    def average_stars(book):
        return Review.objects.filter(book=book).aggregate(a=Avg("stars"))["a"]

    @lru_cache(maxsize=None)
    def star_labels():
        return list(Review.objects.values_list("stars", flat=True).distinct())
    """
)


def found(tmp_path, body):
    code = "from rest_framework import generics, serializers\nfrom .models import Book, Review\nfrom .stats import average_stars, star_labels\n" + textwrap.dedent(body)
    files = {"lib/__init__.py": "", "lib/models.py": MODELS, "lib/stats.py": HELPERS, "lib/api.py": code}
    lines, diags = lint_module(tmp_path, files, "lib/api.py", ["FFT204"])
    return [(" ".join(lines[d.span.line - 1].split()), d.message.split(" for each row")[0]) for d in diags]


def test_a_query_behind_a_helper_or_of_another_model_per_row(tmp_path):
    assert found(
        tmp_path,
        """
        class BookStats(serializers.ModelSerializer):
            avg = serializers.SerializerMethodField()
            n = serializers.SerializerMethodField()

            class Meta:
                model = Book
                fields = ["id", "avg", "n"]

            def get_avg(self, obj):
                return average_stars(obj)

            def get_n(self, obj):
                return Review.objects.filter(book=obj, stars=5).count()

        class BookStatsView(generics.ListAPIView):
            serializer_class = BookStats
            queryset = Book.objects.all()
        """,
    ) == [
        ("queryset = Book.objects.all()", "`BookStats.avg` runs a query (`get_avg` runs `average_stars -> Review.objects.aggregate`)"),
        ("queryset = Book.objects.all()", "`BookStats.n` runs a query (`get_n` runs `Review.objects.count`)"),
    ]


def test_a_memoized_helper_and_a_method_without_queries_stay_silent(tmp_path):
    assert found(
        tmp_path,
        """
        class BookLabels(serializers.ModelSerializer):
            labels = serializers.SerializerMethodField()
            upper = serializers.SerializerMethodField()

            class Meta:
                model = Book
                fields = ["id", "labels", "upper"]

            def get_labels(self, obj):
                return star_labels()

            def get_upper(self, obj):
                return obj.title.upper()

        class BookLabelsView(generics.ListAPIView):
            serializer_class = BookLabels
            queryset = Book.objects.all()
        """,
    ) == []


def test_what_to_representation_reads_of_its_instance(tmp_path):
    assert found(
        tmp_path,
        """
        class ReviewCard(serializers.ModelSerializer):
            class Meta:
                model = Review
                fields = ["id", "stars"]

            def to_representation(self, instance):
                data = super().to_representation(instance)
                data["book"] = instance.book.title
                return data

        class Cards(generics.ListAPIView):
            serializer_class = ReviewCard
            queryset = Review.objects.all()

        class LoadedCards(generics.ListAPIView):
            serializer_class = ReviewCard
            queryset = Review.objects.select_related("book")
        """,
    ) == [("queryset = Review.objects.all()", "`ReviewCard.to_representation` reads `book` (`to_representation` reads `instance.book`)")]
