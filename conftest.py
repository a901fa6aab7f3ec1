"""Personas shared by every test: who is asking, and what each of them may see.

- `prescriber`: the treating psychiatrist, on `patient`'s care team.
- `nurse`: a nurse on the care team.
- `colleague`: a nurse practitioner of the same clinic, NOT on the care team.
- `front_desk`: staff; demographics only.
- `clinic_admin`: manages members; demographics only.
- `outsider`: a prescriber of another organization.
- `patient_user`: the patient's own portal login (no clinic membership).
- anonymous: the `client` fixture without login.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from dosewise.accounts.middleware import ACTIVE_ORGANIZATION_KEY
from dosewise.accounts.models import Membership, Organization, User
from dosewise.patients.models import CareTeamMember, Patient

PASSWORD = "correct horse battery staple"


def make_user(username: str, first: str = "Test", last: str = "User") -> User:
    user = User(
        username=username, first_name=first, last_name=last, email=f"{username}@example.org"
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def make_member(
    organization: Organization,
    username: str,
    role: str,
    *,
    last: str = "User",
    credential: str = "",
) -> Membership:
    user = make_user(username, last=last)
    fields: dict[str, object] = {}
    if role == Membership.Role.PRESCRIBER:
        fields = {
            "credential": credential or Membership.Credential.PSYCHIATRIST,
            "npi": "1234567893",
        }
    return Membership.objects.create(user=user, organization=organization, role=role, **fields)


def make_patient(organization: Organization, mrn: str, **fields: object) -> Patient:
    defaults: dict[str, object] = {
        "given_name": "Alex",
        "family_name": "Rivera",
        "date_of_birth": dt.date(1988, 4, 12),
        "sex_at_birth": Patient.SexAtBirth.FEMALE,
    }
    defaults.update(fields)
    return Patient.objects.create(organization=organization, mrn=mrn, **defaults)


@pytest.fixture
def organization(db: None) -> Organization:
    return Organization.objects.create(name="Riverside Psychiatry")


@pytest.fixture
def other_organization(db: None) -> Organization:
    return Organization.objects.create(name="Harbor Telehealth")


@pytest.fixture
def prescriber(organization: Organization) -> Membership:
    return make_member(organization, "dr.treating", Membership.Role.PRESCRIBER, last="Treating")


@pytest.fixture
def nurse(organization: Organization) -> Membership:
    return make_member(organization, "nurse", Membership.Role.NURSE)


@pytest.fixture
def colleague(organization: Organization) -> Membership:
    return make_member(
        organization,
        "np.colleague",
        Membership.Role.PRESCRIBER,
        credential=Membership.Credential.NURSE_PRACTITIONER,
    )


@pytest.fixture
def front_desk(organization: Organization) -> Membership:
    return make_member(organization, "frontdesk", Membership.Role.STAFF)


@pytest.fixture
def clinic_admin(organization: Organization) -> Membership:
    return make_member(organization, "admin", Membership.Role.ADMIN)


@pytest.fixture
def outsider(other_organization: Organization) -> Membership:
    return make_member(other_organization, "dr.outsider", Membership.Role.PRESCRIBER)


@pytest.fixture
def patient(organization: Organization, prescriber: Membership, nurse: Membership) -> Patient:
    patient = make_patient(organization, "MRN-0001")
    for member in (prescriber, nurse):
        CareTeamMember.objects.create(
            organization=organization, patient=patient, user=member.user, added_by=prescriber.user
        )
    return patient


@pytest.fixture
def patient_user(patient: Patient) -> User:
    user = make_user("alex.patient", "Alex", "Rivera")
    patient.user = user
    patient.save(update_fields=["user"])
    return user


def login_client(user: User, organization: Organization | None = None) -> Client:
    """A test client logged in as `user`, past two-factor, with `organization` active."""
    client = Client()
    client.force_login(user)
    session = client.session
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="test", defaults={"confirmed": True}
    )
    session["otp_device_id"] = device.persistent_id
    if organization is not None:
        session[ACTIVE_ORGANIZATION_KEY] = organization.pk
    session.save()
    return client


@pytest.fixture
def client_for() -> Callable[[Membership], Client]:
    """`client_for(membership)`: a logged-in, two-factor-verified client in that organization."""

    def make(membership: Membership) -> Client:
        return login_client(membership.user, membership.organization)

    return make
