"""FFT201: ``session.refresh(obj)`` per item re-reads each object's row, one SELECT per
pass (sync, awaited, Flask-SQLAlchemy's ``db.session``); after a write in the same pass
it reads back what the write made, and the write is the cost: silent."""

import textwrap

from fftlint.engine.run import lint_source
from fftlint.registry import lookup

FFT201 = lookup("FFT201")


def found(body):
    code = textwrap.dedent(
        """
        from sqlalchemy.orm import Session
        from sqlalchemy.ext.asyncio import AsyncSession
        """
    ) + textwrap.dedent(body)
    diags = lint_source(code, "fleet/jobs.py", [FFT201], {}, module_name="fleet.jobs").diagnostics
    return [" ".join(code.splitlines()[d.span.line - 1].split()) for d in diags]


def test_a_refresh_per_item_is_a_select_per_item():
    assert found(
        """
        def reload_all(db: Session, vehicles):
            for v in vehicles:
                db.refresh(v)

        async def reload_shows(session: AsyncSession, shows):
            for s in shows:
                await session.refresh(s)
        """
    ) == ["db.refresh(v)", "await session.refresh(s)"]


def test_a_refresh_after_a_write_of_the_pass_and_one_refresh_stay_silent():
    assert found(
        """
        def create_all(db: Session, payloads):
            for p in payloads:
                row = make(p)
                db.add(row)
                db.commit()
                db.refresh(row)

        def reload_one(db: Session, vehicle):
            db.refresh(vehicle)
        """
    ) == []
