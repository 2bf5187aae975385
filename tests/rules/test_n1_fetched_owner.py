"""FFT202: rows of a related manager of one instance the function fetched, beyond
``obj = Model.objects.get(...)`` iterated in the ``for`` itself: Django's
``get_object_or_404(Model, ...)`` fetches one instance too, and the rows may be bound
to a name first (``rows = meeting.attendances.all()``)."""

import textwrap

from fftlint.engine.run import lint_source
from fftlint.registry import lookup

FFT202 = lookup("FFT202")

MODELS = textwrap.dedent(
    """
    from django.db import models
    from django.shortcuts import get_object_or_404

    class Member(models.Model):
        name = models.CharField(max_length=10)

    class Meeting(models.Model):
        title = models.CharField(max_length=10)

    class Attendance(models.Model):
        meeting = models.ForeignKey(Meeting, related_name="attendances", on_delete=models.CASCADE)
        member = models.ForeignKey(Member, related_name="attendances", on_delete=models.CASCADE)
    """
)


def lines(body):
    code = MODELS + textwrap.dedent(body)
    found = lint_source(code, "club/views.py", [FFT202], {}, module_name="club.views").diagnostics
    return [code.splitlines()[d.span.line - 1].strip() for d in found]


def test_get_object_or_404_fetches_one_instance():
    assert lines(
        """
        def roll(pk):
            meeting = get_object_or_404(Meeting, pk=pk)
            for a in meeting.attendances.all():
                print(a.member.name)
        """
    ) == ["print(a.member.name)"]


def test_get_object_or_404_on_a_queryset_loads_what_it_prefetches():
    assert lines(
        """
        def roll(pk):
            meeting = get_object_or_404(Meeting.objects.prefetch_related("attendances__member"), pk=pk)
            for a in meeting.attendances.all():
                print(a.member.name)
        """
    ) == []
    assert lines(
        """
        def roll(pk):
            meeting = get_object_or_404(Meeting.objects.filter(title="x"), pk=pk)
            for a in meeting.attendances.all():
                print(a.member.name)
        """
    ) == ["print(a.member.name)"]


def test_related_rows_bound_to_a_name_first():
    assert lines(
        """
        def roll(pk):
            meeting = Meeting.objects.get(pk=pk)
            rows = meeting.attendances.all()
            for a in rows:
                print(a.member.name)
        """
    ) == ["print(a.member.name)"]
    assert lines(
        """
        def roll(pk):
            meeting = get_object_or_404(Meeting, pk=pk)
            rows = meeting.attendances.select_related("member")
            for a in rows:
                print(a.member.name)
        """
    ) == []


def test_owner_of_unknown_origin_stays_silent():
    # a get_object_or_404 that is not Django's, a rows name bound twice, an owner passed in
    assert lines(
        """
        from club.shortcuts import get_object_or_404 as fetch

        def roll(pk):
            meeting = fetch(Meeting, pk=pk)
            for a in meeting.attendances.all():
                print(a.member.name)

        def roll2(pk, flag):
            meeting = Meeting.objects.get(pk=pk)
            rows = meeting.attendances.all()
            if flag:
                rows = other()
            for a in rows:
                print(a.member.name)

        def roll3(meeting):
            rows = meeting.attendances.all()
            for a in rows:
                print(a.member.name)
        """
    ) == []


FFT201 = lookup("FFT201")


def query_lines(body):
    code = MODELS + textwrap.dedent(body)
    found = lint_source(code, "club/views.py", [FFT201], {}, module_name="club.views").diagnostics
    return [code.splitlines()[d.span.line - 1].strip() for d in found]


def test_get_object_or_404_per_iteration_is_a_query_per_row():
    assert query_lines(
        """
        def rsvp(request):
            for pk in request.POST.getlist("ids"):
                meeting = get_object_or_404(Meeting, pk=pk)
                print(meeting.title)
            for pk in request.POST.getlist("ids"):
                print(get_object_or_404(Meeting.objects.filter(title="x"), pk=pk).title)
        """
    ) == ["meeting = get_object_or_404(Meeting, pk=pk)", 'print(get_object_or_404(Meeting.objects.filter(title="x"), pk=pk).title)']


def test_get_object_or_404_once_stays_silent():
    assert query_lines(
        """
        def rsvp(request, pk):
            meeting = get_object_or_404(Meeting, pk=pk)
            for a in ("x", "y"):
                print(get_object_or_404(Meeting, pk=a))
            for pk in request.POST.getlist("ids"):
                if not pk:
                    return get_object_or_404(Meeting, pk=1)
            return meeting
        """
    ) == []


def test_a_model_signal_receivers_instance_is_one_row_of_the_sender(tmp_path):
    from fftlint.testing import lint_tree, write_tree

    write_tree(tmp_path, {
        "vets/__init__.py": "",
        "vets/models.py": (
            "from django.db import models\n"
            "class Pet(models.Model):\n    name = models.CharField(max_length=9)\n"
            "class Visit(models.Model):\n    pet = models.ForeignKey(Pet, on_delete=models.CASCADE, related_name='visits')\n"
            "    billed = models.BooleanField(default=False)\n"
        ),
        "vets/signals.py": (
            "from django.db.models.signals import m2m_changed, post_save\nfrom django.dispatch import receiver\nfrom .models import Pet\n\n"
            "@receiver(post_save, sender=Pet)\ndef rebill(sender, instance, **kwargs):\n    for visit in instance.visits.all():\n        visit.save()\n\n"
            "@receiver(m2m_changed, sender=Pet)\ndef either_side(sender, instance, **kwargs):\n    for visit in instance.visits.all():\n        visit.save()\n\n"
            "def not_a_receiver(instance):\n    for visit in instance.visits.all():\n        visit.save()\n"
        ),
    })
    found = [(p, d.span.line, d.code) for p, d in lint_tree(tmp_path, select=["FFT201"])]
    assert found == [("vets/signals.py", 8, "FFT201")]
