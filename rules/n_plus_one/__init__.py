"""FFT2xx: N+1 queries -- one database round trip per row of a loop."""

from fftlint.rule import Family

FAMILY = Family("FFT2", "N+1 queries", "ORM and database queries issued once per loop iteration (Django, SQLAlchemy, DB-API), also through your own helpers")
