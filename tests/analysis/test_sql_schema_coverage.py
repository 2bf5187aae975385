"""What counts as an index (and what makes a table's indexes unknowable) when the schema
is learned from Django models and migrations, SQLAlchemy models and Alembic (all via ast)."""

import textwrap

from fftlint.analysis.sql.schema import build_schema
from fftlint.analysis.sql.sources import summarize


def learn(tmp_path, files):
    facts = []
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        facts.append(summarize(path.read_text(), str(path)))
    return build_schema(facts)


MODELS = """
from django.db import models

class Base(models.Model):
    created = models.DateTimeField()
    class Meta:
        abstract = True
        indexes = [models.Index(fields=["created"])]

class Tag(models.Model):
    slug = models.SlugField()
    code = models.SlugField(db_index=False)
    label = AutoSlugField(populate_from="name")

class Device(Base):
    name = models.CharField(max_length=20)
    site = models.ForeignKey("shop.Site", related_name="devices", on_delete=models.CASCADE)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    parent = models.ForeignKey("self", null=True, on_delete=models.CASCADE)
    tags = models.ManyToManyField(Tag, related_name="devices")

class Site(models.Model):
    region = models.CharField(max_length=2)

class View(models.Model):
    name = models.CharField(max_length=20)
    class Meta:
        managed = False
        db_table = "some_view"

class Dynamic(models.Model):
    name = models.CharField(max_length=20)
    class Meta:
        indexes = BASE_INDEXES + [models.Index(fields=["name"])]

class Child(Base):
    title = models.CharField(max_length=20)
    class Meta(Base.Meta):
        db_table = "child"

class Stranger(models.Model):
    title = models.CharField(max_length=20)
    class Meta(SomeMixin.Meta):
        pass
"""


def test_slug_fields_are_indexed_unless_told_otherwise(tmp_path):
    s = learn(tmp_path, {"shop/models.py": MODELS})
    t = s.table("shop_tag")
    assert t.leading_indexed("slug") and t.leading_indexed("label")
    assert not t.leading_indexed("code")


def test_unmanaged_and_unreadable_meta_make_the_table_opaque(tmp_path):
    s = learn(tmp_path, {"shop/models.py": MODELS})
    assert s.table("some_view").opaque
    assert s.table("shop_dynamic").opaque
    assert s.table("shop_stranger").opaque  # Meta inherits from a class we cannot read
    assert not s.table("shop_device").opaque and not s.table("child").opaque


def test_abstract_parents_pass_on_their_indexes(tmp_path):
    s = learn(tmp_path, {"shop/models.py": MODELS})
    assert s.table("shop_device").leading_indexed("created")
    assert s.table("child").leading_indexed("created")


def test_relations_know_their_targets_and_reverse_names(tmp_path):
    s = learn(tmp_path, {"shop/models.py": MODELS})
    device = s.model("Device")
    assert device.fields["site"].target == "shop.Site"
    assert s.related_model(device, device.fields["site"]).class_name == "Site"
    assert s.related_model(device, device.fields["parent"]).class_name == "Device"
    assert s.related_model(device, device.fields["owner"]) is None  # a setting: not followed
    assert device.fields["tags"].m2m and device.column_for("tags") is None
    assert not s.table("shop_device").has_column("tags")
    rev = s.reverse(s.model("Site"), "devices")
    assert rev is not None and rev[0].class_name == "Device" and rev[1].name == "site"
    assert s.reverse(s.model("Tag"), "devices")[1].m2m
    assert s.reverse(s.model("Site"), "device") is None  # a related_name replaces the default


def test_default_reverse_name_is_the_model_name(tmp_path):
    s = learn(tmp_path, {"shop/models.py": "from django.db import models\nclass A(models.Model):\n    x = models.IntegerField()\nclass B(models.Model):\n    a = models.ForeignKey(A, on_delete=models.CASCADE)\n"})
    rev = s.reverse(s.model("A"), "b")
    assert rev is not None and rev[0].class_name == "B"


