"""Worklist at panel scale: the page must stay fast, and its query count fixed, however many
patients a prescriber carries.

Run: .venv/bin/python bench/worklist.py [--patients N]   (DATABASE_URL, or by default its own
SQLite file var/bench.sqlite3 so the demo database is left alone; migrated first). The first run
builds a "Bench clinic" organization (not demo
data) whose prescriber carries N patients on lithium plus sertraline, each with labs, a
side-effect report and an appointment; later runs reuse it. Prints the queries and timings of
the two panel readers and of the whole page (median and p95 over 20 runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
(ROOT / "var").mkdir(exist_ok=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dosewise.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from dosewise.accounts import services as accounts  # noqa: E402
from dosewise.accounts.middleware import ACTIVE_ORGANIZATION_KEY  # noqa: E402
from dosewise.accounts.models import Membership, Organization, User  # noqa: E402
from dosewise.clinical import observations  # noqa: E402
from dosewise.clinical import services as clinical  # noqa: E402
from dosewise.monitoring.labs_due import requirements_for  # noqa: E402
from dosewise.patients import services as patients  # noqa: E402
from dosewise.patients.models import Patient  # noqa: E402
from dosewise.prescribing import services as prescribing  # noqa: E402
from dosewise.prescribing.services import OrderInput  # noqa: E402
from dosewise.scheduling.followups import follow_ups_for  # noqa: E402

BENCH_ORGANIZATION = "Bench clinic (benchmark data)"
RUNS = 20


def _order(drug: str, form: str, strength: int, times: int, start: dt.date, indication):  # type: ignore[no-untyped-def]
    return OrderInput(
        drug=drug,
        form=form,
        strength_mg=Decimal(strength),
        dose_amount=Decimal(1),
        dose_unit=form,
        times_per_day=Decimal(times),
        timings=("morning", "bedtime")[:times],
        start_on=start,
        days_supply=30,
        indication=indication,
    )


def _prescriber() -> Membership:
    organization, _ = Organization.objects.get_or_create(name=BENCH_ORGANIZATION)
    user, created = User.objects.get_or_create(
        username="bench.prescriber", defaults={"first_name": "Bench", "last_name": "Prescriber"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    member = Membership.objects.filter(organization=organization, user=user).first()
    return member or accounts.add_member(
        organization,
        user=user,
        role="prescriber",
        credential="psychiatrist",
        npi="1234567893",
        dea_number="",
        dea_schedules=[],
        state_license="NY 1",
        actor=None,
    )


@transaction.atomic
def _add_patient(prescriber: Membership, number: int, today: dt.date) -> None:
    patient = patients.register_patient(
        prescriber,
        today=today,
        mrn=f"BENCH-{number:05}",
        given_name="Bench",
        family_name=f"Patient {number:05}",
        date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=number),
        sex_at_birth="F",
        gender_identity="",
        pronouns="",
        phone="",
        email="",
        preferred_pharmacy="",
        pregnancy_status="not-pregnant",
        lactation_status="not-breastfeeding",
        smoking_status="never",
    )
    started = today - dt.timedelta(days=30 + number % 200)
    bipolar = clinical.add_diagnosis(prescriber, patient, code="F31.81", today=started)
    prescribing.prescribe(
        prescriber,
        patient,
        _order("lithium carbonate", "capsule", 300, 2, started, bipolar),
        today=started,
    )
    prescribing.prescribe(
        prescriber, patient, _order("sertraline", "tablet", 50, 1, started, bipolar), today=started
    )
    for test, value, unit in (("lithium", "0.7", "mmol/L"), ("creatinine", "0.9", "mg/dL")):
        observations.record_observation(
            prescriber,
            patient,
            test=test,
            value=value,
            unit=unit,
            effective_on=started + dt.timedelta(days=6),
            today=today,
        )


def _timed(call) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    call()  # warm up
    queries: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    # Not CaptureQueriesContext: a request resets Django's query log when it starts.
    with connection.execute_wrapper(count):
        call()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), statistics.quantiles(timings, n=20)[18], len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=300)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    prescriber = _prescriber()
    have = Patient.objects.filter(organization=prescriber.organization).count()
    if have < args.patients:
        print(f"building the bench clinic: {args.patients - have} more patients ...", flush=True)
        for number in range(have, args.patients):
            _add_patient(prescriber, number, today)
    ids = list(
        Patient.objects.filter(organization=prescriber.organization).values_list("pk", flat=True)
    )[: args.patients]
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host by default
    client.force_login(prescriber.user)
    session = client.session
    device, _ = TOTPDevice.objects.get_or_create(user=prescriber.user, name="bench")
    session["otp_device_id"] = device.persistent_id
    session[ACTIVE_ORGANIZATION_KEY] = prescriber.organization_id
    session.save()
    url = reverse("clinical:worklist")

    def page() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"worklist answered {response.status_code}")

    print(f"database: {connection.vendor}; panel of {len(ids)} patients; {RUNS} runs each")
    for name, call in (
        ("requirements_for (labs due)", lambda: requirements_for(ids, today=today)),
        ("follow_ups_for", lambda: follow_ups_for(ids, today=today)),
        ("worklist page", page),
    ):
        median, p95, queries = _timed(call)
        print(f"  {name:30} median {median:7.1f} ms   p95 {p95:7.1f} ms   {queries} queries")


if __name__ == "__main__":
    main()
