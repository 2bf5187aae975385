"""FFT201 / FFT202: an admin action's ``queryset`` holds the selected rows of the admin's
model (``@admin.register(Model)`` or ``admin.site.register(Model, Admin)``)."""

import textwrap

from fftlint.engine.run import lint_source
from fftlint.registry import lookup

RULES = [lookup("FFT201"), lookup("FFT202")]

MODELS = textwrap.dedent(
    """
    from django.contrib import admin
    from django.db import models

    class Vet(models.Model):
        name = models.CharField(max_length=10)

    class Appointment(models.Model):
        vet = models.ForeignKey(Vet, on_delete=models.CASCADE)
        status = models.CharField(max_length=10)
    """
)


def found(body):
    code = MODELS + textwrap.dedent(body)
    diags = lint_source(code, "clinic/admin.py", RULES, {}, module_name="clinic.admin").diagnostics
    return sorted((d.code, " ".join(code.splitlines()[d.span.line - 1].split())) for d in diags)


def test_the_selected_rows_are_the_registered_models():
    assert found(
        """
        @admin.register(Appointment)
        class AppointmentAdmin(admin.ModelAdmin):
            actions = ["cancel", "notify"]

            def cancel(self, request, queryset):
                for appt in queryset:
                    appt.status = "cancelled"
                    appt.save()

            def notify(self, request, queryset):
                return [appt.vet.name for appt in queryset]

        class VetAdmin(admin.ModelAdmin):
            @admin.action(description="Retire")
            def retire(self, request, queryset):
                for vet in queryset:
                    vet.delete()

        admin.site.register(Vet, VetAdmin)
        """
    ) == [
        ("FFT201", "appt.save()"),
        ("FFT201", "vet.delete()"),
        ("FFT202", "return [appt.vet.name for appt in queryset]"),
    ]


def test_look_alikes_stay_silent():
    assert found(
        """
        @admin.register(Appointment)
        class AppointmentAdmin(admin.ModelAdmin):
            actions = ("cancel", "notify")

            def cancel(self, request, queryset):
                queryset.update(status="cancelled")

            def notify(self, request, queryset):
                return [appt.vet.name for appt in queryset.select_related("vet")]

        @admin.register(Appointment)
        class OwnQueryset(admin.ModelAdmin):
            actions = ["notify"]

            def get_queryset(self, request):
                return super().get_queryset(request).select_related("vet")

            def notify(self, request, queryset):
                return [appt.vet.name for appt in queryset]

        class NotRegistered(admin.ModelAdmin):
            @admin.action
            def notify(self, request, queryset):
                return [appt.vet.name for appt in queryset]

        @admin.register(Appointment)
        class NotAnAction(admin.ModelAdmin):
            def notify(self, request, rows):
                return [appt.vet.name for appt in rows]

        class Plain:
            actions = ["notify"]

            def notify(self, request, queryset):
                return [appt.vet.name for appt in queryset]
        """
    ) == []
