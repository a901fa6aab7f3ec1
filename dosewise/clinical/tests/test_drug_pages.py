"""Clinicians can read every fact the safety checks use, with its source and status."""

from __future__ import annotations

from django.urls import reverse

from dosewise.accounts.models import Membership


def test_drug_page_shows_dosing_with_source_and_status(client_for, prescriber: Membership) -> None:  # type: ignore[no-untyped-def]
    response = client_for(prescriber).get(reverse("clinical:drug-detail", args=["Zoloft"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "<h1>sertraline" in text
    assert "200 mg/day" in text
    assert "label-zoloft" in text
    assert "verification-verified" in text


def test_unknown_drug_is_404(client_for, prescriber: Membership) -> None:  # type: ignore[no-untyped-def]
    response = client_for(prescriber).get(reverse("clinical:drug-detail", args=["unobtainium"]))
    assert response.status_code == 404


def test_search_narrows_the_list(client_for, nurse: Membership) -> None:  # type: ignore[no-untyped-def]
    response = client_for(nurse).get(
        reverse("clinical:drug-list"), {"q": "zolo"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b"sertraline" in response.content
    assert b"linezolid" not in response.content
