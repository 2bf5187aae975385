"""FFT201 / FFT202: the signed-in user of a Django request is one row of the user model.

``request.user`` (a view function's ``request`` parameter) and ``self.request.user`` (a
class-based view) are the instance Django's authentication middleware fetched with a
plain ``get()``: nothing of its relations is prefetched, so a loop over one of its related
managers loads each row's relations one query at a time, and a related-manager query in
another loop runs once per iteration."""

import textwrap

from fftlint.engine.run import lint_source
from fftlint.registry import lookup

FFT201 = lookup("FFT201")
FFT202 = lookup("FFT202")

MODELS = textwrap.dedent(
    """
    from django.contrib.auth.models import AbstractUser
    from django.db import models
    from django.views.generic import ListView

    class Member(AbstractUser):
        pass

    class Team(models.Model):
        name = models.CharField(max_length=10)
        lead = models.ForeignKey("Member", related_name="led", on_delete=models.CASCADE)

    class Seat(models.Model):
        team = models.ForeignKey(Team, related_name="seats", on_delete=models.CASCADE)
        member = models.ForeignKey(Member, related_name="seats", on_delete=models.CASCADE)
    """
)


def found(body, rules=(FFT201, FFT202), head=""):
    code = MODELS + head + textwrap.dedent(body)
    diags = lint_source(code, "club/views.py", list(rules), {}, module_name="club.views").diagnostics
    return [(d.code, code.splitlines()[d.span.line - 1].strip()) for d in diags]


def test_rows_of_the_request_users_related_manager_load_relations_per_row():
    assert found(
        """
        def my_seats(request):
            for seat in request.user.seats.all():
                print(seat.team.name)
        """
    ) == [("FFT202", "print(seat.team.name)")]


def test_self_request_user_in_a_class_based_view():
    assert found(
        """
        class MySeats(ListView):
            def get_context_data(self, **kwargs):
                ctx = super().get_context_data(**kwargs)
                ctx["teams"] = [seat.team.name for seat in self.request.user.seats.all()]
                return ctx
        """
    ) == [("FFT202", 'ctx["teams"] = [seat.team.name for seat in self.request.user.seats.all()]')]


def test_a_related_manager_query_per_row_of_the_users_rows():
    assert found(
        """
        def my_teams(request):
            return [(team.name, team.seats.count()) for team in request.user.led.all()]
        """
    ) == [("FFT202", "return [(team.name, team.seats.count()) for team in request.user.led.all()]")]


def test_the_users_related_query_in_another_loop_runs_per_iteration():
    assert found(
        """
        def seats_in(request, teams):
            for team in Team.objects.all():
                print(request.user.seats.filter(team=team).exists())
        """
    ) == [("FFT201", "print(request.user.seats.filter(team=team).exists())")]


def test_loaded_rows_and_look_alikes_stay_silent():
    assert found(
        """
        def my_seats(request):
            for seat in request.user.seats.select_related("team"):
                print(seat.team.name)

        def plain(request):
            for seat in request.user.seats.all():
                print(seat.team_id)

        def not_a_request(job):
            for seat in job.user.seats.all():
                print(seat.team.name)

        def rebound(request):
            request = build_fake()
            for seat in request.user.seats.all():
                print(seat.team.name)

        class NotAView:
            def run(self):
                self.request = make()
                for seat in self.request.user.seats.all():
                    print(seat.team.name)
        """
    ) == []


def test_an_unknown_user_model_stays_silent():
    code = textwrap.dedent(
        """
        from django.contrib.auth.models import AbstractUser
        from django.db import models

        class Member(AbstractUser):
            pass

        class Staff(AbstractUser):
            pass

        class Seat(models.Model):
            member = models.ForeignKey(Member, related_name="seats", on_delete=models.CASCADE)
            team = models.ForeignKey("Seat", on_delete=models.CASCADE)

        def my_seats(request):
            for seat in request.user.seats.all():
                print(seat.team.id)
        """
    )
    assert list(lint_source(code, "club/views.py", [FFT201, FFT202], {}, module_name="club.views").diagnostics) == []


def test_the_user_bound_to_a_name_first():
    assert found(
        """
        def my_seats(request):
            user = request.user
            for seat in user.seats.all():
                print(seat.team.name)
        """
    ) == [("FFT202", "print(seat.team.name)")]


DETAIL = """
from django.views.generic import DetailView, UpdateView
from django.contrib.auth.mixins import LoginRequiredMixin
"""


def test_the_object_of_a_detail_view_is_one_fetched_row():
    assert found(
        head=DETAIL, body="""
        class TeamDetail(LoginRequiredMixin, DetailView):
            model = Team

            def get_context_data(self, **kwargs):
                ctx = super().get_context_data(**kwargs)
                ctx["names"] = [seat.member.username for seat in self.object.seats.all()]
                return ctx

        class TeamEdit(UpdateView):
            model = Team
            fields = ["name"]

            def form_valid(self, form):
                team = self.get_object()
                for seat in team.seats.all():
                    print(seat.member.username)
                return super().form_valid(form)
        """
    ) == [
        ("FFT202", 'ctx["names"] = [seat.member.username for seat in self.object.seats.all()]'),
        ("FFT202", "print(seat.member.username)"),
    ]


