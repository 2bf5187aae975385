"""FFT202: one row fetched through Flask-SQLAlchemy's ``db.session`` (imported from the
models module) is an instance; iterating one of its lazy collections loads each item's
lazy relations one query at a time."""

import textwrap

from fftlint.testing import lint_module


MODELS = textwrap.dedent(
    """
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()

    class Student(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        grades = db.relationship("Grade", back_populates="student")

    class Assignment(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String)

    class Grade(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        student_id = db.Column(db.ForeignKey("student.id"))
        student = db.relationship("Student", back_populates="grades")
        assignment_id = db.Column(db.ForeignKey("assignment.id"))
        assignment = db.relationship("Assignment")
    """
)


def found(tmp_path, body):
    code = "from sqlalchemy.orm import selectinload\nfrom .models import Assignment, Grade, Student, db\n" + textwrap.dedent(body)
    lines, diags = lint_module(tmp_path, {"school/__init__.py": "", "school/models.py": MODELS, "school/views.py": code}, "school/views.py", ["FFT202"])
    return [" ".join(lines[d.span.line - 1].split()) for d in diags]


def test_a_fetched_students_grades_load_their_assignment_per_grade(tmp_path):
    assert found(
        tmp_path,
        """
        def report(sid):
            student = db.session.get(Student, sid)
            return [(g.assignment.title, g.id) for g in student.grades]

        def plain(sid):
            student = db.session.get(Student, sid)
            return [g.assignment_id for g in student.grades]
        """,
    ) == ["return [(g.assignment.title, g.id) for g in student.grades]"]
