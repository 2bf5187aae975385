"""FFT5xx: SQL whose filter, join or order-by columns no index covers (schema learned from DDL, migrations and models)."""
