"""Schema pieces every part of the JSON API shares: strict input, ISO dates, people, problems.

No `from __future__ import annotations` here or in the apps' `schemas.py`: ninja's `PatchDict`
rebuilds input schemas from their annotations, which must be real types, not strings.
"""

import datetime as dt
import re
from typing import Annotated, Any, Literal
from uuid import UUID

from django.db import models
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: object) -> object:
    # Pydantic would also take 1700000000 or "2024-01-01T00:00" as a date; a clinical date
    # arrives written out, so anything else is refused rather than guessed.
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise PydanticCustomError("date_format", "Write the date as YYYY-MM-DD.")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]


def one_of(
    choices: type[models.Choices], *, leave_out: tuple[str, ...] = (), blank: bool = False
) -> Any:
    """A `Literal` of a model's choice values, so OpenAPI lists them and nothing else passes.

    `blank` also allows "" (a choice field with blank=True: "not known").
    """
    values = [value for value in choices.values if value not in leave_out]
    return Literal[tuple([""] + values if blank else values)]


class InSchema(Schema):
    """Request body: an unknown field is refused (a misspelt field must not vanish silently).

    Text is stripped like Django form fields strip it, so the API stores what the web UI stores.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: object) -> object:
        # PostgreSQL cannot store NUL in text; refuse it here rather than fail on save.
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError("nul_character", "Text cannot contain NUL characters.")
        return value


class ReasonIn(InSchema):
    """Why a record is being withdrawn (entered in error)."""

    reason: str = Field(description="Why this record is wrong; kept with the record.")


class PersonOut(Schema):
    """A user named on a record (author, clinician, signer)."""

    uuid: UUID
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class FieldError(Schema):
    field: str | None = Field(description="The field at fault; null when the whole request is.")
    message: str


class Problem(Schema):
    """An error, as RFC 9457 problem details (`application/problem+json`)."""

    type: str = Field(examples=["about:blank"])
    title: str = Field(examples=["Unprocessable Content"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["mrn: Another patient in this organization has this MRN."])
    errors: list[FieldError] | None = Field(
        None, description="For 422: each invalid field with its message."
    )
