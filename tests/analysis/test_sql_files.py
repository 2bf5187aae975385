"""Which files of a tree are read as SQL (``schema-files`` globs)."""

import os

from fftlint.analysis.sql import loader


def _tree(tmp_path, names):
    for name in names:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("CREATE TABLE t (id int);\n")
    loader._walks.clear()


def _found(tmp_path, globs):
    loader._walks.clear()
    return sorted(os.path.relpath(p, tmp_path).replace(os.sep, "/") for p in loader.sql_files(str(tmp_path), globs))


def test_the_default_glob_finds_sql_files_at_any_depth(tmp_path):
    _tree(tmp_path, ["schema.sql", "db/init.sql", "db/notes.txt", "app/models.py", "db/old.sql.bak"])
    assert _found(tmp_path, ("**/*.sql",)) == ["db/init.sql", "schema.sql"]


def test_globs_without_a_plain_ending_are_still_matched_in_full(tmp_path):
    _tree(tmp_path, ["db/schema_v1.sql", "db/data.sql", "ddl/TABLES", "x/schema_v2.sql"])
    assert _found(tmp_path, ("db/schema*.sql",)) == ["db/schema_v1.sql"]
    assert _found(tmp_path, ("ddl/*",)) == ["ddl/TABLES"]
    assert _found(tmp_path, ("**/*.sql", "ddl/TABLES")) == ["db/data.sql", "db/schema_v1.sql", "ddl/TABLES", "x/schema_v2.sql"]


def test_a_directory_glob_keeps_its_directory(tmp_path):
    _tree(tmp_path, ["migrations/0001.sql", "other/0002.sql"])
    assert _found(tmp_path, ("migrations/*.sql",)) == ["migrations/0001.sql"]
