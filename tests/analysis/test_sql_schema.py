"""Schema learning: DDL text, Django models and migrations, Alembic, SQLAlchemy (all via ast)."""

import subprocess
import sys
import textwrap

from fftlint.analysis.sql.ddl import learn_ddl, split_statements
from fftlint.analysis.sql.schema import build_schema
from fftlint.analysis.sql.sources import app_label_for, summarize


def schema_of(*facts):
    return build_schema(list(facts))


def leading(schema, table, column):
    return schema.table(table).leading_indexed(column)


DDL = """
-- a realistic schema file
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE public.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    "Country" text,
    name text
);
CREATE TABLE orders (
    id bigserial,
    customer_id bigint REFERENCES customers (id),
    status text,
    created_at timestamptz DEFAULT now(),
    note text DEFAULT 'a; b',
    CONSTRAINT orders_pk PRIMARY KEY (id)
);
CREATE TABLE order_lines (order_id bigint, line_no int, sku text, UNIQUE (sku, order_id), PRIMARY KEY (order_id, line_no));
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_orders_status_created ON orders USING btree (status, created_at DESC) WHERE status <> 'done';
CREATE INDEX ix_customers_lower_email ON customers (lower(email));
CREATE INDEX ix_customers_name_trgm ON customers USING gin (name gin_trgm_ops);
ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
ALTER TABLE ONLY orders ADD CONSTRAINT orders_shipped_uq UNIQUE (shipped_at);
DO $$ BEGIN PERFORM 1; END $$;
CREATE INDEX ix_gone ON orders (note);
DROP INDEX ix_gone;
"""


def test_ddl_tables_columns_and_indexes():
    s = schema_of(learn_ddl(DDL))
    assert set(s.tables) == {"customers", "orders", "order_lines"}
    assert list(s.table("customers").columns) == ["id", "email", "country", "name"]
    assert leading(s, "customers", "id") and leading(s, "customers", "email")
    assert leading(s, "customers", "name")  # a GIN trigram index: pg_trgm serves = and LIKE
    assert s.table("customers").non_btree_indexed("name")
    assert s.table("customers").expression_indexed("LOWER(email)")
    assert leading(s, "orders", "id")  # named table-level PRIMARY KEY
    assert not leading(s, "orders", "customer_id")  # REFERENCES creates no index
    assert leading(s, "orders", "status") and not leading(s, "orders", "created_at")
    assert s.table("orders").has_column("shipped_at") and leading(s, "orders", "shipped_at")
    assert not leading(s, "orders", "note")  # dropped again
    # composite PK and UNIQUE: only the leading columns
    assert leading(s, "order_lines", "order_id") and leading(s, "order_lines", "sku")
    assert not leading(s, "order_lines", "line_no")


def test_split_statements_respects_strings_and_dollar_quotes():
    parts = split_statements("SELECT ';'; DO $$ BEGIN x; END $$; SELECT 2")
    assert len(parts) == 3


def test_ddl_never_raises_on_garbage():
    assert not learn_ddl("this is ( not SQL ;;; CREATE TABLE (")


DJANGO_MODELS = '''
from django.db import models

class Timestamped(models.Model):
    created_at = models.DateTimeField(db_index=True)
    class Meta:
        abstract = True

class Customer(Timestamped):
    email = models.EmailField(unique=True)
    country = models.CharField(max_length=2)
    tags = models.ManyToManyField("Tag")

class Order(Timestamped):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    coupon = models.ForeignKey("Coupon", null=True, on_delete=models.SET_NULL, db_index=False)
    status = models.CharField(max_length=20)
    placed_on = models.DateField()
    ref = models.CharField(max_length=20, db_column="external_ref")
    warehouse = models.IntegerField()
    region = models.IntegerField()
    class Meta:
        db_table = "shop_orders"
        indexes = [models.Index(fields=["-placed_on", "status"], name="ix_placed")]
        unique_together = [("warehouse", "ref")]
        index_together = ("region", "status")
'''


