"""FFT202 on SQLAlchemy: a chained loader option loads a path (``selectinload(Teacher.courses)
.selectinload(Course.students)`` loads ``courses`` and ``courses.students``), and the rows of
a row's collection (``for c in t.courses``) are loaded by what the owner's query loads."""

import textwrap

from fftlint.engine.run import lint_source
from fftlint.registry import lookup

FFT202 = lookup("FFT202")

MODELS = textwrap.dedent(
    """
    from sqlalchemy import ForeignKey, Table, Column, select
    from sqlalchemy.orm import DeclarativeBase, Session, relationship, selectinload, joinedload

    class Base(DeclarativeBase):
        pass

    enrolments = Table("enrolments", Base.metadata, Column("course_id", ForeignKey("courses.id")), Column("student_id", ForeignKey("students.id")))

    class Teacher(Base):
        __tablename__ = "teachers"
        courses = relationship("Course", back_populates="teacher")

    class Course(Base):
        __tablename__ = "courses"
        teacher = relationship("Teacher", back_populates="courses")
        students = relationship("Student", secondary=enrolments)

    class Student(Base):
        __tablename__ = "students"
    """
)


def found(body):
    code = MODELS + textwrap.dedent(body)
    diags = lint_source(code, "school/reports.py", [FFT202], {}, module_name="school.reports").diagnostics
    return sorted(" ".join(code.splitlines()[d.span.line - 1].split()) + " | " + d.message.split(" loads ")[0] for d in diags)


def test_a_chained_loader_loads_the_whole_path():
    assert found(
        """
        def roster(session: Session):
            stmt = select(Teacher).options(selectinload(Teacher.courses).selectinload(Course.students))
            return {t: sum(len(c.students) for c in t.courses) for t in session.scalars(stmt)}

        def roster_loops(session: Session):
            for t in session.scalars(select(Teacher).options(joinedload(Teacher.courses).selectinload(Course.students))):
                for c in t.courses:
                    print(c.students)
        """
    ) == []


def test_loading_only_the_first_hop_leaves_the_second_lazy():
    assert found(
        """
        def roster(session: Session):
            for t in session.scalars(select(Teacher).options(selectinload(Teacher.courses))):
                for c in t.courses:
                    print(c.students)
        """
    ) == ["print(c.students) | `c.students`"]


def test_nothing_loaded_reports_both_hops():
    assert found(
        """
        def roster(session: Session):
            for t in session.scalars(select(Teacher)):
                for c in t.courses:
                    print(c.students)
        """
    ) == ["for c in t.courses: | `t.courses`", "print(c.students) | `c.students`"]
