"""A repository method annotated ``-> Sequence[Trip]`` / ``-> list[Trip]`` whose body
returns the rows of a query: the facts layer takes the body's query (it says what the
rows load) over the annotation (which only says they are Trips), so FFT202 judges the
loop over them; a body that may return anything else keeps the annotation."""

import textwrap

from fftlint.engine.run import lint_source
from fftlint.registry import lookup
from fftlint.testing import project_for

FFT202 = lookup("FFT202")

MODELS = textwrap.dedent(
    """
    from typing import List, Sequence
    from sqlalchemy import ForeignKey, select
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload

    class Base(DeclarativeBase):
        pass

    class Driver(Base):
        __tablename__ = "drivers"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]

    class Trip(Base):
        __tablename__ = "trips"
        id: Mapped[int] = mapped_column(primary_key=True)
        driver_id: Mapped[int] = mapped_column(ForeignKey("drivers.id"))
        driver: Mapped[Driver] = relationship()

    class TripRepository:
        def __init__(self, session: Session):
            self.session = session

        def recent(self) -> Sequence[Trip]:
            stmt = select(Trip).order_by(Trip.id.desc())
            return self.session.scalars(stmt).all()

        def recent_list(self) -> List[Trip]:
            return self.session.scalars(select(Trip).where(Trip.id > 0)).all()

        def with_drivers(self) -> Sequence[Trip]:
            return self.session.scalars(select(Trip).options(selectinload(Trip.driver))).all()

        def maybe(self, flag) -> List[Trip]:
            if flag:
                return []
            return self.session.scalars(select(Trip)).all()
    """
)


def lines(tmp_path, body):
    code = MODELS + textwrap.dedent(body)
    (tmp_path / "fleet").mkdir()
    (tmp_path / "fleet" / "__init__.py").write_text("")
    path = tmp_path / "fleet" / "repo.py"
    path.write_text(code)
    project = project_for([FFT202], [path])
    found = lint_source(code, str(path), [FFT202], {}, project=project, module_name="fleet.repo").diagnostics
    return [code.splitlines()[d.span.line - 1].strip() for d in found]


def test_annotated_repository_rows_are_the_body_query(tmp_path):
    assert lines(
        tmp_path,
        """
        def report(session: Session):
            repo = TripRepository(session)
            for trip in repo.recent():
                print(trip.driver.name)
            for trip in repo.recent_list():
                print(trip.driver.name)
        """,
    ) == ["print(trip.driver.name)", "print(trip.driver.name)"]


def test_loaded_or_mixed_returns_stay_silent(tmp_path):
    assert lines(
        tmp_path,
        """
        def report(session: Session, flag):
            repo = TripRepository(session)
            for trip in repo.with_drivers():
                print(trip.driver.name)
            for trip in repo.maybe(flag):
                print(trip.driver.name)
        """,
    ) == []