def test_django_models(tmp_path):
    path = tmp_path / "shop" / "models.py"
    path.parent.mkdir()
    facts = summarize(DJANGO_MODELS, str(path))
    s = schema_of(facts)
    assert "shop_customer" in s.tables and "shop_orders" in s.tables
    order = s.model("Order")
    assert order.table == "shop_orders"
    assert order.column_for("customer") == "customer_id" == order.column_for("customer_id")
    assert order.column_for("pk") == "id" and order.column_for("ref") == "external_ref"
    t = s.table("shop_orders")
    assert t.leading_indexed("customer_id")  # FK: indexed by Django
    assert not t.leading_indexed("coupon_id")  # db_index=False
    assert t.leading_indexed("created_at")  # inherited from the abstract base
    assert t.leading_indexed("placed_on") and not t.leading_indexed("status") or t.leading_indexed("region")
    assert t.leading_indexed("warehouse") and not t.leading_indexed("external_ref")
    assert t.leading_indexed("region")
    assert not s.table("shop_customer").leading_indexed("country")
    assert s.table("shop_customer").leading_indexed("email")
    assert not s.table("shop_customer").has_column("tags")  # M2M has no column
    assert "Timestamped" not in s.models


def test_status_is_not_leading_in_any_django_index(tmp_path):
    path = tmp_path / "shop" / "models.py"
    path.parent.mkdir()
    t = schema_of(summarize(DJANGO_MODELS, str(path))).table("shop_orders")
    assert not t.leading_indexed("status")


DJANGO_MIGRATION = '''
from django.db import migrations, models
import django.db.models.deletion

class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(
            name="Invoice",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("number", models.CharField(max_length=20, unique=True)),
                ("order", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="shop.order")),
                ("due", models.DateField()),
                ("paid", models.BooleanField()),
            ],
            options={"indexes": [models.Index(fields=["paid", "due"], name="ix_paid_due")]},
        ),
        migrations.AddIndex(model_name="invoice", index=models.Index(fields=["due"], name="ix_due")),
        migrations.AddField(model_name="invoice", name="sent_at", field=models.DateTimeField(null=True, db_index=True)),
    ]
'''


def test_django_migrations(tmp_path):
    path = tmp_path / "billing" / "migrations" / "0001_initial.py"
    path.parent.mkdir(parents=True)
    assert app_label_for(str(path)) == "billing"
    s = schema_of(summarize(DJANGO_MIGRATION, str(path)))
    t = s.table("billing_invoice")
    assert t is not None
    for col in ("id", "number", "order_id", "paid", "due", "sent_at"):
        assert t.leading_indexed(col), col
    assert s.model("Invoice").column_for("order") == "order_id"


ALEMBIC = '''
from alembic import op
import sqlalchemy as sa

def upgrade():
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id")),
        sa.Column("provider", sa.String(), index=True),
        sa.Column("ref", sa.String()),
        sa.Column("state", sa.String()),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref", name="uq_ref"),
    )
    op.create_index(op.f("ix_payments_state_ref"), "payments", ["state", "ref"], unique=False)
    op.add_column("payments", sa.Column("captured_at", sa.DateTime(), index=True))
'''


def test_alembic():
    s = schema_of(summarize(ALEMBIC, "alembic/versions/1234_payments.py"))
    t = s.table("payments")
    assert list(t.columns)[:5] == ["id", "order_id", "provider", "ref", "state"]
    for col in ("id", "provider", "ref", "state", "captured_at"):
        assert t.leading_indexed(col), col
    assert not t.leading_indexed("order_id")  # ForeignKey does not index in SQLAlchemy


SQLALCHEMY = '''
from sqlalchemy import Column, Index, Integer, String, Table, UniqueConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

class Account(Base):
    __tablename__ = "accounts"
    id = Column(Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String, unique=True)
    team_id = Column(Integer, ForeignKey("teams.id"))
    plan = Column("plan_name", String)
    region = Column(String)
    __table_args__ = (UniqueConstraint("region", "plan_name"), Index("ix_plan", plan))

Index("ix_accounts_team", Account.team_id)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True),
    Column("actor", String, index=True),
    Column("action", String),
)
'''


def test_sqlalchemy_models_and_tables():
    s = schema_of(summarize(SQLALCHEMY, "app/models.py"))
    acc = s.table("accounts")
    for col in ("id", "handle", "team_id", "plan_name", "region"):
        assert acc.leading_indexed(col), col
    audit = s.table("audit")
    assert audit.leading_indexed("actor") and not audit.leading_indexed("action")


def test_files_without_schema_are_cheap_and_empty():
    assert not summarize("import os\nprint(os.getcwd())\n", "x.py")
    assert not summarize("def broken(:\n  models.Model", "x.py")


def test_merging_sources_is_a_union():
    a = learn_ddl("CREATE TABLE t (id int PRIMARY KEY, a int, b int);")
    b = learn_ddl("CREATE INDEX ix_t_b ON t (b);")
    s = schema_of(a, b)
    assert s.table("t").leading_indexed("b") and not s.table("t").leading_indexed("a")


