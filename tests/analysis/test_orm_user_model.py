"""``AUTH_USER_MODEL`` without reading settings: foreign keys to it and
``get_user_model()`` name the project's one custom user model, else Django's ``auth.User``."""

from __future__ import annotations

from fftlint.analysis.orm import index_for_source

MEMBERS = (
    "from django.conf import settings\nfrom django.db import models\n"
    "class Membership(models.Model):\n"
    "    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name='memberships')\n"
)


def test_without_a_custom_user_model_the_user_is_djangos_own():
    index = index_for_source(MEMBERS, "club.models")
    user = index.find("django.contrib.auth.get_user_model()")
    assert user is not None and user.qualname == "django.contrib.auth.models.User"
    assert index.relation(user, "memberships").target == "club.models.Membership"
    assert index.relation(index.find("club.models.Membership"), "member").target == user.qualname


def test_the_one_custom_user_model_is_the_user():
    custom = MEMBERS + "from django.contrib.auth.models import AbstractUser\nclass Member(AbstractUser):\n    pass\n"
    index = index_for_source(custom, "club.models")
    assert index.find("django.conf.settings.AUTH_USER_MODEL").qualname == "club.models.Member"
    assert index.relation(index.find("club.models.Member"), "memberships") is not None


def test_several_custom_user_models_leave_the_user_unknown():
    two = MEMBERS + ("from django.contrib.auth.base_user import AbstractBaseUser\n"
                     "class A(AbstractBaseUser):\n    pass\nclass B(AbstractBaseUser):\n    pass\n")
    index = index_for_source(two, "club.models")
    assert index.find("django.contrib.auth.get_user_model()") is None
    assert index.relation(index.find("club.models.Membership"), "member").target is None
