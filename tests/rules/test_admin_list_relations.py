"""FFT207 beyond its examples: cross-file models and registration, Django's
select_related() for foreign keys named directly (nullable ones skipped), readable and
unreadable get_queryset overrides, and fixes that are stable on a second run."""

import os
import shutil
import textwrap

from fftlint.cli import main
from fftlint.fix import parses

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "n_plus_one", "bookshop_admin")

MODELS = textwrap.dedent(
    """
    from django.db import models

    class Owner(models.Model):
        name = models.CharField(max_length=20)

    class Shelf(models.Model):
        label = models.CharField(max_length=20)
        owner = models.ForeignKey(Owner, null=True, on_delete=models.SET_NULL)
        keeper = models.ForeignKey(Owner, related_name="kept", on_delete=models.CASCADE)

        def __str__(self):
            return f"{self.label} of {self.keeper.name}"

    class Item(models.Model):
        name = models.CharField(max_length=20)
        shelf = models.ForeignKey(Shelf, on_delete=models.CASCADE, related_name="items")
    """
)


def _project(tmp_path, admin_files, django="Django>=4.2,<6.0"):
    """A package ``store`` under ``tmp_path``, whose ``requirements.txt`` declares
    ``django`` (None: no requirement declared)."""
    if django is not None:
        (tmp_path / "requirements.txt").write_text(django + "\n")
    pkg = tmp_path / "store"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text(MODELS)
    for name, text in admin_files.items():
        path = pkg / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return pkg


def _run(pkg, capsys, *extra):
    main([str(pkg), "--select", "FFT207", "--no-cache", "--jobs", "1", *extra])
    out = capsys.readouterr().out
    return [line for line in out.splitlines() if "FFT207" in line]


def test_nullable_foreign_key_named_directly_is_not_loaded_by_django(tmp_path, capsys):
    pkg = _project(tmp_path, {"admin.py": """
        from django.contrib import admin
        from .models import Shelf

        @admin.register(Shelf)
        class ShelfAdmin(admin.ModelAdmin):
            list_display = ("label", "owner", "keeper")
        """})
    found = _run(pkg, capsys)
    assert len(found) == 1 and "`owner`" in found[0] and "nullable" in found[0]  # keeper: not null, loaded


ADMIN_NAMING_OWNER = {"admin.py": """
    from django.contrib import admin
    from .models import Shelf

    @admin.register(Shelf)
    class ShelfAdmin(admin.ModelAdmin):
        list_display = ("label", "owner", "keeper")

        def keeper_owner(self, obj):
            return obj.keeper.name
    """}


def test_django_6_1_selects_the_named_foreign_keys_so_a_nullable_one_is_loaded(tmp_path, capsys):
    # from 6.1 the changelist selects exactly the FKs named in list_display, nullable ones too
    pkg = _project(tmp_path, ADMIN_NAMING_OWNER, django="Django>=5.2")
    assert _run(pkg, capsys) == []


def test_no_declared_django_reports_only_what_no_version_loads(tmp_path, capsys):
    pkg = _project(tmp_path, {"admin.py": """
        from django.contrib import admin
        from .models import Item

        @admin.register(Item)
        class ItemAdmin(admin.ModelAdmin):
            list_display = ("name", "shelf", "shelf_owner")

            def shelf_owner(self, obj):
                return obj.shelf.owner.name
        """}, django=None)
    found = _run(pkg, capsys)
    # shelf: named, loaded by every version; shelf__owner: nullable (skipped before 6.1)
    # and not named (not selected from 6.1): one query per row on every version
    assert len(found) == 1 and "shelf__owner" in found[0] and "before 6.1" not in found[0]


def test_registered_by_the_package_init(tmp_path, capsys):
    pkg = _project(tmp_path, {
        "admin/__init__.py": """
            from django.contrib import admin
            from ..models import Item
            from .items import ItemAdmin

            admin.site.register(Item, ItemAdmin)
            """,
        "admin/items.py": """
            from django.contrib import admin

            class ItemAdmin(admin.ModelAdmin):
                list_display = ("name", "shelf_keeper")
                list_select_related = ("shelf",)

                def shelf_keeper(self, obj):
                    return obj.shelf.keeper.name
            """,
    })
    found = _run(pkg, capsys)
    assert len(found) == 1 and "shelf__keeper" in found[0]


