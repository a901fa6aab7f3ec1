"""Look up and search ICD-10-CM codes in the compact table (`Icd10CmCode`)."""

from __future__ import annotations

import re

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Length

from dosewise.clinical.models import Icd10CmCode

# Abbreviations clinicians type that the official descriptions spell out.
_ABBREVIATIONS = {
    "adhd": "attention-deficit hyperactivity",
    "add": "attention-deficit",
    "gad": "generalized anxiety",
    "mdd": "major depressive",
    "ocd": "obsessive-compulsive",
    "ptsd": "post-traumatic stress",
    "bpad": "bipolar",
    "sud": "use disorder",
    "aud": "alcohol",
}

_CODE_LIKE = re.compile(r"^[A-Za-z]\d[0-9A-Za-z]?\.?[0-9A-Za-z]{0,4}$")


def normalize_code(raw: str) -> str:
    """'f3181' or ' F31.81 ' -> 'F31.81' (the dot sits after the third character)."""
    code = raw.strip().upper().replace(".", "")
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def lookup(raw: str) -> Icd10CmCode | None:
    return Icd10CmCode.objects.filter(code=normalize_code(raw)).first()


def search(query: str, *, limit: int = 20, billable_only: bool = False) -> list[Icd10CmCode]:
    """Codes matching a code prefix ("F31.8", "f318") or all the words typed ("bipolar II").

    Mental and behavioural codes (chapter 5, F) come first, then billable codes, then the
    shorter (more general) code.
    """
    text = " ".join(query.lower().split())
    if len(text) < 2:
        return []
    codes: QuerySet[Icd10CmCode] = Icd10CmCode.objects.all()
    if billable_only:
        codes = codes.filter(is_billable=True)
    if _CODE_LIKE.match(text):
        prefix = normalize_code(text)
        by_code = codes.filter(code__startswith=prefix)
        results = list(by_code.order_by(Length("code"), "code")[:limit])
        if results:
            return results
    condition = Q()
    words = " ".join(_ABBREVIATIONS.get(word, word) for word in text.split()).split()
    for word in words:
        condition &= Q(search_text__contains=word)
    ranked = codes.filter(condition).annotate(
        chapter_rank=Case(
            When(code__startswith="F", then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    )
    return list(ranked.order_by("chapter_rank", "-is_billable", Length("code"), "code")[:limit])
