"""Shared test set-up."""

import pytest


@pytest.fixture(autouse=True)
def _user_cache_in_tmp(tmp_path_factory, monkeypatch):
    """Runs outside any project cache in the user cache directory: keep the tests'
    entries out of the real ``~/.cache``, and each test's apart."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