def test_a_detail_view_that_decides_its_object_stays_silent():
    assert found(
        head=DETAIL, body="""
        class Declared(DetailView):
            queryset = Team.objects.prefetch_related("seats__member")

            def get_context_data(self, **kwargs):
                return {"names": [s.member.username for s in self.object.seats.all()]}

        class Own(DetailView):
            model = Team

            def get_queryset(self):
                return Team.objects.prefetch_related("seats__member")

            def get_context_data(self, **kwargs):
                return {"names": [s.member.username for s in self.object.seats.all()]}

        class Unknown(SomeMixin, DetailView):
            model = Team

            def get_context_data(self, **kwargs):
                return {"names": [s.member.username for s in self.object.seats.all()]}

        class Replaced(DetailView):
            model = Team

            def get(self, request, *args, **kwargs):
                self.object = load_team_with_seats()
                return super().get(request, *args, **kwargs)

            def get_context_data(self, **kwargs):
                return {"names": [s.member.username for s in self.object.seats.all()]}

        class NotAView:
            model = Team

            def run(self):
                return [s.member.username for s in self.object.seats.all()]
        """
    ) == []


def test_the_foreign_key_back_to_the_managers_owner_is_no_query():
    # Django's related manager hands each row the owner instance (``_known_related_objects``)
    assert found(
        """
        def my_seats(request):
            for seat in request.user.seats.all():
                print(seat.member.username)

        def nested():
            for team in Team.objects.all():
                for seat in team.seats.all():
                    print(seat.team.name, seat.member.username)
        """
    ) == [("FFT202", "for seat in team.seats.all():"), ("FFT202", "print(seat.team.name, seat.member.username)")]


def test_a_drf_list_view_over_the_users_related_manager():
    found_here = found(
        head="from rest_framework import generics, serializers\n",
        body="""
        class SeatSerializer(serializers.ModelSerializer):
            team_name = serializers.CharField(source="team.name")
            who = serializers.CharField(source="member.username")

            class Meta:
                model = Seat
                fields = ["team_name", "who"]

        class MySeats(generics.ListAPIView):
            serializer_class = SeatSerializer

            def get_queryset(self):
                return self.request.user.seats.all()

        class MyLoadedSeats(generics.ListAPIView):
            serializer_class = SeatSerializer

            def get_queryset(self):
                return self.request.user.seats.select_related("team")
        """,
        rules=(lookup("FFT204"),),
    )
    # ``member`` is the user the manager belongs to: no query; ``team`` is one per row
    assert found_here == [("FFT204", "return self.request.user.seats.all()")]


def test_get_object_in_a_drf_viewset_action_and_a_declared_queryset():
    assert found(
        head="from rest_framework import viewsets\nfrom rest_framework.decorators import action\nfrom rest_framework.response import Response\n",
        body="""
        class TeamViewSet(viewsets.ModelViewSet):
            queryset = Team.objects.filter(name__isnull=False)

            @action(detail=True)
            def roster(self, request, pk=None):
                team = self.get_object()
                return Response([s.member.username for s in team.seats.all()])

        class LoadedTeams(viewsets.ModelViewSet):
            queryset = Team.objects.prefetch_related("seats__member")

            @action(detail=True)
            def roster(self, request, pk=None):
                return Response([s.member.username for s in self.get_object().seats.all()])

        class NoObjectAttribute(viewsets.ModelViewSet):
            queryset = Team.objects.all()

            def roster(self, request):
                return Response([s.member.username for s in self.object.seats.all()])
        """,
    ) == [("FFT202", "return Response([s.member.username for s in team.seats.all()])")]


def test_a_to_one_relation_of_the_user_is_one_more_fetched_row():
    code = textwrap.dedent(
        """
        from django.contrib.auth.models import AbstractUser
        from django.db import models

        class Account(AbstractUser):
            pass

        class Reader(models.Model):
            account = models.OneToOneField(Account, related_name="reader", on_delete=models.CASCADE)

        class Book(models.Model):
            title = models.CharField(max_length=10)

        class Loan(models.Model):
            reader = models.ForeignKey(Reader, related_name="loans", on_delete=models.CASCADE)
            book = models.ForeignKey(Book, on_delete=models.CASCADE)

        def my_loans(request):
            reader = request.user.reader
            return [loan.book.title for loan in reader.loans.all()]

        def my_loans_inline(request):
            return [loan.book.title for loan in request.user.reader.loans.select_related("book")]
        """
    )
    diags = lint_source(code, "lib/views.py", [FFT202], {}, module_name="lib.views").diagnostics
    assert [code.splitlines()[d.span.line - 1].strip() for d in diags] == ["return [loan.book.title for loan in reader.loans.all()]"]
