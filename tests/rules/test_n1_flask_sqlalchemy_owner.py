"""FFT202: one row fetched through Flask-SQLAlchemy's ``db.session`` (imported from the
models module) is an instance; iterating one of its lazy collections loads each item's
lazy relations one query at a time."""

import textwrap

from fftlint.engine.run import lint_source
from fftlint.registry import lookup
from fftlint.testing import project_for

FFT202 = lookup("FFT202")

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
    pkg = tmp_path / "school"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text(MODELS)
    views = pkg / "views.py"
    code = "from sqlalchemy.orm import selectinload\nfrom .models import Assignment, Grade, Student, db\n" + textwrap.dedent(body)
    views.write_text(code)
    project = project_for([FFT202], [str(pkg / "models.py"), str(views)])
    diags = lint_source(code, str(views), [FFT202], {}, project=project, module_name="school.views").diagnostics
    return [" ".join(code.splitlines()[d.span.line - 1].split()) for d in diags]


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
