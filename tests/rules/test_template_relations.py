"""FFT206: the template reader, the per-row walk, template lookup and the result cache."""

from __future__ import annotations

import os
import shutil

from fftlint import api
from fftlint.analysis.orm import index_for_source
from fftlint.cache import Cache
from fftlint.config.settings import Settings
from rules.n_plus_one._templates import parse_template, resolve, template_files
from rules.n_plus_one.template_relations import app_label, per_row_reads

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "n_plus_one", "bookshop")

MODELS = (
    "from django.db import models\n"
    "class Author(models.Model):\n    name = models.CharField(max_length=9)\n"
    "class Tag(models.Model):\n    label = models.CharField(max_length=9)\n"
    "class Book(models.Model):\n    title = models.CharField(max_length=9)\n"
    "    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name='books')\n"
    "    tags = models.ManyToManyField(Tag)\n"
)


def _reads(template: str, source: str = "object_list"):
    index = index_for_source(MODELS, "shop.models")
    book = index.find("shop.models.Book")
    return [(path, loader, line) for path, loader, line, _ in per_row_reads(parse_template(template.encode()), {source: ("rows", book), "page_obj": ("page", book)}, index)]


def test_parse_events_keep_lines_and_drop_strings_and_comments():
    events = parse_template(b'{# book.author #}\n{% for b in object_list %}\n{{ "b.author" }} {{ b.title|default:b.author.name }}\n{% endfor %}')
    assert ("for", "b", ["object_list"], 2) in events
    assert ("read", ["b", "author", "name"], 3) in events
    assert not any(e[0] == "read" and e[1] == ["b", "author"] for e in events)
    assert events[-1] == ("endfor",)


def test_verbatim_and_comment_blocks_are_skipped():
    events = parse_template(b"{% comment %}{{ b.author.name }}{% endcomment %}{% verbatim %}{{ b.author }}{% endverbatim %}")
    assert events == []


def test_forward_relation_read_per_row():
    assert _reads("{% for b in object_list %}{{ b.author.name }}{% endfor %}") == [("author", "select_related", 1)]


def test_reads_outside_the_loop_are_not_per_row():
    assert _reads("{{ b.author.name }}{% for b in object_list %}{% endfor %}{{ b.author }}") == []


def test_free_reads_columns_fk_column_and_pk():
    assert _reads("{% for b in object_list %}{{ b.title }}{{ b.author_id }}{{ b.pk }}{% endfor %}") == []


def test_primary_key_through_a_relation_loads_the_related_row():
    # Django fetches the author to answer ``b.author.pk``; only ``b.author_id`` is free
    assert _reads("{% for b in object_list %}{{ b.author.pk }}{% endfor %}") == [("author", "select_related", 1)]


def test_many_relation_read_through_all_count_and_nested_loop():
    got = _reads("{% for b in page_obj %}{{ b.tags.count }}{% for t in b.tags.all %}{{ t.label }}{% endfor %}{% endfor %}")
    assert {p for p, _, _ in got} == {"tags"} and {l for _, l, _ in got} == {"prefetch_related"}


def test_nested_loop_rows_extend_the_path():
    index = index_for_source(MODELS, "shop.models")
    author = index.find("shop.models.Author")
    got = per_row_reads(parse_template(b"{% for a in authors %}{% for b in a.books.all %}{{ b.author.name }}{% endfor %}{% endfor %}"), {"authors": ("rows", author)}, index)
    assert list(dict.fromkeys((p, l) for p, l, _, _ in got)) == [("books", "prefetch_related"), ("books__author", "prefetch_related")]


def test_with_alias_and_shadowing():
    assert _reads("{% for b in object_list %}{% with a=b.author %}{{ a.name }}{% endwith %}{% endfor %}") == [("author", "select_related", 1)]
    # a loop variable named like the rows' name, bound to something else, is not a row
    assert _reads("{% for b in object_list %}{% for b in other %}{{ b.author.name }}{% endfor %}{% endfor %}") == []


def test_manager_repr_and_unknown_methods_are_not_reported():
    assert _reads("{% for b in object_list %}{{ b.tags }}{{ b.tags.first }}{% endfor %}") == []


def test_template_lookup_needs_exactly_one_file():
    files = template_files(os.path.abspath(FIXTURE))
    assert resolve(files, ["bookshop/novel_list.html"])[1].endswith(os.path.join("templates", "bookshop", "novel_list.html"))
    assert resolve(files, ["shared/list.html"]) is None  # two apps provide it
    assert resolve(files, ["bookshop/missing.html"]) is None


def test_app_label_is_the_package_of_the_models_module():
    index = index_for_source(MODELS, "shop.models")
    assert app_label(index.find("shop.models.Book")) == "shop"


def test_editing_a_template_refreshes_cached_findings(tmp_path):
    project = tmp_path / "bookshop"
    shutil.copytree(FIXTURE, str(project))
    (tmp_path / "pyproject.toml").write_text("")
    cache = Cache(str(tmp_path / ".cache"))

    def run():
        config = api.make_config(Settings(root=str(tmp_path)), select=["FFT206"])
        results = api.lint_paths([str(project)], config, jobs=1, cache=cache)
        return sorted(d.span.line for r in results if r.path.endswith("views.py") for d in r.diagnostics)

    first = run()
    assert 11 in first  # BookListView: novel_list.html reads book.author.name
    listing = project / "templates" / "bookshop" / "novel_list.html"
    listing.write_text(listing.read_text().replace("book.author.name", "book.author_id"))
    st = os.stat(str(listing))
    os.utime(str(listing), ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert 11 not in run()


def test_a_model_member_the_template_calls_reads_its_relations_per_row():
    index = index_for_source(MODELS, "shop.models")
    book = index.find("shop.models.Book")

    def members(model, name):
        return ["author"] if (model.name, name) == ("Book", "author_name") else []

    events = parse_template(b"{% for b in object_list %}{{ b.author_name }} {{ b.title }} {{ b.shelf_label }}{% endfor %}")
    got = [(path, loader, line) for path, loader, line, _ in per_row_reads(events, {"object_list": ("rows", book)}, index, members)]
    assert got == [("author", "select_related", 1)]
