"""Member management by the clinic admin: invite, change role, deactivate, reset two-factor."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from conftest import make_member
from dosewise.accounts import services
from dosewise.accounts.models import ApiToken, Membership, Organization, User
from dosewise.accounts.tests.support import (
    ENROL_URL,
    LOGIN_URL,
    PATIENT_LIST_URL,
    actions,
    events,
    logged_in_user_id,
    post_password,
)

MEMBER_LIST_URL = reverse("accounts:member-list")
NEW_PASSWORD = "lantern orchard ninety"
# Session, user, OTP device, two-factor requirement, active membership, the members, and the
# session save (savepoint, update, release).
MEMBER_LIST_QUERIES = 9

ClientFor = Callable[[Membership], Client]


def edit_url(member: Membership) -> str:
    return reverse("accounts:member-edit", args=[member.uuid])


def invite(**fields: Any) -> dict[str, Any]:
    data = {
        "email": "New.Nurse@Example.org",
        "first_name": "Nora",
        "last_name": "Quinn",
        "role": "nurse",
        "credential": "",
        "npi": "",
        "dea_number": "",
        "state_license": "",
    }
    data.update(fields)
    return data


def role_change(role: str, **fields: Any) -> dict[str, Any]:
    data = {
        "action": "change-role",
        "role": role,
        "credential": "",
        "npi": "",
        "dea_number": "",
        "state_license": "",
    }
    data.update(fields)
    return data


# --- Who may manage members ----------------------------------------------------------------


def test_admin_sees_the_members_of_their_organization_only(
    clinic_admin: Membership, nurse: Membership, outsider: Membership, client_for: ClientFor
) -> None:
    response = client_for(clinic_admin).get(MEMBER_LIST_URL)

    assert response.status_code == 200
    assert {m.user.username for m in response.context["members"]} == {"admin", "nurse"}


@pytest.mark.parametrize("persona", ["prescriber", "nurse", "front_desk", "outsider"])
def test_non_admins_are_refused_the_member_list(
    persona: str, request: pytest.FixtureRequest, client_for: ClientFor
) -> None:
    member: Membership = request.getfixturevalue(persona)

    response = client_for(member).get(MEMBER_LIST_URL)

    assert response.status_code == 403
    [event] = events("access.denied")
    assert event.actor == member.user
    assert event.detail == {"path": MEMBER_LIST_URL, "why": f"role {member.role}"}


@pytest.mark.parametrize("persona", ["prescriber", "nurse", "front_desk"])
def test_non_admins_cannot_invite_or_edit(
    persona: str, request: pytest.FixtureRequest, client_for: ClientFor, colleague: Membership
) -> None:
    member: Membership = request.getfixturevalue(persona)
    client = client_for(member)

    invited = client.post(MEMBER_LIST_URL, invite())
    deactivated = client.post(edit_url(colleague), {"action": "deactivate"})

    assert (invited.status_code, deactivated.status_code) == (403, 403)
    assert not User.objects.filter(email="new.nurse@example.org").exists()
    colleague.refresh_from_db()
    assert colleague.is_active is True
    assert len(mail.outbox) == 0
    assert set(actions()) == {"access.denied"}


def test_anonymous_member_list_goes_to_login(client: Client, db: None) -> None:
    response = client.get(MEMBER_LIST_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={MEMBER_LIST_URL}"


def test_admin_cannot_manage_a_member_of_another_organization(
    clinic_admin: Membership, outsider: Membership, client_for: ClientFor
) -> None:
    client = client_for(clinic_admin)

    page = client.get(edit_url(outsider))
    deactivated = client.post(edit_url(outsider), {"action": "deactivate"})
    reset = client.post(edit_url(outsider), {"action": "reset-two-factor"})
    changed = client.post(edit_url(outsider), role_change("nurse"))

    assert [r.status_code for r in (page, deactivated, reset, changed)] == [404, 404, 404, 404]
    outsider.refresh_from_db()
    assert (outsider.is_active, outsider.role) == (True, "prescriber")
    assert actions() == []


def test_services_refuse_an_admin_of_another_organization(
    clinic_admin: Membership, outsider: Membership
) -> None:
    with pytest.raises(PermissionDenied):
        services.deactivate_member(clinic_admin, outsider)
    with pytest.raises(PermissionDenied):
        services.reset_two_factor(clinic_admin, outsider)
    assert actions() == []


def test_services_refuse_a_non_admin(prescriber: Membership, nurse: Membership) -> None:
    with pytest.raises(PermissionDenied):
        services.change_role(prescriber, nurse, role="staff")
    with pytest.raises(PermissionDenied):
        services.invite_member(
            prescriber, email="x@example.org", first_name="X", last_name="Y", role="nurse"
        )
    assert actions() == []
    assert not User.objects.filter(email="x@example.org").exists()


# --- Invitations ---------------------------------------------------------------------------


def test_invite_creates_an_account_without_password_and_emails_a_link(
    clinic_admin: Membership,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = client_for(clinic_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(MEMBER_LIST_URL, invite())

    assert response.status_code == 302
    assert response["Location"] == MEMBER_LIST_URL
    user = User.objects.get(email="new.nurse@example.org")
    assert (user.username, user.first_name, user.last_name) == (
        "new.nurse@example.org",
        "Nora",
        "Quinn",
    )
    assert user.has_usable_password() is False
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role, membership.is_active) == (
        clinic_admin.organization,
        "nurse",
        True,
    )
    [message] = mail.outbox
    assert message.to == ["new.nurse@example.org"]
    assert message.subject == "You are invited to Riverside Psychiatry on Dosewise"
    assert "as Nurse" in message.body
    [event] = events("member.add")
    assert (event.actor, event.organization) == (clinic_admin.user, clinic_admin.organization)
    assert event.detail == {"user": "new.nurse@example.org", "role": "nurse"}


def test_invitation_link_sets_the_password_once_and_the_member_can_log_in(
    clinic_admin: Membership,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    client: Client,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_for(clinic_admin).post(MEMBER_LIST_URL, invite())
    [message] = mail.outbox
    link = re.search(
        r"http://127\.0\.0\.1:8000(/accounts/set-password/[^/\s]+/[^/\s]+/)", message.body
    )
    assert link is not None
    path = link.group(1)

    page = client.get(path)
    response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    reused = client.get(path)
    login = post_password(client, "new.nurse@example.org", NEW_PASSWORD)

    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert reused.status_code == 404
    assert login.status_code == 302
    assert login["Location"] == PATIENT_LIST_URL
    assert logged_in_user_id(client) == str(User.objects.get(email="new.nurse@example.org").pk)


def test_set_password_enforces_the_password_rules(
    clinic_admin: Membership,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    client: Client,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_for(clinic_admin).post(MEMBER_LIST_URL, invite())
    path = re.search(r"(/accounts/set-password/\S+/)", mail.outbox[0].body).group(1)  # type: ignore[union-attr]

    response = client.post(path, {"new_password1": "short", "new_password2": "short"})

    assert response.status_code == 200
    assert (
        "This password is too short. It must contain at least 12 characters."
        in response.context["form"].errors["new_password2"]
    )
    assert User.objects.get(email="new.nurse@example.org").has_usable_password() is False


@pytest.mark.parametrize(
    ("uidb64", "token"),
    [("bm90YW51bWJlcg", "abc-def"), ("!!!", "abc-def"), ("OTk5OTk5", "abc-def")],
    ids=["not-a-number", "not-base64", "no-such-user"],
)
def test_invalid_set_password_links_are_not_found(
    client: Client, db: None, uidb64: str, token: str
) -> None:
    response = client.get(reverse("accounts:set-password", args=[uidb64, token]))

    assert response.status_code == 404


def test_set_password_link_with_a_wrong_token_is_not_found(
    client: Client, nurse: Membership
) -> None:
    uid = urlsafe_base64_encode(force_bytes(nurse.user.pk))

    response = client.post(
        reverse("accounts:set-password", args=[uid, "cx1a2b-0123456789abcdef0123456789abcdef"]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 404
    nurse.user.refresh_from_db()
    assert nurse.user.check_password(NEW_PASSWORD) is False


def test_inviting_a_prescriber_with_a_bad_npi_creates_nothing(
    clinic_admin: Membership,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(clinic_admin).post(
            MEMBER_LIST_URL, invite(role="prescriber", credential="psychiatrist", npi="1234567890")
        )

    assert response.status_code == 200
    assert response.context["form"].errors["npi"] == [
        "This NPI's check digit is wrong; check for a typing error."
    ]
    assert not User.objects.filter(email="new.nurse@example.org").exists()
    assert Membership.objects.count() == 1
    assert len(mail.outbox) == 0
    assert actions() == []


def test_inviting_a_prescriber_with_credentials(
    clinic_admin: Membership,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(clinic_admin).post(
            MEMBER_LIST_URL,
            invite(
                role="prescriber",
                credential="np",
                npi="1234567893",
                dea_number="aq1234563",
                dea_schedules=["2", "3"],
                state_license="NY 123456",
            ),
        )

    assert response.status_code == 302
    membership = Membership.objects.get(user__email="new.nurse@example.org")
    assert (membership.role, membership.credential, membership.npi) == (
        "prescriber",
        "np",
        "1234567893",
    )
    assert (membership.dea_number, membership.dea_schedules, membership.state_license) == (
        "AQ1234563",
        ["2", "3"],
        "NY 123456",
    )
    assert len(mail.outbox) == 1


def test_inviting_a_nurse_with_an_npi_is_refused(
    clinic_admin: Membership, client_for: ClientFor
) -> None:
    response = client_for(clinic_admin).post(MEMBER_LIST_URL, invite(npi="1234567893"))

    assert response.status_code == 200
    assert response.context["form"].errors["role"] == [
        "Only prescribers carry a credential, NPI or DEA registration."
    ]
    assert not User.objects.filter(email="new.nurse@example.org").exists()


def test_inviting_an_existing_member_again_is_refused(
    clinic_admin: Membership,
    nurse: Membership,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(clinic_admin).post(MEMBER_LIST_URL, invite(email="NURSE@example.org"))

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "This person is already a member of the organization."
    ]
    assert Membership.objects.filter(user=nurse.user).count() == 1
    assert len(mail.outbox) == 0
    assert actions() == []


def test_invitation_is_not_sent_when_the_transaction_rolls_back(clinic_admin: Membership) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        services.invite_member(
            clinic_admin, email="late@example.org", first_name="L", last_name="Ate", role="nurse"
        )
        raise RuntimeError

    assert len(mail.outbox) == 0
    assert not User.objects.filter(email="late@example.org").exists()


# --- Changing roles ------------------------------------------------------------------------


def test_nurse_to_prescriber_needs_a_credential_and_a_valid_npi(
    clinic_admin: Membership, nurse: Membership, client_for: ClientFor
) -> None:
    response = client_for(clinic_admin).post(edit_url(nurse), role_change("prescriber"))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["credential"] == [
        "Choose psychiatrist, nurse practitioner or physician assistant."
    ]
    assert errors["npi"] == ["An NPI is exactly 10 digits."]
    nurse.refresh_from_db()
    assert (nurse.role, nurse.credential, nurse.npi) == ("nurse", "", "")
    assert actions() == []


def test_nurse_to_prescriber_with_credentials_is_audited(
    clinic_admin: Membership, nurse: Membership, client_for: ClientFor
) -> None:
    response = client_for(clinic_admin).post(
        edit_url(nurse), role_change("prescriber", credential="pa", npi="1234567893")
    )

    assert response.status_code == 302
    assert response["Location"] == MEMBER_LIST_URL
    nurse.refresh_from_db()
    assert (nurse.role, nurse.credential, nurse.npi) == ("prescriber", "pa", "1234567893")
    [event] = events("member.change-role")
    assert (event.actor, event.actor_label, event.organization) == (
        clinic_admin.user,
        "admin",
        clinic_admin.organization,
    )
    assert (event.target_type, event.target_id) == ("accounts.membership", str(nurse.uuid))
    assert event.detail == {"user": "nurse", "from": "nurse", "to": "prescriber"}


def test_role_change_message_names_the_new_role(
    clinic_admin: Membership, nurse: Membership, client_for: ClientFor
) -> None:
    response = client_for(clinic_admin).post(
        edit_url(nurse), role_change("prescriber", credential="pa", npi="1234567893"), follow=True
    )

    assert [str(m) for m in response.context["messages"]] == ["Test User is now Prescriber."]


def test_prescriber_to_nurse_clears_the_credentials(
    clinic_admin: Membership, prescriber: Membership, client_for: ClientFor
) -> None:
    response = client_for(clinic_admin).post(edit_url(prescriber), role_change("nurse"))

    assert response.status_code == 302
    prescriber.refresh_from_db()
    assert (prescriber.role, prescriber.credential, prescriber.npi, prescriber.dea_schedules) == (
        "nurse",
        "",
        "",
        [],
    )
    assert [e.detail for e in events("member.change-role")] == [
        {"user": "dr.treating", "from": "prescriber", "to": "nurse"}
    ]


def test_admin_cannot_demote_themself(clinic_admin: Membership, client_for: ClientFor) -> None:
    response = client_for(clinic_admin).post(edit_url(clinic_admin), role_change("nurse"))

    assert response.status_code == 200
    assert response.context["form"].errors["role"] == [
        "You cannot remove your own admin role; ask another admin."
    ]
    clinic_admin.refresh_from_db()
    assert clinic_admin.role == "admin"
    assert actions() == []


def test_admin_cannot_deactivate_themself(clinic_admin: Membership, client_for: ClientFor) -> None:
    response = client_for(clinic_admin).post(edit_url(clinic_admin), {"action": "deactivate"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["You cannot deactivate yourself."]
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_active is True
    assert actions() == []


# --- Deactivation --------------------------------------------------------------------------


def test_deactivated_member_loses_access_and_their_api_tokens(
    clinic_admin: Membership, nurse: Membership, client_for: ClientFor
) -> None:
    nurse_client = client_for(nurse)
    assert nurse_client.get(PATIENT_LIST_URL).status_code == 200
    token, raw = services.create_api_token(nurse, name="export script")

    response = client_for(clinic_admin).post(edit_url(nurse), {"action": "deactivate"})

    assert response.status_code == 302
    assert response["Location"] == MEMBER_LIST_URL
    nurse.refresh_from_db()
    assert nurse.is_active is False
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.matching(raw) is None
    assert nurse_client.get(PATIENT_LIST_URL).status_code == 403
    [event] = events("member.deactivate")
    assert (event.actor, event.organization) == (clinic_admin.user, clinic_admin.organization)
    assert (event.target_type, event.target_id) == ("accounts.membership", str(nurse.uuid))
    assert event.detail == {"user": "nurse", "api_tokens_revoked": 1}


def test_deactivated_member_logging_in_again_is_refused_the_patient_list(
    clinic_admin: Membership, nurse: Membership, client: Client
) -> None:
    services.deactivate_member(clinic_admin, nurse)

    post_password(client, "nurse")
    response = client.get(PATIENT_LIST_URL)

    assert response.status_code == 403


def test_deactivating_twice_is_refused(
    clinic_admin: Membership, nurse: Membership, client_for: ClientFor
) -> None:
    client = client_for(clinic_admin)
    client.post(edit_url(nurse), {"action": "deactivate"})

    response = client.post(edit_url(nurse), {"action": "deactivate"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["This member is already deactivated."]
    assert len(events("member.deactivate")) == 1


def test_deactivation_leaves_other_members_tokens_alone(
    clinic_admin: Membership, nurse: Membership, front_desk: Membership
) -> None:
    kept, _ = services.create_api_token(front_desk, name="kiosk")

    services.deactivate_member(clinic_admin, nurse)

    kept.refresh_from_db()
    assert kept.revoked_at is None


# --- Two-factor reset ----------------------------------------------------------------------


def test_reset_two_factor_removes_authenticator_and_backup_codes(
    clinic_admin: Membership, prescriber: Membership, client_for: ClientFor, client: Client
) -> None:
    prescriber_client = client_for(prescriber)  # also sets up a confirmed authenticator
    services.regenerate_backup_codes(prescriber.user)
    admin_client = client_for(clinic_admin)
    admin_device = TOTPDevice.objects.get(user=clinic_admin.user)

    response = admin_client.post(edit_url(prescriber), {"action": "reset-two-factor"})

    assert response.status_code == 302
    assert response["Location"] == MEMBER_LIST_URL
    assert TOTPDevice.objects.filter(user=prescriber.user).count() == 0
    assert StaticDevice.objects.filter(user=prescriber.user).count() == 0
    assert StaticToken.objects.filter(device__user=prescriber.user).count() == 0
    assert TOTPDevice.objects.filter(pk=admin_device.pk).exists()
    [event] = events("member.reset-two-factor")
    assert (event.actor, event.organization) == (clinic_admin.user, clinic_admin.organization)
    assert event.detail == {"user": "dr.treating", "devices_removed": 1}
    # The open session no longer counts as verified; the next login enrols again.
    assert prescriber_client.get(PATIENT_LIST_URL)["Location"] == LOGIN_URL
    assert post_password(client, "dr.treating")["Location"] == ENROL_URL


def test_admin_cannot_remove_the_authenticator_of_another_organizations_member(
    clinic_admin: Membership,
    outsider: Membership,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    outsider_device = TOTPDevice.objects.create(user=outsider.user, name="Phone", confirmed=True)
    client = client_for(clinic_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(MEMBER_LIST_URL, invite(email=outsider.user.email))
    added = Membership.objects.filter(
        user=outsider.user, organization=clinic_admin.organization
    ).first()
    if added is not None:
        client.post(edit_url(added), {"action": "reset-two-factor"})

    assert TOTPDevice.objects.filter(pk=outsider_device.pk).exists()


def test_member_list_query_count_does_not_grow_with_members(
    clinic_admin: Membership, client_for: ClientFor, organization: Organization
) -> None:
    client = client_for(clinic_admin)
    with CaptureQueriesContext(connection) as few:
        assert client.get(MEMBER_LIST_URL).status_code == 200
    for index in range(5):
        make_member(organization, f"extra{index}", Membership.Role.PRESCRIBER)

    with CaptureQueriesContext(connection) as many:
        response = client.get(MEMBER_LIST_URL)

    assert len(response.context["members"]) == 6
    assert len(many) == len(few) == MEMBER_LIST_QUERIES