def test_sqlglot_is_not_imported_for_files_without_sql():
    code = textwrap.dedent(
        """
        import sys
        from fftlint import registry
        from fftlint.engine.run import lint_source
        rules = [r for r in registry.all_rules() if r.code.startswith("FFT5")]
        assert rules
        lint_source("import os\\nos.getcwd()\\n", "x.py", rules)
        assert "sqlglot" not in sys.modules, "sqlglot imported eagerly"
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_drops_apply_across_files_and_alembic_downgrade_is_ignored():
    created = learn_ddl("CREATE TABLE t (id int PRIMARY KEY, a int); CREATE INDEX ix_t_a ON t (a);")
    dropped = learn_ddl("DROP INDEX IF EXISTS public.ix_t_a;")
    assert not schema_of(created, dropped).table("t").leading_indexed("a")
    migration = (
        "from alembic import op\n"
        "def upgrade():\n    op.create_index('ix_t_a2', 't', ['a'])\n"
        "def downgrade():\n    op.drop_index('ix_t_a2', table_name='t')\n"
    )
    assert schema_of(created, dropped, summarize(migration, "versions/x.py")).table("t").leading_indexed("a")


def test_a_migration_that_only_drops_an_index_is_learned():
    created = learn_ddl("CREATE TABLE t (id int PRIMARY KEY, a int); CREATE INDEX ix_t_a ON t (a);")
    migration = "from alembic import op\n\ndef upgrade():\n    op.drop_index('ix_t_a', table_name='t')\n"
    assert not schema_of(created, summarize(migration, "versions/0002_drop_ix.py")).table("t").leading_indexed("a")


def test_schema_files_are_found_under_the_project_root_and_fingerprinted(tmp_path):
    import os
    import time

    from fftlint.analysis.sql import loader

    (tmp_path / "manage.py").write_text("")
    (tmp_path / "db").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "x.sql").write_text("CREATE TABLE hidden (id int);")
    ddl = tmp_path / "db" / "schema.sql"
    ddl.write_text("CREATE TABLE t (id int PRIMARY KEY, a int);")
    code = tmp_path / "app" / "q.py"
    code.write_text("x = 1\n")
    assert loader.project_root(str(code)) == str(tmp_path)
    schema = loader.schema_for(str(code), "x = 1\n")
    assert set(schema.tables) == {"t"}
    before = loader.ddl_fingerprint(str(code))
    ddl.write_text("CREATE TABLE t (id int PRIMARY KEY, a int); CREATE INDEX ix ON t (a);")
    os.utime(ddl, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    loader._walks.clear()
    assert loader.ddl_fingerprint(str(code)) != before
    assert loader.schema_for(str(code), "x = 1\n").table("t").leading_indexed("a")


def test_app_label_is_an_identifier_even_in_a_hyphenated_folder(tmp_path, monkeypatch):
    # CI clones the repository into folders such as `ci-clone`; rule examples use
    # relative paths, so their app label comes from the working directory
    from fftlint import registry
    from fftlint.analysis.sql.sources import app_label_for
    from fftlint.testing import lint_example

    work = tmp_path / "my-service"
    work.mkdir()
    monkeypatch.chdir(work)
    assert app_label_for("models.py") == "my_service"
    rule = registry.lookup("FFT502")
    example = rule.INVALID[0]
    assert lint_example(rule, example.code, example.path, example.options).diagnostics


def test_a_versions_folder_alone_does_not_make_a_migration():
    """Alembic keeps revisions in ``versions/``, but so does pyenv (``~/.pyenv/versions/``)
    and many a project: only a file that is an Alembic revision counts there."""
    from fftlint.analysis.sql.sources import is_migration, may_teach

    plain = "def create(x):\n    return x\n"
    revision = 'revision = "ab12"\ndown_revision = None\n\ndef upgrade():\n    op.execute("CREATE INDEX ix_a ON a (b)")\n'
    assert not is_migration("/root/.pyenv/versions/3.11.7/lib/python3.11/shutil.py", plain)
    assert not may_teach(plain, "/root/.pyenv/versions/3.11.7/lib/python3.11/shutil.py")
    assert is_migration("/srv/app/db/versions/ab12_add_index.py", revision)
    assert may_teach(revision, "/srv/app/db/versions/ab12_add_index.py")
    assert is_migration("/srv/app/migrations/0001_initial.py")
    assert is_migration("/srv/app/alembic/versions/ab12.py")
    facts = summarize(revision, "/srv/app/db/versions/ab12_add_index.py")
    assert [(table, ix.name) for table, ix in facts.indexes] == [("a", "ix_a")]
