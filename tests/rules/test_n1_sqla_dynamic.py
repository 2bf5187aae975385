"""FFT201: a SQLAlchemy ``lazy="dynamic"`` relationship is a query of the row's items; its
``.count()``, ``.filter_by(...).first()`` or iteration on every row of a loop runs one
query per row (no loader option serves it)."""

import textwrap

from fftlint.engine.run import lint_source
from fftlint.registry import lookup

FFT201 = lookup("FFT201")

MODELS = textwrap.dedent(
    """
    from sqlalchemy import ForeignKey, select
    from sqlalchemy.orm import DeclarativeBase, Session, relationship

    class Base(DeclarativeBase):
        pass

    class Course(Base):
        __tablename__ = "courses"
        assignments = relationship("Assignment", lazy="dynamic")
        students = relationship("Student")

    class Assignment(Base):
        __tablename__ = "assignments"

    class Student(Base):
        __tablename__ = "students"
    """
)


def found(body):
    code = MODELS + textwrap.dedent(body)
    diags = lint_source(code, "school/stats.py", [FFT201], {}, module_name="school.stats").diagnostics
    return [" ".join(code.splitlines()[d.span.line - 1].split()) for d in diags]


def test_a_dynamic_relationship_per_row_runs_a_query_per_row():
    assert found(
        """
        def counts(session: Session):
            return {c.id: c.assignments.count() for c in session.scalars(select(Course))}

        def each(session: Session):
            for c in session.scalars(select(Course)):
                for a in c.assignments:
                    print(a.id)
        """
    ) == ["return {c.id: c.assignments.count() for c in session.scalars(select(Course))}", "for a in c.assignments:"]


def test_a_plain_relationship_and_one_course_stay_silent():
    assert found(
        """
        def plain(session: Session):
            return {c.id: len(c.students) for c in session.scalars(select(Course))}

        def one(session: Session, cid):
            return session.get(Course, cid).assignments.count()
        """
    ) == []
