"""The pre-commit hooks, run for real with ``pre-commit try-repo`` against this checkout.

The checkout's packaging files are copied into a temporary git repository and committed
there, so the test sees the working tree as it is (uncommitted edits included) and needs
nothing from this repository's own git history: it behaves the same on a clean CI clone.
pre-commit then builds a virtualenv and pip-installs fftlint from that copy (from PyPI:
setuptools, libcst, ...), once per test session. It takes a minute or two.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# What `pip install .` needs, plus the hooks file.
PACKAGE_ENTRIES = ("pyproject.toml", "setup.py", "setup.cfg", "README.md", "LICENSE", "MANIFEST.in", ".pre-commit-hooks.yaml", "fftlint", "rules")
BAD = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
GOOD = "import asyncio\n\n\nasync def handler():\n    await asyncio.sleep(1)\n"
TIMEOUT = 900


def test_hooks_file_declares_both_hooks():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert set(hooks) == {"fftlint", "fftlint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi"]
        assert hook["require_serial"] is False
        assert hook["entry"].split()[0] == "fftlint"
    assert "--fix" in hooks["fftlint-fix"]["entry"].split()
    assert "--fix" not in hooks["fftlint"]["entry"].split()


def _git(cwd, *args):
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="fftlint tests",
        GIT_AUTHOR_EMAIL="tests@example.invalid",
        GIT_COMMITTER_NAME="fftlint tests",
        GIT_COMMITTER_EMAIL="tests@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
    )
    out = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _source_files():
    """Files of the working tree below PACKAGE_ENTRIES (git's view when available)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *PACKAGE_ENTRIES],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if listed.returncode == 0 and listed.stdout.strip():
        return [p for p in listed.stdout.splitlines() if (ROOT / p).is_file()]
    files = []
    for entry in PACKAGE_ENTRIES:
        path = ROOT / entry
        if path.is_file():
            files.append(entry)
        elif path.is_dir():
            files += [str(p.relative_to(ROOT)) for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return files


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory):
    """A committed copy of this checkout: (path, commit)."""
    if shutil.which("git") is None:
        pytest.fail("git is needed to test the pre-commit hooks")
    repo = tmp_path_factory.mktemp("fftlint-hook-repo")
    for rel in _source_files():
        dest = repo / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    assert (repo / ".pre-commit-hooks.yaml").is_file()
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "fftlint under test")
    return repo, _git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def user_repo(tmp_path):
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    return repo


def try_repo(hook_repo, home, cwd, hook, *files):
    path, commit = hook_repo
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", NO_COLOR="1")
    env.pop("PRE_COMMIT", None)
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(path), hook, "--ref", commit, "--verbose", "--files", *files]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)


@pytest.mark.slow
def test_check_hook_fails_on_a_bad_file_and_passes_on_a_fixed_one(hook_repo, pre_commit_home, user_repo):
    (user_repo / "app.py").write_text(BAD, encoding="utf-8")
    (user_repo / "notes.txt").write_text("time.sleep in a text file is not Python\n", encoding="utf-8")
    _git(user_repo, "add", "app.py", "notes.txt")
    bad = try_repo(hook_repo, pre_commit_home, user_repo, "fftlint", "app.py", "notes.txt")
    out = bad.stdout + bad.stderr
    assert bad.returncode == 1, out
    assert "app.py:5:5: FFT101 " in out
    assert "notes.txt" not in out.split("Failed", 1)[-1]  # types_or keeps non-Python files out
    assert (user_repo / "app.py").read_text(encoding="utf-8") == BAD  # the check hook never edits

    (user_repo / "app.py").write_text(GOOD, encoding="utf-8")
    good = try_repo(hook_repo, pre_commit_home, user_repo, "fftlint", "app.py")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


@pytest.mark.slow
def test_fix_hook_rewrites_the_file(hook_repo, pre_commit_home, user_repo):
    (user_repo / "app.py").write_text(BAD, encoding="utf-8")
    _git(user_repo, "add", "app.py")
    first = try_repo(hook_repo, pre_commit_home, user_repo, "fftlint-fix", "app.py")
    assert first.returncode == 1, first.stdout + first.stderr  # files were modified by this hook
    fixed = (user_repo / "app.py").read_text(encoding="utf-8")
    assert "await asyncio.sleep(1)" in fixed and "time.sleep" not in fixed
    second = try_repo(hook_repo, pre_commit_home, user_repo, "fftlint-fix", "app.py")
    assert second.returncode == 0, second.stdout + second.stderr
    assert (user_repo / "app.py").read_text(encoding="utf-8") == fixed
