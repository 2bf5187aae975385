"""FFT206: the template reader, the per-row walk, template lookup and the result cache."""

from __future__ import annotations

import os
import shutil

from fftlint import api
from fftlint.analysis.orm import index_for_source
from fftlint.cache import Cache
from fftlint.config.settings import Settings
from rules.n_plus_one._templates import expand, parse_template, resolve, template_files
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
    return [(path, loader, line) for path, loader, line, *_ in per_row_reads(parse_template(template.encode()), {source: ("rows", book), "page_obj": ("page", book)}, index)]


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
    assert list(dict.fromkeys((p, l) for p, l, *_ in got)) == [("books", "prefetch_related"), ("books__author", "prefetch_related")]


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
    assert 12 in first  # BookListView: novel_list.html reads book.author.name
    listing = project / "templates" / "bookshop" / "novel_list.html"
    listing.write_text(listing.read_text().replace("book.author.name", "book.author_id"))
    st = os.stat(str(listing))
    os.utime(str(listing), ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert 12 not in run()


def test_a_model_member_the_template_calls_reads_its_relations_per_row():
    index = index_for_source(MODELS, "shop.models")
    book = index.find("shop.models.Book")

    def members(model, name):
        return ["author"] if (model.name, name) == ("Book", "author_name") else []

    events = parse_template(b"{% for b in object_list %}{{ b.author_name }} {{ b.title }} {{ b.shelf_label }}{% endfor %}")
    got = [(path, loader, line) for path, loader, line, *_ in per_row_reads(events, {"object_list": ("rows", book)}, index, members)]
    assert got == [("author", "select_related", 1)]


def _expanded_reads(templates, name="child.html", source="object_list"):
    """Per-row reads of ``name`` with its parents and includes from ``templates`` (name -> text)."""
    index = index_for_source(MODELS, "shop.models")
    book = index.find("shop.models.Book")

    def load(other):
        return ("/t/" + other, parse_template(templates[other].encode())) if other in templates else None

    events = expand(name, "/t/" + name, parse_template(templates[name].encode()), load)
    return [(path, line, t_name) for path, _, line, _, t_name, _ in per_row_reads(events, {source: ("rows", book)}, index)]


def test_parse_extends_block_and_include_events():
    events = parse_template(b'{% extends "base.html" %}\n{% block rows %}{% include "row.html" with item=b.author only %}{% endblock rows %}{% include tpl %}')
    assert events[0] == ("extends", "base.html", 1)
    assert ("block", "rows", 2) in events and ("endblock",) in events
    assert ("include", "row.html", [("item", ["b", "author"])], True, 2) in events
    assert ("include", None, [], False, 2) in events


def test_loop_in_the_parent_reads_in_the_childs_block():
    templates = {
        "base_list.html": "{% for b in object_list %}\n{% block row %}{{ b.title }}{% endblock %}\n{% endfor %}",
        "child.html": '{% extends "base_list.html" %}\n{% block row %}{{ b.author.name }}{% endblock %}',
    }
    assert _expanded_reads(templates) == [("author", 2, "child.html")]


def test_a_block_the_child_overrides_replaces_the_parents():
    templates = {
        "base_list.html": "{% block rows %}{% for b in object_list %}{{ b.author.name }}{% endfor %}{% endblock %}",
        "child.html": '{% extends "base_list.html" %}{% block rows %}{% for b in object_list %}{{ b.title }}{% endfor %}{% endblock %}',
        "kept.html": '{% extends "base_list.html" %}{% block title %}{{ b.tags.count }}{% endblock %}',
    }
    assert _expanded_reads(templates) == []
    # a child that does not override the block renders the parent's loop
    assert _expanded_reads(templates, "kept.html") == [("author", 1, "base_list.html")]


def test_three_levels_and_text_outside_a_childs_blocks_is_not_rendered():
    templates = {
        "root.html": "{% for b in object_list %}{% block cell %}{% endblock %}{% endfor %}",
        "mid.html": '{% extends "root.html" %}{% block cell %}{{ b.title }}{% endblock %}',
        "child.html": '{% extends "mid.html" %}{% for b in object_list %}{{ b.tags.all }}{% endfor %}{% block cell %}{{ b.author }}{% endblock %}',
    }
    assert _expanded_reads(templates) == [("author", 1, "child.html")]


def test_an_unresolved_parent_leaves_the_template_as_written():
    templates = {"child.html": '{% extends "elsewhere.html" %}{% block c %}{% for b in object_list %}{{ b.author }}{% endfor %}{% endblock %}'}
    assert _expanded_reads(templates) == [("author", 1, "child.html")]


def test_include_in_a_loop_sees_the_loop_variable_and_with_bindings():
    templates = {
        "row.html": "{{ b.author.name }}",
        "item.html": "{{ item.tags.count }}",
        "child.html": '{% for b in object_list %}{% include "row.html" %}\n{% include "item.html" with item=b %}{% endfor %}',
    }
    assert _expanded_reads(templates) == [("author", 1, "row.html"), ("tags", 1, "item.html")]


def test_include_only_hides_the_loop_variable_and_unknown_includes_are_skipped():
    templates = {
        "row.html": "{{ b.author.name }}{{ item.author }}",
        "child.html": '{% for b in object_list %}{% include "row.html" only %}{% include "row.html" with item=b.pk only %}{% include "none.html" %}{% include name %}{% endfor %}{% include "row.html" %}',
    }
    assert _expanded_reads(templates) == []


def test_include_cycles_stop():
    templates = {
        "a.html": '{% include "child.html" %}{{ b.author }}',
        "child.html": '{% for b in object_list %}{% include "a.html" %}{% endfor %}',
    }
    assert _expanded_reads(templates) == [("author", 1, "a.html")]


def test_editing_a_parent_template_refreshes_cached_findings(tmp_path):
    project = tmp_path / "bookshop"
    shutil.copytree(FIXTURE, str(project))
    (tmp_path / "pyproject.toml").write_text("")
    cache = Cache(str(tmp_path / ".cache"))

    def run():
        config = api.make_config(Settings(root=str(tmp_path)), select=["FFT206"])
        results = api.lint_paths([str(project)], config, jobs=1, cache=cache)
        return sorted((d.span.line, d.message) for r in results if r.path.endswith("views.py") for d in r.diagnostics)

    first = run()
    assert any("shared/book_row.html" in m for _, m in first)
    row = project / "templates" / "shared" / "book_row.html"
    row.write_text(row.read_text().replace("book.author.name", "book.author_id"))
    st = os.stat(str(row))
    os.utime(str(row), ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert not any("shared/book_row.html" in m for _, m in run())


def _object_reads(template: str):
    index = index_for_source(MODELS, "shop.models")
    author = index.find("shop.models.Author")
    got = per_row_reads(parse_template(template.encode()), {"author": ("object", author)}, index)
    return list(dict.fromkeys((path, loader, line) for path, loader, line, *_ in got))


def test_detail_object_rows_are_its_to_many_relations_only():
    # a loop over one relation of the object: what each row reads is per row
    assert _object_reads("{% for b in author.books.all %}{{ b.tags.count }}{% endfor %}") == [("books__tags", "prefetch_related", 1)]
    assert _object_reads("{% with bs=author.books.all %}{% for b in bs %}{% for t in b.tags.all %}{{ t.label }}{% endfor %}{% endfor %}{% endwith %}") == [("books__tags", "prefetch_related", 1)]
    # the object's own reads and the loop itself are one query each, not one per row
    assert _object_reads("{{ author.books.count }}{% for b in author.books.all %}{{ b.title }}{% endfor %}") == []
    assert _object_reads("{% for b in author.books.filter %}{{ b.tags.count }}{% endfor %}") == []


def test_a_read_on_the_first_or_last_pass_only_is_not_per_row():
    template = (
        "{% for b in object_list %}"
        "{% if forloop.first %}{{ b.author.name }}{% for t in b.tags.all %}{{ t.label }}{% endfor %}{% endif %}"
        "{% if forloop.last %}{{ b.author }}{% else %}{% endif %}"
        "{% endfor %}"
    )
    assert _reads(template) == []
    # the other branch, another test, or a loop opened inside the guard: per row again
    assert _reads("{% for b in object_list %}{% if forloop.first %}{% else %}{{ b.author.name }}{% endif %}{% endfor %}") == [("author", "select_related", 1)]
    assert _reads("{% for b in object_list %}{% if b.title %}{{ b.author.name }}{% endif %}{% endfor %}") == [("author", "select_related", 1)]
    assert _reads("{% for b in object_list %}{% if not forloop.first %}{{ b.author.name }}{% endif %}{% endfor %}") == [("author", "select_related", 1)]
