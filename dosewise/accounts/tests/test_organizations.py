"""The organization switcher: members of several organizations choose the one they work in."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from conftest import login_client, make_patient
from dosewise.accounts.middleware import ACTIVE_ORGANIZATION_KEY
from dosewise.accounts.models import Membership, Organization, User
from dosewise.accounts.tests.support import LOGIN_URL, PATIENT_LIST_URL, actions, events
from dosewise.patients.models import Patient

CHOOSE_URL = reverse("accounts:choose-organization")


def second_membership(member: Membership, organization: Organization) -> Membership:
    return Membership.objects.create(
        user=member.user, organization=organization, role=Membership.Role.NURSE
    )


def listed_mrns(client: Client) -> list[str]:
    response = client.get(PATIENT_LIST_URL)
    assert response.status_code == 200
    return [p.mrn for p in response.context["patients"]]


def test_member_of_two_organizations_is_sent_to_choose_one(
    nurse: Membership, other_organization: Organization, patient: Patient
) -> None:
    second_membership(nurse, other_organization)
    client = login_client(nurse.user)

    response = client.get(PATIENT_LIST_URL)
    page = client.get(CHOOSE_URL)

    assert response.status_code == 302
    assert response["Location"] == CHOOSE_URL
    assert page.status_code == 200
    assert [m.organization for m in page.context["memberships"]] == [
        other_organization,
        nurse.organization,
    ]
    assert ACTIVE_ORGANIZATION_KEY not in client.session


def test_choosing_an_organization_makes_it_active_and_is_audited(
    nurse: Membership, other_organization: Organization, patient: Patient
) -> None:
    second_membership(nurse, other_organization)
    make_patient(other_organization, "HB-0001", given_name="Sam")
    client = login_client(nurse.user)

    response = client.post(CHOOSE_URL, {"organization": str(other_organization.uuid)})

    assert response.status_code == 302
    assert response["Location"] == PATIENT_LIST_URL
    assert client.session[ACTIVE_ORGANIZATION_KEY] == other_organization.pk
    assert listed_mrns(client) == ["HB-0001"]
    [event] = events("organization.switch")
    assert (event.actor, event.actor_label, event.organization) == (
        nurse.user,
        "nurse",
        other_organization,
    )
    assert (event.target_type, event.target_id) == (
        "accounts.organization",
        str(other_organization.uuid),
    )


def test_switching_back_shows_the_first_organizations_patients(
    nurse: Membership, other_organization: Organization, patient: Patient
) -> None:
    second_membership(nurse, other_organization)
    make_patient(other_organization, "HB-0001")
    client = login_client(nurse.user, other_organization)
    assert listed_mrns(client) == ["HB-0001"]

    client.post(CHOOSE_URL, {"organization": str(nurse.organization.uuid)})

    assert listed_mrns(client) == ["MRN-0001"]
    assert [e.organization for e in events("organization.switch")] == [nurse.organization]


def test_choosing_an_organization_one_does_not_belong_to_is_refused(
    nurse: Membership, outsider: Membership, other_organization: Organization
) -> None:
    client = login_client(nurse.user, nurse.organization)

    response = client.post(CHOOSE_URL, {"organization": str(other_organization.uuid)}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == []
    assert [str(m) for m in response.context["messages"]] == [
        "You are not a member of that organization."
    ]
    assert client.session[ACTIVE_ORGANIZATION_KEY] == nurse.organization_id
    assert actions() == []


def test_choosing_an_organization_where_one_was_deactivated_is_refused(
    nurse: Membership, other_organization: Organization
) -> None:
    old = second_membership(nurse, other_organization)
    old.is_active = False
    old.save(update_fields=["is_active"])
    client = login_client(nurse.user, nurse.organization)

    response = client.post(CHOOSE_URL, {"organization": str(other_organization.uuid)})

    assert response.status_code == 200
    assert client.session[ACTIVE_ORGANIZATION_KEY] == nurse.organization_id
    assert [m.organization for m in response.context["memberships"]] == [nurse.organization]
    assert actions() == []


def test_malformed_organization_id_is_refused_without_error(nurse: Membership) -> None:
    client = login_client(nurse.user, nurse.organization)

    response = client.post(CHOOSE_URL, {"organization": "not-a-uuid"})

    assert response.status_code == 200
    assert client.session[ACTIVE_ORGANIZATION_KEY] == nurse.organization_id
    assert actions() == []


def test_single_organization_member_goes_straight_to_the_patient_list(nurse: Membership) -> None:
    client = login_client(nurse.user)

    response = client.get(PATIENT_LIST_URL)

    assert response.status_code == 200
    assert client.session[ACTIVE_ORGANIZATION_KEY] == nurse.organization_id


def test_anonymous_chooser_goes_to_login(client: Client, db: None) -> None:
    response = client.get(CHOOSE_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL


def test_user_without_memberships_is_refused_the_patient_list(patient_user: User) -> None:
    client = login_client(patient_user)

    response = client.get(PATIENT_LIST_URL)

    assert response.status_code == 403
    [event] = events("access.denied")
    assert event.detail == {"path": PATIENT_LIST_URL, "why": "no membership"}
