"""The Django requirement a project declares (FFT207's version-dependent shapes)."""

from __future__ import annotations

from rules.n_plus_one._django_version import below, declared_requirement

BOUND = (6, 1)


def test_upper_limits_below_the_bound():
    assert below(">=4.2,<5.0", BOUND) is True
    assert below(">=4.2, <6.1", BOUND) is True
    assert below("==5.2.3", BOUND) is True
    assert below("==6.0.*", BOUND) is True
    assert below("~=4.2", BOUND) is True
    assert below("<=6.0.9", BOUND) is True


def test_versions_that_reach_the_bound_or_say_nothing():
    assert below(">=4.2", BOUND) is False
    assert below(">=5.0,<7.0", BOUND) is False
    assert below("==6.1", BOUND) is False
    assert below("~=6.1", BOUND) is False
    assert below("", BOUND) is None


def test_requirement_found_in_the_nearest_packaging_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["Django>=4.2,<5.3", "celery"]\n')
    pkg = tmp_path / "shop" / "admin"
    pkg.mkdir(parents=True)
    assert declared_requirement(str(pkg)) == ">=4.2,<5.3"


def test_requirement_from_requirements_txt_and_wheel_metadata(tmp_path):
    (tmp_path / "requirements.txt").write_text("# pinned\ndjango==5.1.4\npsycopg\n")
    assert declared_requirement(str(tmp_path)) == "==5.1.4"
    wheel = tmp_path / "wheel"
    (wheel / "shop-1.0.dist-info").mkdir(parents=True)
    (wheel / "shop-1.0.dist-info" / "METADATA").write_text("Name: shop\nRequires-Dist: django<5.3,>=4.2\n")
    assert declared_requirement(str(wheel)) == "<5.3,>=4.2"


def test_no_declaration_and_look_alike_names(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("django-filter>=2\ndjangorestframework\n")
    assert declared_requirement(str(tmp_path)) is None
