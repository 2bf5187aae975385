"""FFT2xx loops whose passes are not rows (issue 11, real-world false classes):

* a helper whose SQL puts a parameter in the table's place, called with the loop's
  variable for it: one statement per table (airflow's export of each archived table);
* ``session.flush(); req.run_id = run.id; session.flush()``: the second flush only sends
  back the key the first obtained (airflow's asset-triggered runs).

Each with the true positive that must stay, on multi-file projects."""

from __future__ import annotations

from fftlint.testing import lint_tree, write_tree as write

MODELS = """
    from sqlalchemy import Column, ForeignKey, Integer, String
    from sqlalchemy.orm import declarative_base

    Base = declarative_base()

    class Run(Base):
        __tablename__ = "run"
        id = Column(Integer, primary_key=True)

    class Request(Base):
        __tablename__ = "request"
        id = Column(Integer, primary_key=True)
        run_id = Column(Integer, ForeignKey("run.id"))
        note = Column(String(20))
"""

HELPERS = """
    import sqlite3
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    DB = sqlite3.connect("x.db")

    def dump(*, target_table: str, session: Session):
        return session.execute(text(f"SELECT * FROM {target_table}")).all()

    def drop(table, reason=""):
        DB.cursor().execute(f'DROP TABLE IF EXISTS "{table}"')

    def by_key(session: Session, key: str):
        return session.execute(text(f"SELECT * FROM t WHERE key = '{key}'")).all()

    def where_table(session: Session, table: str):
        return session.execute(text(f"SELECT * FROM log WHERE source = '{table}'")).all()
"""


def findings(root, select=("FFT2",)):
    return sorted((path, d.span.line, d.code) for path, d in lint_tree(root, list(select)))


def test_a_helper_given_a_different_table_each_pass_is_not_reported(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/helpers.py": HELPERS,
        "app/jobs.py": """
            from sqlalchemy.orm import Session
            from .helpers import drop, dump

            def export(tables: list, session: Session):
                for name in tables:
                    dump(target_table=name, session=session)
                    drop(name)
                for pos, name in enumerate(tables):
                    drop(name, reason="old")
        """,
    })
    assert findings(tmp_path) == []


def test_a_helper_given_a_key_or_a_fixed_table_each_pass_still_reports(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/helpers.py": HELPERS,
        "app/jobs.py": """
            from sqlalchemy.orm import Session
            from .helpers import by_key, drop, dump, where_table

            def export(keys: list, session: Session):
                for key in keys:
                    by_key(session, key)
                for key in keys:
                    dump(target_table="t", session=session)
                for key in keys:
                    where_table(session, key)
                for row in keys:
                    drop(row.name)
                for table in keys:
                    for row in table.rows:
                        dump(target_table=table, session=session)
        """,
    })
    assert findings(tmp_path) == [
        ("app/jobs.py", 7, "FFT203"),
        ("app/jobs.py", 9, "FFT203"),
        ("app/jobs.py", 11, "FFT203"),
        ("app/jobs.py", 13, "FFT203"),
        ("app/jobs.py", 16, "FFT203"),
    ]


