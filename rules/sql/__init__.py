"""FFT5xx: SQL whose filter, join or order-by columns no index covers (schema learned from DDL, migrations and models)."""

from fftlint.rule import Family

FAMILY = Family("FFT5", "SQL and missing indexes", "queries that filter, join or sort on columns no index covers")