def test_str_of_a_directly_named_fk_outside_list_select_related(tmp_path, capsys):
    # Django renders str(item.shelf), whose __str__ reads shelf.keeper
    pkg = _project(tmp_path, {"admin.py": """
        from django.contrib import admin
        from .models import Item

        class ItemAdmin(admin.ModelAdmin):
            list_display = ("name", "shelf")
            list_select_related = ("shelf",)

        admin.site.register(Item, ItemAdmin)
        """})
    found = _run(pkg, capsys)
    assert len(found) == 1 and "shelf__keeper" in found[0]


def test_get_queryset_bound_to_a_name_and_unknown_helpers(tmp_path, capsys):
    pkg = _project(tmp_path, {"admin.py": """
        from django.contrib import admin
        from .models import Owner, Shelf

        @admin.register(Shelf)
        class ShelfAdmin(admin.ModelAdmin):
            list_display = ("label", "n_items")

            def get_queryset(self, request):
                qs = super().get_queryset(request)
                return qs.prefetch_related("items")

            def n_items(self, obj):
                return obj.items.count()

        @admin.register(Owner)
        class OwnerAdmin(admin.ModelAdmin):
            list_display = ("name", "n_kept")

            def get_queryset(self, request):
                return tune(super().get_queryset(request))

            def n_kept(self, obj):
                return obj.kept.count()
        """})
    assert _run(pkg, capsys) == []


def test_a_query_per_row_is_reported_without_a_fix(tmp_path, capsys):
    pkg = _project(tmp_path, {"admin.py": """
        from django.contrib import admin
        from .models import Shelf

        @admin.register(Shelf)
        class ShelfAdmin(admin.ModelAdmin):
            list_display = ("label", "n_big")

            def n_big(self, obj):
                return obj.items.filter(name__startswith="big").count()
        """})
    before = (pkg / "admin.py").read_text()
    found = _run(pkg, capsys, "--fix", "--unsafe-fixes")
    assert len(found) == 1 and "runs a query" in found[0]
    assert (pkg / "admin.py").read_text() == before


def test_unsafe_fixes_on_the_fixture_reparse_and_are_stable(tmp_path, capsys):
    target = tmp_path / "bookshop_admin"
    shutil.copytree(ROOT, target)
    before = {p: p.read_text() for p in target.rglob("*.py")}
    args = [str(target), "--select", "FFT207", "--fix", "--unsafe-fixes", "--no-cache", "--jobs", "1"]
    main(args)
    texts = {p: p.read_text() for p in target.rglob("*.py")}
    assert all(parses(t) for t in texts.values())
    changed = {p.relative_to(target).as_posix() for p in texts if texts[p] != before[p]}
    assert changed == {"bookstore_admin_app/admin.py"}
    admin_py = texts[target / "bookstore_admin_app" / "admin.py"]
    assert 'list_select_related = ("book", "book__author", "book__publisher")' in admin_py
    assert 'list_select_related = ("agent",)' in admin_py  # after NovelistAdmin.list_display
    capsys.readouterr()
    main(args)
    assert {p: p.read_text() for p in target.rglob("*.py")} == texts
    left = [line for line in capsys.readouterr().out.splitlines() if "FFT207" in line]
    assert len(left) == 2 and all("prefetch_related" in line for line in left)  # collections: no fix


def test_a_class_under_an_if_is_reported_without_the_insertion_fix(tmp_path, capsys):
    # the class body's indentation is relative to the `if`: no text to write safely
    pkg = _project(tmp_path, {"admin.py": """
        from django.conf import settings
        from django.contrib import admin
        from .models import Shelf

        if settings.DEBUG:
            @admin.register(Shelf)
            class ShelfAdmin(admin.ModelAdmin):
                list_display = ("label", "owner")
        """})
    before = (pkg / "admin.py").read_text()
    found = _run(pkg, capsys, "--fix", "--unsafe-fixes")
    assert len(found) == 1 and "`owner`" in found[0]
    assert (pkg / "admin.py").read_text() == before


def test_a_prefetched_collection_queried_again_is_a_query_per_row(tmp_path, capsys):
    pkg = _project(tmp_path, {"admin.py": """
        from django.contrib import admin
        from .models import Shelf

        @admin.register(Shelf)
        class ShelfAdmin(admin.ModelAdmin):
            list_display = ("label", "item_names", "n_items")

            def get_queryset(self, request):
                return super().get_queryset(request).prefetch_related("items")

            def item_names(self, obj):
                return ", ".join(i.name for i in obj.items.all().order_by("name"))

            def n_items(self, obj):
                return obj.items.all().count()
        """})
    found = _run(pkg, capsys)
    assert len(found) == 1 and "item_names" in found[0] and "runs a query" in found[0]