def test_django_migration_operations_that_add_indexes(tmp_path):
    s = learn(
        tmp_path,
        {
            "shop/models.py": "from django.db import models\nclass Order(models.Model):\n    a = models.IntegerField()\n    b = models.IntegerField()\n    c = models.IntegerField()\n    d = models.IntegerField()\n    e = models.IntegerField()\n",
            "shop/migrations/0002_x.py": """
                from django.db import migrations

                def forwards(apps, schema_editor):
                    with schema_editor.connection.cursor() as cursor:
                        cursor.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_e ON shop_order (e)")

                class Migration(migrations.Migration):
                    operations = [
                        migrations.AlterUniqueTogether(name="order", unique_together={("a", "b")}),
                        migrations.AlterIndexTogether(name="order", index_together={("c",)}),
                        migrations.RunSQL("CREATE INDEX ix_d ON shop_order (d);", reverse_sql="DROP INDEX ix_d"),
                        migrations.RunPython(forwards),
                    ]
            """,
        },
    )
    t = s.table("shop_order")
    assert t.leading_indexed("a") and t.leading_indexed("c") and t.leading_indexed("d") and t.leading_indexed("e")
    assert not t.leading_indexed("b")
    assert not any(ix.name == "ix_d" for ix in t.indexes) or t.leading_indexed("d")  # reverse_sql is not applied


def test_alembic_execute_ddl_is_learned(tmp_path):
    s = learn(
        tmp_path,
        {
            "app/models.py": "from sqlalchemy import Column, Integer, String\nclass Job(Base):\n    __tablename__ = 'jobs'\n    id = Column(Integer, primary_key=True)\n    state = Column(String)\n",
            "alembic/versions/0002.py": "from alembic import op\ndef upgrade():\n    op.execute('CREATE INDEX ix_jobs_state ON jobs (state)')\ndef downgrade():\n    op.execute('DROP INDEX ix_jobs_state')\n",
        },
    )
    assert s.table("jobs").leading_indexed("state")


def test_ddl_strings_outside_migrations_teach_nothing(tmp_path):
    s = learn(
        tmp_path,
        {
            "shop/models.py": "from django.db import models\nclass Order(models.Model):\n    a = models.IntegerField()\n",
            "shop/docs.py": "HELP = 'CREATE INDEX ix_a ON shop_order (a)'\n",
        },
    )
    assert not s.table("shop_order").leading_indexed("a")


SA_MODELS = """
from sqlalchemy import Column, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship


class Timestamps:
    created_at = Column(DateTime, index=True)
    updated_at = Column(DateTime)


class Customer(Timestamps, Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    email = Column(String, unique=True)
    region: Mapped[str]
    orders = relationship("Order", back_populates="customer")


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    coupon_id = Column(Integer, ForeignKey(Customer.id), index=True)
    status = Column(String(20))
    customer = relationship(Customer, back_populates="orders")
    tags = relationship("Tag", secondary="order_tags")


class RushOrder(Order):
    priority = Column(Integer)


class Dynamic(Base):
    __tablename__ = "dynamic"
    id = Column(Integer, primary_key=True)

    @declared_attr
    def __table_args__(cls):
        return (Index("ix", "id"),)
"""


def test_sqlalchemy_models_mixins_relationships_and_foreign_keys(tmp_path):
    s = learn(tmp_path, {"app/models.py": SA_MODELS})
    customer, order = s.sa_model("Customer"), s.sa_model("Order")
    assert customer.table == "customers" and customer.columns["created_at"] == "created_at"
    assert s.table("customers").leading_indexed("created_at")  # the mixin's index=True
    assert customer.columns["region"] == "region"  # Mapped[str] without mapped_column
    assert order.columns["customer_id"] == "customer_id" and order.foreign_keys == {"customer_id": "customers", "coupon_id": "customers"}
    assert not s.table("orders").leading_indexed("customer_id")  # PostgreSQL does not index FKs
    assert s.table("orders").leading_indexed("coupon_id")
    assert order.relationships == {"customer": "Customer", "tags": None}
    rush = s.sa_model("RushOrder")
    assert rush.table == "orders" and rush.columns["status"] == "status" and s.table("orders").has_column("priority")
    assert s.table("dynamic").opaque


def test_sqlalchemy_indexes_declared_in_the_class_body(tmp_path):
    # lemur's Certificate: ``not_after_ix = Index("ix_certificates_not_after", not_after.desc())``
    s = learn(
        tmp_path,
        {
            "app/models.py": "from sqlalchemy import Column, DateTime, Index, Integer\n"
            "class Cert(Base):\n    __tablename__ = 'certs'\n    id = Column(Integer, primary_key=True)\n"
            "    not_after = Column(DateTime)\n    not_after_ix = Index('ix_certs_not_after', not_after.desc())\n"
        },
    )
    assert s.table("certs").leading_indexed("not_after")


