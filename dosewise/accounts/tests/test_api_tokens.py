"""The personal security page: API tokens and backup codes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from conftest import make_member
from dosewise.accounts import services
from dosewise.accounts.models import ApiToken, Membership, Organization
from dosewise.accounts.tests.support import LOGIN_URL, actions, events

SECURITY_URL = reverse("accounts:security")
# Session, user, OTP device, two-factor requirement, active membership, has-device, the tokens,
# and the session save (savepoint, update, release).
SECURITY_PAGE_QUERIES = 10

ClientFor = Callable[[Membership], Client]


def test_security_page_lists_own_tokens_only(
    nurse: Membership, front_desk: Membership, client_for: ClientFor
) -> None:
    mine, _ = services.create_api_token(nurse, name="mine")
    services.create_api_token(front_desk, name="theirs")

    response = client_for(nurse).get(SECURITY_URL)

    assert response.status_code == 200
    assert list(response.context["tokens"]) == [mine]
    assert response.context["has_device"] is True
    assert response.context["new_token"] is None


def test_security_page_query_count_does_not_grow_with_tokens(
    nurse: Membership, client_for: ClientFor
) -> None:
    client = client_for(nurse)
    services.create_api_token(nurse, name="first")
    with CaptureQueriesContext(connection) as few:
        client.get(SECURITY_URL)
    for index in range(4):
        services.create_api_token(nurse, name=f"script {index}")

    with CaptureQueriesContext(connection) as many:
        response = client.get(SECURITY_URL)

    assert len(response.context["tokens"]) == 5
    assert len(many) == len(few) == SECURITY_PAGE_QUERIES


def test_anonymous_security_page_goes_to_login(client: Client, db: None) -> None:
    response = client.get(SECURITY_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={SECURITY_URL}"


def test_creating_a_token_shows_it_once_and_stores_only_its_hash(
    nurse: Membership, client_for: ClientFor
) -> None:
    client = client_for(nurse)

    response = client.post(SECURITY_URL, {"action": "create-token", "name": "  nightly export  "})

    assert response.status_code == 200
    raw = response.context["new_token"]
    assert raw.startswith("dw_")
    assert len(raw) == 3 + 43
    assert raw in response.content.decode()
    [token] = ApiToken.objects.all()
    assert token.membership == nurse
    assert token.name == "nightly export"
    assert token.prefix == raw[:10]
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.key_hash != raw
    assert raw not in {token.name, token.prefix, token.key_hash}
    assert ApiToken.objects.matching(raw) == token
    [event] = events("api-token.create")
    assert (event.actor, event.actor_label, event.organization) == (
        nurse.user,
        "nurse",
        nurse.organization,
    )
    assert (event.target_type, event.target_id) == ("accounts.apitoken", str(token.uuid))
    assert event.detail == {"name": "nightly export"}
    assert raw not in str(event.detail)
    assert raw not in client.get(SECURITY_URL).content.decode()


def test_token_without_a_name_is_refused(nurse: Membership, client_for: ClientFor) -> None:
    response = client_for(nurse).post(SECURITY_URL, {"action": "create-token", "name": ""})

    assert response.status_code == 200
    assert response.context["token_form"].errors["name"] == ["This field is required."]
    assert response.context["new_token"] is None
    assert ApiToken.objects.count() == 0
    assert actions() == []


def test_security_page_lists_the_tokens_of_the_active_organization_only(
    nurse: Membership, other_organization: Organization, client_for: ClientFor
) -> None:
    here, _ = services.create_api_token(nurse, name="riverside script")
    elsewhere = Membership.objects.create(
        user=nurse.user, organization=other_organization, role="staff"
    )
    there, _ = services.create_api_token(elsewhere, name="harbor script")

    assert list(client_for(nurse).get(SECURITY_URL).context["tokens"]) == [here]
    assert list(client_for(elsewhere).get(SECURITY_URL).context["tokens"]) == [there]


def test_token_acts_in_the_active_organization(
    nurse: Membership, other_organization: Organization, client_for: ClientFor
) -> None:
    elsewhere = Membership.objects.create(
        user=nurse.user, organization=other_organization, role="staff"
    )

    client_for(elsewhere).post(SECURITY_URL, {"action": "create-token", "name": "harbor script"})

    [token] = ApiToken.objects.all()
    assert token.membership == elsewhere
    assert events("api-token.create")[0].organization == other_organization


def test_revoking_a_token_stops_it_and_is_audited(nurse: Membership, client_for: ClientFor) -> None:
    token, raw = services.create_api_token(nurse, name="script")

    response = client_for(nurse).post(
        SECURITY_URL, {"action": "revoke-token", "token": str(token.uuid)}, follow=True
    )

    assert response.redirect_chain == [(SECURITY_URL, 302)]
    assert [str(m) for m in response.context["messages"]] == [
        f"Token script ({token.prefix}…) revoked."
    ]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.matching(raw) is None
    [event] = events("api-token.revoke")
    assert (event.actor, event.organization, event.target_id) == (
        nurse.user,
        nurse.organization,
        str(token.uuid),
    )
    assert f"revoked {token.revoked_at:%Y-%m-%d}" in response.content.decode()


def test_revoking_twice_is_audited_once(nurse: Membership, client_for: ClientFor) -> None:
    token, _ = services.create_api_token(nurse, name="script")
    client = client_for(nurse)
    client.post(SECURITY_URL, {"action": "revoke-token", "token": str(token.uuid)})
    first = ApiToken.objects.get().revoked_at

    client.post(SECURITY_URL, {"action": "revoke-token", "token": str(token.uuid)})

    assert ApiToken.objects.get().revoked_at == first
    assert len(events("api-token.revoke")) == 1


def test_cannot_revoke_another_users_token(
    nurse: Membership, front_desk: Membership, client_for: ClientFor
) -> None:
    theirs, raw = services.create_api_token(front_desk, name="kiosk")

    response = client_for(nurse).post(
        SECURITY_URL, {"action": "revoke-token", "token": str(theirs.uuid)}
    )

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert ApiToken.objects.matching(raw) == theirs
    assert events("api-token.revoke") == []


def test_revoking_an_unknown_token_is_not_found(nurse: Membership, client_for: ClientFor) -> None:
    token, _ = services.create_api_token(nurse, name="script")

    response = client_for(nurse).post(
        SECURITY_URL, {"action": "revoke-token", "token": "00000000-0000-0000-0000-000000000000"}
    )

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_a_malformed_token_id_is_a_client_error(
    nurse: Membership, client_for: ClientFor
) -> None:
    token, _ = services.create_api_token(nurse, name="script")

    response = client_for(nurse).post(SECURITY_URL, {"action": "revoke-token", "token": "nonsense"})

    assert response.status_code in (400, 404)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_of_an_inactive_membership_or_user_does_not_match(
    nurse: Membership, organization: Organization
) -> None:
    _, raw = services.create_api_token(nurse, name="script")
    staff = make_member(organization, "kiosk.user", Membership.Role.STAFF)
    _, other_raw = services.create_api_token(staff, name="kiosk")

    Membership.objects.filter(pk=nurse.pk).update(is_active=False)
    staff.user.is_active = False
    staff.user.save(update_fields=["is_active"])

    assert ApiToken.objects.matching(raw) is None
    assert ApiToken.objects.matching(other_raw) is None
    assert ApiToken.objects.matching("dw_not-a-token") is None


# --- Backup codes --------------------------------------------------------------------------


def test_regenerating_backup_codes_replaces_the_old_ones(
    prescriber: Membership, client_for: ClientFor
) -> None:
    client = client_for(prescriber)
    old = services.regenerate_backup_codes(prescriber.user)

    response = client.post(SECURITY_URL, {"action": "backup-codes"})

    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10
    for backup_code in codes:
        assert f"<code>{backup_code}</code>" in response.content.decode()
    assert StaticDevice.objects.filter(user=prescriber.user).count() == 1
    assert sorted(
        StaticToken.objects.filter(device__user=prescriber.user).values_list("token", flat=True)
    ) == sorted(codes)
    assert not set(old) & set(codes)
    [_, event] = events("two-factor.backup-codes")
    assert (event.actor, event.target_id) == (prescriber.user, str(prescriber.user.uuid))


def test_backup_codes_need_an_authenticator_first(nurse: Membership) -> None:
    client = Client()
    client.force_login(nurse.user)  # a nurse need not use two-factor

    response = client.post(SECURITY_URL, {"action": "backup-codes"})

    assert response.status_code == 200
    assert response.context["has_device"] is False
    assert response.context["codes"] is None
    assert "Set up an authenticator app first." in response.content.decode()
    assert StaticDevice.objects.count() == 0
    assert actions() == []
