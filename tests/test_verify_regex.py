"""--verify-regex: regex findings are confirmed by timing CPython's re in a child process."""

import json

from fftlint.cli import main

SRC = (
    "import re\n\n"
    "def is_token(s):\n"
    "    return re.match(r'^(a|aa)+$', s) is not None\n"
)


def test_verify_regex_confirms_an_exponential_finding(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(SRC)
    assert main(["--isolated", "--select", "FFT4", "--format", "json", "m.py"]) == 1
    plain = json.loads(capsys.readouterr().out)
    assert [d["code"] for d in plain] == ["FFT401"] and "verified" not in plain[0]["properties"]
    assert main(["--isolated", "--select", "FFT4", "--format", "json", "--verify-regex", "m.py"]) == 1
    [finding] = json.loads(capsys.readouterr().out)
    verified = finding["properties"]["verified"]
    assert verified["confirmed"] is True and verified["growth"] == "exponential"
    assert finding["message"].endswith("[confirmed: exponential growth measured]")
