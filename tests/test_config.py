"""Configuration files: discovery, validation (exit 2 naming the key), CLI overrides."""

import textwrap

import pytest

from fftlint.cli import main
from fftlint.config.load import discover, find_config
from fftlint.config.settings import ConfigError

BAD_ASYNC = "import time\n\nasync def f():\n    time.sleep(1)\n"


@pytest.fixture(autouse=True)
def _fresh_config_cache():
    find_config.cache_clear()
    yield
    find_config.cache_clear()


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_pyproject_table_is_found_walking_up(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.fftlint]\nignore = ["FFT101"]\ntarget-version = "py311"\n')
    src = write(tmp_path / "pkg" / "sub" / "a.py", BAD_ASYNC)
    settings = discover([str(src)])
    assert settings.ignore == ("FFT101",)
    assert settings.target_version == (3, 11)
    assert settings.root == str(tmp_path)


def test_pyproject_without_table_is_skipped_for_a_higher_one(tmp_path):
    write(tmp_path / ".fftlint.yaml", "ignore: [FFT101]\n")
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'x'\n")
    src = write(tmp_path / "pkg" / "a.py", BAD_ASYNC)
    assert discover([str(src)]).ignore == ("FFT101",)


def test_ignore_in_config_silences_the_rule(tmp_path, capsys, monkeypatch):
    write(tmp_path / ".fftlint.yaml", "ignore: [FFT101]\n")
    write(tmp_path / "a.py", BAD_ASYNC)
    monkeypatch.chdir(tmp_path)
    assert main(["a.py"]) == 0
    assert main(["--isolated", "a.py"]) == 1  # --isolated ignores the file


def test_cli_select_overrides_config(tmp_path, monkeypatch):
    write(tmp_path / ".fftlint.yaml", "select: [FFT4]\n")
    write(tmp_path / "a.py", BAD_ASYNC)
    monkeypatch.chdir(tmp_path)
    assert main(["a.py"]) == 0
    assert main(["--select", "FFT101", "a.py"]) == 1


def test_per_file_ignores(tmp_path, monkeypatch):
    write(tmp_path / ".fftlint.yaml", "per-file-ignores:\n  'tests/*': [FFT1]\n")
    write(tmp_path / "tests" / "a.py", BAD_ASYNC)
    write(tmp_path / "src" / "a.py", BAD_ASYNC)
    monkeypatch.chdir(tmp_path)
    assert main(["tests"]) == 0
    assert main(["src"]) == 1


@pytest.mark.parametrize(
    "filename, text, key",
    [
        (".fftlint.yaml", "selekt: [FFT1]\n", "selekt"),
        (".fftlint.yaml", "select: FFT1 FFT2\n", "select"),
        (".fftlint.yaml", "select: [FFT999]\n", "select"),
        (".fftlint.yaml", "target-version: py27\n", "target-version"),
        (".fftlint.yaml", "ignore: [1, 2]\n", "ignore"),
        (".fftlint.yaml", "per-file-ignores:\n  'x.py': [NOPE1]\n", "per-file-ignores.x.py"),
        (".fftlint.yaml", "no-such-family:\n  x: 1\n", "no-such-family"),
        ("pyproject.toml", "[tool.fftlint]\nexclude = 3\n", "exclude"),
    ],
)
def test_bad_config_exits_2_naming_file_and_key(tmp_path, monkeypatch, capsys, filename, text, key):
    write(tmp_path / filename, text)
    write(tmp_path / "a.py", "x = 1\n")
    monkeypatch.chdir(tmp_path)
    assert main(["a.py"]) == 2
    err = capsys.readouterr().err
    assert filename in err
    assert f": {key}: " in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "filename, text, words",
    [
        (".fftlint.yaml", "select: [FFT1\n", "invalid YAML"),
        ("pyproject.toml", "[tool.fftlint\nselect = 1\n", "invalid TOML"),
        (".fftlint.yaml", "- just\n- a list\n", "mapping"),
    ],
)
def test_unparseable_config_exits_2(tmp_path, monkeypatch, capsys, filename, text, words):
    write(tmp_path / filename, text)
    write(tmp_path / "a.py", "x = 1\n")
    monkeypatch.chdir(tmp_path)
    assert main(["a.py"]) == 2
    err = capsys.readouterr().err
    assert words in err and filename in err and "Traceback" not in err


def test_explicit_config_that_does_not_exist(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.py", "x = 1\n")
    assert main(["--config", "nope.yaml", "a.py"]) == 2
    assert "nope.yaml" in capsys.readouterr().err


def test_unknown_rule_on_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.py", "x = 1\n")
    assert main(["--ignore", "XYZ1", "a.py"]) == 2
    assert "XYZ1" in capsys.readouterr().err


def test_config_error_message_shape():
    err = ConfigError("/p/.fftlint.yaml", "select", "unknown rule code FFT999")
    assert str(err) == "/p/.fftlint.yaml: select: unknown rule code FFT999"
