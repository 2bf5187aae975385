"""The ast model summarizer and index behind the FFT2xx rules."""

import pickle
import textwrap

from fftlint.analysis.orm import PREFETCH_RELATED, SELECT_RELATED, SQLA_LOAD, ModelIndex, build_model_index, summarize_models

DJANGO = textwrap.dedent(
    '''
    from django.db import models
    from django.db.models import ForeignKey as FK


    class Stamped(models.Model):
        owner = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="%(class)s_owned")

        class Meta:
            abstract = True


    class Author(Stamped):
        name = models.CharField(max_length=100)
        mentor = models.ForeignKey("self", null=True, on_delete=models.SET_NULL, related_name="+")


    class Book(Stamped):
        author = FK(Author, on_delete=models.CASCADE, related_name="books")
        publisher = models.ForeignKey("shop.Publisher", on_delete=models.CASCADE)
        tags = models.ManyToManyField("Tag")
        objects = models.Manager()
        published = PublishedManager()


    class Profile(models.Model):
        author = models.OneToOneField(Author, on_delete=models.CASCADE)


    class NotAModel:
        author = None
    '''
)

OTHER = textwrap.dedent(
    '''
    from django.db import models

    class Publisher(models.Model):
        name = models.CharField(max_length=10)

    class Tag(models.Model):
        label = models.CharField(max_length=10)
    '''
)

SQLA = textwrap.dedent(
    '''
    from typing import List
    from sqlalchemy import ForeignKey
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, backref

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        addresses: Mapped[List["Address"]] = relationship(back_populates="user")
        orders = relationship("Order", lazy="selectin", backref=backref("buyer", lazy="joined"))
        groups = relationship("Group", backref="members")

    class Address(Base):
        __tablename__ = "addresses"
        user: Mapped["User"] = relationship(back_populates="addresses")

    class Order(Base):
        __tablename__ = "orders"

    class Group(Base):
        __tablename__ = "groups"
    '''
)


def index():
    return ModelIndex([summarize_models(DJANGO, "shop.models"), summarize_models(OTHER, "shop.catalog")])


def test_summary_is_plain_data_and_skips_non_models():
    summary = summarize_models(DJANGO, "shop.models")
    assert pickle.loads(pickle.dumps(summary)) == summary
    names = [m["name"] for m in summary["models"]]
    assert names == ["Stamped", "Author", "Book", "Profile"]
    book = next(m for m in summary["models"] if m["name"] == "Book")
    assert book["managers"] == ["objects", "published"]
    assert {f["name"]: f["kind"] for f in book["fields"]} == {"author": "fk", "publisher": "fk", "tags": "m2m"}


def test_bad_source_summarises_to_nothing():
    assert summarize_models("class (:\n", "x")["models"] == []


def test_forward_and_reverse_django_relations():
    idx = index()
    book = idx.find("shop.models.Book")
    author = idx.find("shop.models.Author")
    assert idx.relation(book, "author").loader == SELECT_RELATED
    assert idx.relation(book, "author").target == "shop.models.Author"
    assert idx.relation(book, "publisher").target == "shop.catalog.Publisher"  # "app_label.Model"
    assert idx.relation(book, "tags").loader == PREFETCH_RELATED
    assert idx.relation(author, "books").loader == PREFETCH_RELATED and idx.relation(author, "books").many
    assert idx.relation(author, "book_set") is None  # related_name given
    assert idx.relation(idx.find("shop.catalog.Publisher"), "book_set").target == "shop.models.Book"
    assert idx.relation(idx.find("shop.catalog.Tag"), "book_set").kind == "reverse_m2m"
    # OneToOne reverse is a single object: select_related works
    assert idx.relation(author, "profile").loader == SELECT_RELATED
    # related_name="+" has no reverse accessor
    assert idx.relation(author, "mentor").target == "shop.models.Author"
    assert "+" not in idx.relations(author)


def test_abstract_base_fields_are_inherited_with_class_placeholder():
    idx = index()
    book = idx.find("shop.models.Book")
    assert idx.relation(book, "owner").target == "django.contrib.auth.models.User"
    user = idx.find("django.contrib.auth.models.User")
    assert idx.relation(user, "book_owned").target == "shop.models.Book"
    assert idx.relation(user, "author_owned").target == "shop.models.Author"
    assert idx.find("shop.models.NotAModel") is None


