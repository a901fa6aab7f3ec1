"""Checks every service makes before it saves, whatever the caller (form, API, script)."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import models


def refuse_nulls(model: type[models.Model], values: Mapping[str, object]) -> None:
    """Name each field given None that the database would refuse.

    Django's full_clean() skips empty values of blank=True fields, so None would otherwise reach
    a NOT NULL column and fail as a server error instead of a named field error.
    """
    errors = {
        name: ["This field cannot be null."]
        for name, value in values.items()
        if value is None and not getattr(model._meta.get_field(name), "null", False)
    }
    if errors:
        raise ValidationError(errors)
