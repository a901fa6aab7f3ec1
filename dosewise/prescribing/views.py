"""Prescribing pages (being written)."""

from django.http import Http404, HttpRequest, HttpResponse


def prescription_new(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def prescription_review(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def outside_medication_new(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def prescription_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def prescription_change_dose(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def prescription_switch(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def prescription_hold(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def prescription_resume(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def prescription_discontinue(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def prescription_renew(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def prescription_entered_in_error(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")


def drug_picker(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")
