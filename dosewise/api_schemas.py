"""Schema pieces every part of the JSON API shares: strict input, ISO dates, people, problems.

No `from __future__ import annotations` in schema modules: pydantic and ninja read the
annotations at run time, and the types used here (`Literal` of model choices) are built then.
"""

import datetime as dt
import re
from typing import Annotated, Any, Literal
from uuid import UUID

from django.db import models
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
    field_validator,
)
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


def _refuse_nul(value: str) -> str:
    # PostgreSQL cannot store or compare NUL in text; refuse it here rather than fail later.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "Text cannot contain NUL characters.")
    return value


# Free text from a query string (searches): the same NUL rule as bodies.
QueryText = Annotated[str, AfterValidator(_refuse_nul)]


class InSchema(Schema):
    """Request body: an unknown field is refused (a misspelt field must not vanish silently).

    Text is stripped like Django form fields strip it, so the API stores what the web UI stores.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul_in_text(cls, value: object) -> object:
        return _refuse_nul(value) if isinstance(value, str) else value


def _not_sent() -> None:
    return None


def patch_of(schema: type[InSchema], name: str, doc: str) -> type[InSchema]:
    """`schema` for PATCH: every field optional, to send only what changes.

    Unlike ninja's `PatchDict`, a field keeps its type: null is refused where the record cannot
    hold null, instead of reaching the service (a blank-but-not-null column would take it to
    the database and fail there). Dump with `exclude_unset=True`.
    """
    fields: dict[str, Any] = {
        field: (
            Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation,
            # A factory, not a default: OpenAPI then shows no misleading "default".
            Field(default_factory=_not_sent, description=info.description),
        )
        for field, info in schema.model_fields.items()
    }
    model: type[InSchema] = create_model(name, __base__=InSchema, __doc__=doc, **fields)
    model.__module__ = schema.__module__
    return model


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
