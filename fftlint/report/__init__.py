"""Reporters: render results as text, JSON, SARIF or GitHub annotations. No engine calls."""

from __future__ import annotations

from typing import Callable, Dict

FORMATS = ("text", "json", "sarif", "github")


def get(fmt: str) -> Callable[..., str]:
    """The render function of a format: ``render(results, context) -> str``."""
    if fmt == "text":
        from fftlint.report.text import render
    elif fmt == "json":
        from fftlint.report.json import render
    elif fmt == "sarif":
        from fftlint.report.sarif import render
    elif fmt == "github":
        from fftlint.report.github import render
    else:  # pragma: no cover - click validates the choice
        raise ValueError(fmt)
    return render


RENDERERS: Dict[str, str] = {f: f"fftlint.report.{f}" for f in FORMATS}
