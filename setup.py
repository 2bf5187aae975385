"""Packaging glue that pyproject.toml cannot express.

The built-in rules live in the top-level ``rules/`` folder and install as the
``fftlint.rules`` package (never as a bare ``rules`` package in site-packages); every
sub-package under ``rules/`` is found automatically, so a new rule family needs no edit here.
"""

from setuptools import find_packages, setup

packages = find_packages(include=["fftlint", "fftlint.*"])
packages += ["fftlint.rules"] + [f"fftlint.rules.{p}" for p in find_packages("rules")]

setup(packages=packages, package_dir={"fftlint.rules": "rules"})
