"""Medication history and printable prescriptions (being written)."""

from django.http import Http404, HttpRequest, HttpResponse


def medication_history(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def prescription_print(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")