def test_sqlalchemy_relationships_lazy_and_backrefs():
    idx = ModelIndex([summarize_models(SQLA, "app.db")])
    user = idx.find("app.db.User")
    assert idx.find("app.db.Base") is None
    rel = idx.relation(user, "addresses")
    assert rel.loader == SQLA_LOAD and rel.lazy and rel.target == "app.db.Address"
    assert not idx.relation(user, "orders").lazy  # lazy="selectin"
    assert not idx.relation(idx.find("app.db.Order"), "buyer").lazy  # backref(lazy="joined")
    assert idx.relation(idx.find("app.db.Group"), "members").lazy
    assert not idx.relation(idx.find("app.db.Group"), "members").many  # many-to-one side of a backref
    assert idx.relation(idx.find("app.db.Address"), "user").target == "app.db.User"


def test_find_by_short_name_only_when_unique():
    idx = ModelIndex([summarize_models(OTHER, "a.models"), summarize_models(OTHER, "b.models")])
    assert idx.find("Tag") is None
    assert idx.find("Tag", near="a.models").qualname == "a.models.Tag"
    assert idx.find("a.models.Tag").qualname == "a.models.Tag"


def test_plain_and_custom_managers():
    book = next(m for m in summarize_models(DJANGO, "shop.models")["models"] if m["name"] == "Book")
    assert book["custom_managers"] == ["published"]  # models.Manager() is the plain one


def test_project_index_reads_files_and_skips_unrelated_or_broken(tmp_path):
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text(DJANGO)
    (pkg / "catalog.py").write_text(OTHER)
    (pkg / "util.py").write_text("def f():\n    return 1\n")
    (pkg / "broken.py").write_text("class Model(:\n")
    files = [str(p) for p in sorted(pkg.iterdir())]
    idx = build_model_index(files)
    assert idx.find("shop.models.Book") is not None
    assert idx.relation(idx.find("shop.catalog.Tag"), "book_set").target == "shop.models.Book"

    class Cache(dict):
        def get(self, ns, key):
            return dict.get(self, (ns, key))

        def put(self, ns, key, value):
            self[(ns, key)] = value

    cache = Cache()
    build_model_index(files, cache=cache)
    assert len(cache) == 3  # models, catalog and the broken file (mentions "Model")
    again = build_model_index(files, cache=cache)
    assert again.find("shop.models.Book") is not None


MANAGERS = textwrap.dedent(
    '''
    from django.db import models
    from django.db.models import Prefetch

    class ActiveManager(models.Manager):
        def get_queryset(self):
            """Only the active ones."""
            return super().get_queryset().filter(active=True).order_by("name")

    class WithOwnerManager(models.Manager):
        def get_queryset(self):
            return super(WithOwnerManager, self).get_queryset().select_related("owner", "owner__team").prefetch_related("tags")

    class BranchyManager(models.Manager):
        def get_queryset(self):
            qs = super().get_queryset()
            return qs.select_related("owner") if self.model.wide else qs

    class PrefetchingManager(models.Manager):
        def get_queryset(self):
            return super().get_queryset().prefetch_related(Prefetch("tags"))

    class EverythingManager(models.Manager):
        def get_queryset(self):
            return super().get_queryset().select_related()

    class Pet(models.Model):
        active = models.BooleanField()
        objects = ActiveManager()
        owned = WithOwnerManager()
        branchy = BranchyManager()
        prefetching = PrefetchingManager()
        everything = EverythingManager()
        elsewhere = ImportedManager()
    '''
)


def test_a_custom_get_queryset_that_says_what_it_loads_is_read():
    """A plain ``return super().get_queryset()....`` chain says what the manager loads;
    anything else (a branch, a ``Prefetch``, ``select_related()`` of every key, a class
    defined elsewhere) stays unknown: trusted to load anything."""
    pet = next(m for m in summarize_models(MANAGERS, "zoo.models")["models"] if m["name"] == "Pet")
    assert pet["manager_loads"] == {"objects": [], "owned": ["owner", "owner__team", "tags"]}
    assert sorted(pet["custom_managers"]) == ["branchy", "elsewhere", "everything", "prefetching"]
    idx = ModelIndex([summarize_models(MANAGERS, "zoo.models")])
    model = idx.find("zoo.models.Pet")
    assert idx.manager_loads(model, "owned") == ("owner", "owner__team", "tags")
    assert idx.manager_loads(model, "objects") == () and idx.manager_loads(model, "missing") == ()


