"""`[tool.fftlint.sql]` options: validation, extra calls, ignored tables, dialects."""

import pytest

from fftlint.config.options import build_options
from fftlint.config.settings import ConfigError
from fftlint.rules.sql.missing_index import MissingIndexRawSql
from fftlint.testing import lint_example

DDL = "def m(c):\n    c.execute('CREATE TABLE t (id int PRIMARY KEY, a int)')\n"


def test_unknown_dialect_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        build_options([MissingIndexRawSql], {"sql": {"dialect": "nosuch"}}, "pyproject.toml")
    assert "dialect" in str(err.value) and "nosuch" in str(err.value)


def test_unknown_option_and_wrong_type_are_config_errors():
    with pytest.raises(ConfigError):
        build_options([MissingIndexRawSql], {"sql": {"no-such-key": 1}}, "pyproject.toml")
    with pytest.raises(ConfigError):
        build_options([MissingIndexRawSql], {"sql": {"extra-methods": "run"}}, "pyproject.toml")


def test_extra_methods_and_functions_extend_the_catalog():
    code = DDL + "def f(db):\n    db.run_query('SELECT * FROM t WHERE a = 1')\n"
    assert not lint_example(MissingIndexRawSql, code, "example.py", {}).diagnostics
    found = lint_example(MissingIndexRawSql, code, "example.py", {"extra-methods": ["run_query"]}).diagnostics
    assert [d.code for d in found] == ["FFT501"]
    code = DDL + "from myapp.db import q\ndef f():\n    q('SELECT * FROM t WHERE a = 1')\n"
    found = lint_example(MissingIndexRawSql, code, "example.py", {"extra-functions": ["myapp.db.q"]}).diagnostics
    assert [d.code for d in found] == ["FFT501"]


def test_ignore_tables_and_other_dialects():
    code = DDL + "def f(c):\n    c.execute('SELECT * FROM t WHERE a = ?', (1,))\n"
    assert lint_example(MissingIndexRawSql, code, "example.py", {"dialect": "sqlite"}).diagnostics
    assert not lint_example(MissingIndexRawSql, code, "example.py", {"ignore-tables": ["t"]}).diagnostics
    mysql = (
        "def m(c):\n    c.execute('CREATE TABLE `t` (`id` int PRIMARY KEY, `a` int, KEY `ix_a` (`a`))')\n"
        "def f(c):\n    c.execute('SELECT * FROM `t` WHERE `a` = %s', (1,))\n"
    )
    assert not lint_example(MissingIndexRawSql, mysql, "example.py", {"dialect": "mysql"}).diagnostics
    unindexed = mysql.replace(", KEY `ix_a` (`a`)", "")
    assert lint_example(MissingIndexRawSql, unindexed, "example.py", {"dialect": "mysql"}).diagnostics