def test_django_unique_and_partial_indexes_keep_their_kind(tmp_path):
    # FFT504 needs both: a unique key fixed by the query bounds it to one row; a partial
    # index may not be usable, so it is never named as the access path
    s = learn(
        tmp_path,
        {
            "shop/models.py": """
                from django.db import models
                from django.db.models import Q

                class Stamped(models.Model):
                    ref = models.CharField(max_length=8)
                    class Meta:
                        abstract = True
                        constraints = [models.UniqueConstraint(fields=["ref"], name="one_ref")]

                class Token(Stamped):
                    key = models.CharField(max_length=40, unique=True)
                    user = models.ForeignKey("shop.User", on_delete=models.CASCADE)
                    profile = models.OneToOneField("shop.Profile", on_delete=models.CASCADE)
                    kind = models.CharField(max_length=8)
                    number = models.IntegerField()
                    created = models.DateTimeField()
                    class Meta:
                        unique_together = [("user", "kind")]
                        indexes = [
                            models.Index(fields=["user", "created"]),
                            models.Index(fields=["kind"], condition=Q(number__gt=0), name="ix_kind_numbered"),
                        ]
                        constraints = [models.UniqueConstraint(fields=["user", "number"], name="one_number")]
            """,
            "shop/migrations/0002_more.py": """
                from django.db import migrations, models

                class Migration(migrations.Migration):
                    operations = [
                        migrations.AddConstraint(model_name="token", constraint=models.UniqueConstraint(fields=["created", "kind"], name="u")),
                        migrations.AddIndex(model_name="token", index=models.Index(fields=["number"], condition=models.Q(kind="x"), name="p")),
                        migrations.AlterUniqueTogether(name="token", unique_together={("number", "created")}),
                    ]
            """,
        },
    )
    kinds = {(ix.columns, ix.unique, ix.partial) for ix in s.table("shop_token").indexes}
    names = {ix.name for ix in s.table("shop_token").indexes}
    assert {"one_ref", "one_number", "ix_kind_numbered", "u", "p"} <= names
    for expected in [
        (("key",), True, False),
        (("profile_id",), True, False),
        (("ref",), True, False),
        (("user_id", "kind"), True, False),
        (("user_id", "number"), True, False),
        (("user_id", "created"), False, False),
        (("kind",), False, True),
        (("created", "kind"), True, False),
        (("number",), False, True),
        (("number", "created"), True, False),
        (("user_id",), False, False),  # the foreign key's own index
    ]:
        assert expected in kinds, (expected, sorted(kinds))


def test_columns_with_few_values_are_known_from_every_source(tmp_path):
    # a range over a flag, a small integer or a choice (stars >= 3) is no column to end
    # a composite index with (FFT504)
    from fftlint.analysis.sql.ddl import learn_ddl

    s = learn(
        tmp_path,
        {
            "shop/models.py": """
                from django.db import models

                class Review(models.Model):
                    stars = models.PositiveSmallIntegerField()
                    hidden = models.BooleanField(default=False)
                    state = models.CharField(max_length=4, choices=STATES)
                    posted = models.DateTimeField()
                    votes = models.IntegerField()
            """,
            "billing/models.py": """
                from sqlalchemy import Boolean, Column, DateTime, Enum, Integer, SmallInteger, String
                from sqlalchemy.orm import Mapped, mapped_column

                class Flagged:
                    flagged = Column(Boolean, default=False)

                class Invoice(Flagged, Base):
                    __tablename__ = "invoices"
                    id = Column(Integer, primary_key=True)
                    paid = Column("is_paid", Boolean)
                    level: Mapped[int] = mapped_column(SmallInteger)
                    kind = Column(Enum("a", "b", name="kinds"))
                    number = Column(String(20))
                    due = Column(DateTime)
            """,
        },
    )
    assert s.table("shop_review").few_values == {"stars", "hidden", "state"}
    assert s.table("invoices").few_values == {"flagged", "is_paid", "level", "kind"}
    ddl = build_schema([learn_ddl("CREATE TABLE t (id int PRIMARY KEY, on_hold boolean, prio smallint, n int, at timestamptz)")])
    assert ddl.table("t").few_values == {"on_hold", "prio"}