def test_app_label_from_meta_an_abstract_parent_or_the_models_package():
    abstract = summarize_models(textwrap.dedent(
        '''
        from django.db import models

        class AbstractOffer(models.Model):
            class Meta:
                abstract = True
                app_label = "offer"
        '''
    ), module="shop.offer.abstract_models")
    concrete = summarize_models(textwrap.dedent(
        '''
        from shop.offer.abstract_models import AbstractOffer
        from shop.loading import registered

        if not registered("offer", "Offer"):
            class Offer(AbstractOffer):
                pass
        else:
            pass
        '''
    ), module="shop.offer.models")
    partner = summarize_models(textwrap.dedent(
        '''
        from django.db import models

        class Offer(models.Model):
            pass

        class Labelled(models.Model):
            class Meta:
                app_label = "elsewhere"
        '''
    ), module="shop.partner.models.offers")
    index = ModelIndex([abstract, concrete, partner])
    assert [m["name"] for m in concrete["models"]] == ["Offer"]  # a class under a module-level if
    assert index.app_label(index.models["shop.offer.models.Offer"]) == "offer"
    assert index.app_label(index.models["shop.partner.models.offers.Offer"]) == "partner"
    assert index.by_label("offer", "Offer").qualname == "shop.offer.models.Offer"
    assert index.by_label("partner", "offer").qualname == "shop.partner.models.offers.Offer"  # case-insensitive
    assert index.by_label("elsewhere", "Labelled").qualname == "shop.partner.models.offers.Labelled"
    assert index.by_label("partner", "Labelled") is None
    assert index.by_label("offer", "AbstractOffer") is None  # abstract: no table, no manager
    assert index.by_label("basket", "Offer") is None
    twice = ModelIndex([partner, summarize_models(partner_source(), module="other.partner.models")])
    assert twice.by_label("partner", "Offer") is None  # two apps labelled partner: ambiguous


def partner_source():
    return "from django.db import models\n\nclass Offer(models.Model):\n    pass\n"


def test_a_manager_class_of_another_module_is_read_from_its_own_summary():
    """``objects = PageManager()`` with ``PageManager`` imported from another project
    module: its ``get_queryset`` is read there. A fresh queryset of the manager's model
    (``PageQuerySet(self.model)``) or a plain ``super().get_queryset()`` chain says what
    it loads; anything else, or a class no module defines, stays custom (loads anything)."""
    managers = textwrap.dedent(
        '''
        from django.db import models
        from somewhere import TreeManager

        class PageQuerySet(models.QuerySet):
            pass

        class PageManager(TreeManager):
            def get_queryset(self):
                return PageQuerySet(self.model, using=self._db)

        class OwnedManager(models.Manager):
            def get_queryset(self):
                return super().get_queryset().select_related("owner").filter(live=True)

        class BranchyManager(models.Manager):
            def get_queryset(self):
                if self.model.flag:
                    return super().get_queryset().prefetch_related("tags")
                return super().get_queryset()

        class ChainedManager(models.Manager):
            def get_queryset(self):
                return PageQuerySet(self.model, using=self._db).published()

        class NoQuerysetManager(models.Manager):
            def live(self):
                return self.filter(live=True)
        '''
    )
    models_src = textwrap.dedent(
        '''
        from django.db import models
        from cms.managers import PageManager, OwnedManager, BranchyManager, ChainedManager, NoQuerysetManager, MissingManager

        class Page(models.Model):
            objects = PageManager()
            owned = OwnedManager()
            branchy = BranchyManager()
            chained = ChainedManager()
            plain = NoQuerysetManager()
            gone = MissingManager()
        '''
    )
    own = summarize_models(models_src, "cms.models")
    assert sorted(own["models"][0]["custom_managers"]) == ["branchy", "chained", "gone", "objects", "owned", "plain"]
    alone = ModelIndex([own])
    page = alone.find("cms.models.Page")
    assert sorted(alone.custom_managers(page)) == ["branchy", "chained", "gone", "objects", "owned", "plain"]
    idx = ModelIndex([own, summarize_models(managers, "cms.managers")])
    page = idx.find("cms.models.Page")
    assert sorted(idx.custom_managers(page)) == ["branchy", "chained", "gone", "plain"]  # published(): a method we do not read
    assert idx.manager_loads(page, "objects") == ()
    assert idx.manager_loads(page, "owned") == ("owner",)


def test_project_index_keeps_a_module_of_manager_classes_only(tmp_path):
    pkg = tmp_path / "cms"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "managers.py").write_text(
        "from tree import NodeManager\n\nclass PageManager(NodeManager):\n"
        "    def get_queryset(self):\n        return PageQuerySet(self.model)\n"
    )
    (pkg / "models.py").write_text(
        "from django.db import models\nfrom cms.managers import PageManager\n\n"
        "class Page(models.Model):\n    objects = PageManager()\n"
    )
    idx = build_model_index([str(p) for p in sorted(pkg.iterdir())])
    page = idx.find("cms.models.Page")
    assert idx.custom_managers(page) == ()