def test_a_flush_that_sends_back_the_key_just_obtained_is_not_reported(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/jobs.py": """
            from sqlalchemy.orm import Session
            from .models import Run

            def start(pending: list, session: Session):
                for req in pending:
                    run = Run()
                    session.add(run)
                    session.flush()
                    req.run_id = run.id
                    session.flush()
        """,
    })
    assert findings(tmp_path) == []


def test_a_second_flush_after_other_writes_or_without_a_new_key_still_reports(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/jobs.py": """
            from sqlalchemy.orm import Session
            from .models import Run

            def start(pending: list, session: Session):
                for req in pending:
                    run = Run()
                    session.add(run)
                    session.flush()
                    req.run_id = run.id
                    req.note = "started"
                    session.flush()

            def touch(pending: list, session: Session):
                for req in pending:
                    req.note = "a"
                    session.flush()
                    other = req.id
                    session.flush()
        """,
    })
    assert findings(tmp_path) == [
        ("app/jobs.py", 12, "FFT201"),
        ("app/jobs.py", 17, "FFT201"),
        ("app/jobs.py", 19, "FFT201"),
    ]


CONNECT = {
    "bi/__init__.py": "",
    "bi/models.py": """
        from sqlalchemy import Column, Integer, String
        from sqlalchemy.orm import declarative_base, sessionmaker

        Base = declarative_base()
        session = sessionmaker()()

        class Token(Base):
            __tablename__ = "tokens"
            id = Column(Integer, primary_key=True)
            database_id = Column(Integer)
            value = Column(String(20))
    """,
    "bi/tokens.py": """
        from .models import Token, session

        def token_for(database_id):
            return session.query(Token).filter_by(database_id=database_id).first()
    """,
    "bi/engines.py": """
        from sqlalchemy import create_engine
        from .models import Token, session
        from .tokens import token_for

        def engine_for(db):
            token = token_for(db.id)
            return create_engine(db.uri, connect_args={"token": token})

        def tables_of(db):
            return engine_for(db).dialect.get_table_names(None)

        def engine_reading_its_own_token(db):
            token = session.query(Token).filter_by(database_id=db.id).first()
            return create_engine(db.uri, connect_args={"token": token})
    """,
}


def test_a_query_reached_while_making_an_engine_is_part_of_connecting(tmp_path):
    write(tmp_path, {**CONNECT, "bi/sync.py": """
        from .engines import engine_for, tables_of

        def sync(databases):
            for db in databases:
                tables_of(db)
            return [engine_for(db) for db in databases]
    """})
    assert findings(tmp_path) == []


def test_the_token_query_alone_or_in_the_engine_maker_itself_still_reports(tmp_path):
    write(tmp_path, {**CONNECT, "bi/sync.py": """
        from .engines import engine_reading_its_own_token
        from .tokens import token_for

        def sync(databases):
            for db in databases:
                token_for(db.id)
            return [engine_reading_its_own_token(db) for db in databases]
    """})
    assert findings(tmp_path) == [("bi/sync.py", 7, "FFT203"), ("bi/sync.py", 8, "FFT203")]


def test_a_helper_whose_query_is_in_its_own_loop_is_reported_there_not_at_the_outer_call(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/events.py": """
            from sqlalchemy.orm import Session
            from .models import Run

            def drain(worker, session: Session):
                for key in worker.keys:
                    session.get(Run, key)

            def first_run(worker, session: Session):
                return session.get(Run, worker.key)

            def drain_all(workers: list, session: Session):
                for worker in workers:
                    drain(worker, session)
                    first_run(worker, session)
        """,
    })
    assert findings(tmp_path) == [("app/events.py", 7, "FFT201"), ("app/events.py", 15, "FFT203")]


def test_a_query_once_per_call_of_a_helper_that_loops_elsewhere_still_reports(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/events.py": """
            from sqlalchemy.orm import Session
            from .models import Run

            def get_run(session: Session, key):
                return session.get(Run, key)

            def check(worker, session: Session):
                for key in worker.keys:
                    get_run(session, key)

            def all_runs(session: Session):
                return {r.id: r for r in session.query(Run).all()}

            def fixed(session: Session):
                for key in (1, 2):
                    session.get(Run, key)

            def outer(workers: list, session: Session):
                for worker in workers:
                    check(worker, session)
                    all_runs(session)
                    fixed(session)
        """,
    })
    assert findings(tmp_path) == [
        ("app/events.py", 10, "FFT203"),
        ("app/events.py", 21, "FFT203"),
        ("app/events.py", 22, "FFT203"),
        ("app/events.py", 23, "FFT203"),
    ]


def test_a_helper_that_fills_a_module_global_once_is_not_reported_per_call(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/lookups.py": """
            from sqlalchemy.orm import Session
            from .models import Run

            session = Session()
            KNOWN = None
            SEEN = None

            def known_runs():
                \"\"\"Every run, read once.\"\"\"
                global KNOWN
                if KNOWN is not None:
                    return KNOWN
                KNOWN = session.query(Run).all()
                return KNOWN

            def seen_runs():
                global SEEN
                SEEN = session.query(Run).all()
                if SEEN:
                    return SEEN
                return []
        """,
        "app/report.py": """
            from .lookups import known_runs, seen_runs

            def report(currencies):
                for c in currencies:
                    known_runs()
                for c in currencies:
                    seen_runs()
        """,
    })
    assert findings(tmp_path) == [("app/report.py", 8, "FFT203")]
