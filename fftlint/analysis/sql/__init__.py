"""SQL analysis for the FFT5xx rules: schema learning (DDL, migrations, models) and index coverage via sqlglot (imported lazily)."""
