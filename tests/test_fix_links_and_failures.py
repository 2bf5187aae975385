"""--fix never breaks a project: links stay links, and a file that cannot be written is
reported while the rest is fixed (issue 13)."""

import errno
import json
import os
import shutil
import subprocess

import pytest

from fftlint import atomic
from fftlint.cli import main

SRC = "import time\n\nasync def f():\n    time.sleep(1)\n"
FIXED = "import time\nimport asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "proj"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def _fail_rename_over(monkeypatch, name, error, code):
    """Make the atomic rename over the file called ``name`` fail with ``error(code)``."""
    real_replace = os.replace

    def replace(src, dst):
        if os.path.basename(dst) == name:
            raise error(code, os.strerror(code), dst)
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_fix_writes_through_a_symlink_and_keeps_the_link(project):
    (project / "real.py").write_text(SRC)
    (project / "pkg").mkdir()
    os.symlink("../real.py", project / "pkg" / "link.py")
    assert main(["--fix", "pkg/link.py", "real.py"]) == 0
    assert os.path.islink(project / "pkg" / "link.py")
    assert os.readlink(project / "pkg" / "link.py") == "../real.py"
    assert (project / "real.py").read_text() == FIXED


def test_a_file_reached_by_two_paths_is_fixed_once(project, monkeypatch, capsys):
    from fftlint import fix as fixer

    (project / "b.py").write_text(SRC)
    os.symlink("b.py", project / "a.py")  # found first, and a link
    writes = []
    real_write = fixer.write_atomic
    monkeypatch.setattr(fixer, "write_atomic", lambda path, *a: (writes.append(path), real_write(path, *a)))
    assert main(["--fix", "--format", "json", "."]) == 0
    assert writes == [str(project / "b.py")]  # the real file, written once
    assert (project / "b.py").read_text() == FIXED
    assert os.path.islink(project / "a.py")
    assert _json(capsys) == []  # both paths re-linted clean


def test_fix_keeps_hard_links_linked(project):
    (project / "a.py").write_text(SRC)
    os.link(project / "a.py", project / "twin.py")
    inode = os.stat(project / "a.py").st_ino
    assert main(["--fix", "a.py"]) == 0
    assert os.stat(project / "a.py").st_ino == inode
    assert os.stat(project / "a.py").st_nlink == 2
    assert (project / "twin.py").read_text() == FIXED
    assert not [p for p in os.listdir(project) if p.startswith(".fftlint-")]  # backup removed


def test_a_link_to_a_file_outside_the_tree_is_reported_and_left_alone(project, tmp_path, capsys):
    outside = tmp_path / "elsewhere.py"
    outside.write_text(SRC)
    (project / "src").mkdir()
    os.symlink(outside, project / "src" / "vendored.py")
    (project / "src" / "own.py").write_text(SRC)
    code = main(["--fix", "--format", "json", "src"])
    assert outside.read_text() == SRC  # untouched
    assert os.path.islink(project / "src" / "vendored.py")
    assert (project / "src" / "own.py").read_text() == FIXED  # the rest is fixed
    findings = _json(capsys)
    [note] = [f for f in findings if f["code"] == "FFT005"]
    assert "outside the linted tree" in note["message"] and str(outside) in note["message"]
    assert code == 1  # the finding in the linked file remains; no internal error


def test_an_unwritable_file_is_reported_and_the_rest_is_fixed(project, monkeypatch, capsys):
    (project / "a.py").write_text(SRC)
    (project / "b.py").write_text(SRC)
    (project / "c.py").write_text(SRC)
    _fail_rename_over(monkeypatch, "b.py", OSError, errno.EROFS)
    code = main(["--fix", "--format", "json", "."])
    assert code == 2
    assert (project / "a.py").read_text() == FIXED and (project / "c.py").read_text() == FIXED
    assert (project / "b.py").read_text() == SRC
    findings = _json(capsys)
    [err] = [f for f in findings if f["code"] == "FFT005"]
    assert err["filename"].endswith("b.py") and "Read-only file system" in err["message"] and "EROFS" in err["message"]
    assert [f["code"] for f in findings if f["filename"].endswith("b.py")].count("FFT101") == 1
    assert not [p for p in os.listdir(project) if p.startswith(".fftlint-")]


def test_a_file_that_vanished_or_whose_directory_was_replaced_is_reported(project, monkeypatch, capsys):
    from fftlint import fix as fixer

    (project / "pkg").mkdir()
    (project / "pkg" / "gone.py").write_text(SRC)
    (project / "keep.py").write_text(SRC)
    (project / "deleted.py").write_text(SRC)
    real_fix = fixer.fix_to_fixpoint

    def fix_then_break(text, lint, unsafe=False):
        outcome = real_fix(text, lint, unsafe)
        if os.path.isdir(project / "pkg"):
            shutil.rmtree(project / "pkg")  # the directory is replaced by a file under us
            (project / "pkg").write_text("not a directory")
        if (project / "deleted.py").exists():
            (project / "deleted.py").unlink()  # the file vanishes between read and write
        return outcome

    monkeypatch.setattr(fixer, "fix_to_fixpoint", fix_then_break)
    code = main(["--fix", "--format", "json", "pkg/gone.py", "deleted.py", "keep.py"])
    assert code == 2
    assert (project / "keep.py").read_text() == FIXED
    findings = _json(capsys)
    errors = {f["filename"].split(os.sep)[-1]: f["message"] for f in findings if f["code"] == "FFT005"}
    assert set(errors) == {"gone.py", "deleted.py"}
    assert "could not write the file: Not a directory (ENOTDIR)" in errors["gone.py"]
    assert "No such file or directory" in errors["deleted.py"]  # vanished before it was read back
    assert (project / "pkg").read_text() == "not a directory"  # nothing recreated
    assert not (project / "deleted.py").exists()


def _immutable_supported(path):
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    return subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode == 0


def test_an_immutable_file_is_reported(project, monkeypatch, capsys):
    path = project / "frozen.py"
    path.write_text(SRC)
    (project / "ok.py").write_text(SRC)
    if not _immutable_supported(path):
        # the file system or container has no immutable attribute: fail the write the way
        # the kernel does for an immutable file (EPERM on the rename over it)
        _fail_rename_over(monkeypatch, "frozen.py", PermissionError, errno.EPERM)
    try:
        assert main(["--fix", "--format", "json", "."]) == 2
        assert path.read_text() == SRC
        assert (project / "ok.py").read_text() == FIXED
        findings = _json(capsys)
        [err] = [f for f in findings if f["code"] == "FFT005"]
        assert err["filename"].endswith("frozen.py") and "Operation not permitted" in err["message"]
    finally:
        if shutil.which("chattr"):
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)


def test_write_in_place_restores_the_old_bytes_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "a.py"
    path.write_bytes(b"old contents\n")
    os.link(path, tmp_path / "b.py")

    real_fsync = os.fsync
    calls = []

    def failing_fsync(fd):
        calls.append(fd)
        if len(calls) == 2:  # the first fsync is the backup's; fail the file's own
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        atomic.write_in_place(str(path), b"new and longer contents\n")
    assert path.read_bytes() == b"old contents\n"
    assert (tmp_path / "b.py").read_bytes() == b"old contents\n"
    assert sorted(os.listdir(tmp_path)) == ["a.py", "b.py"]
