"""Demo scheduling: clinicians' hours, a day of time off, and about fifteen appointments around
`today` (some fulfilled, one no-show, one cancelled, telehealth with consent). Called by
`dosewise.demo.seed()` after the patients and their medication stories exist.

Everything goes through the services, with the clock passed in (`now=`), as if the front desk
had booked the visits a week earlier and marked them on the day. The first story patient
(DW-1001, sertraline raised at day 28) is deliberately left without a booking, so the
follow-ups list shows an overdue visit.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from dosewise.accounts.models import Membership, Organization
from dosewise.patients.models import CareTeamMember, Patient
from dosewise.scheduling import services
from dosewise.scheduling.forms import aware
from dosewise.scheduling.models import Appointment

KIND = Appointment.Kind
MODE = Appointment.Mode
STATUS = Appointment.Status

# Mon-Fri, 9-17 with a lunch break.
WEEKLY_HOURS = ((dt.time(9, 0), dt.time(12, 30)), (dt.time(13, 30), dt.time(17, 0)))

# (past or coming weekday number, time, patient index (DW-1001 = 0), "prescriber" (the
# treating one) or "nurse", kind, mode, what became of it)
PAST = "past"
COMING = "coming"
PLAN: tuple[tuple[str, int, dt.time, int, str, str, str, str], ...] = (
    (PAST, 0, dt.time(10, 0), 1, "prescriber", KIND.FOLLOW_UP, MODE.IN_PERSON, STATUS.FULFILLED),
    (
        PAST,
        1,
        dt.time(11, 0),
        5,
        "prescriber",
        KIND.MEDICATION_CHECK,
        MODE.TELEHEALTH,
        STATUS.FULFILLED,
    ),
    (PAST, 2, dt.time(14, 0), 2, "prescriber", KIND.FOLLOW_UP, MODE.IN_PERSON, STATUS.NOSHOW),
    (PAST, 3, dt.time(9, 30), 8, "nurse", KIND.MEDICATION_CHECK, MODE.IN_PERSON, STATUS.FULFILLED),
    (PAST, 4, dt.time(15, 0), 10, "prescriber", KIND.FOLLOW_UP, MODE.TELEHEALTH, STATUS.FULFILLED),
    (COMING, 0, dt.time(9, 0), 2, "prescriber", KIND.FOLLOW_UP, MODE.IN_PERSON, STATUS.BOOKED),
    (
        COMING,
        0,
        dt.time(10, 0),
        3,
        "prescriber",
        KIND.MEDICATION_CHECK,
        MODE.TELEHEALTH,
        STATUS.BOOKED,
    ),
    (COMING, 1, dt.time(9, 30), 4, "prescriber", KIND.FOLLOW_UP, MODE.IN_PERSON, STATUS.BOOKED),
    (
        COMING,
        1,
        dt.time(14, 0),
        7,
        "prescriber",
        KIND.MEDICATION_CHECK,
        MODE.IN_PERSON,
        STATUS.BOOKED,
    ),
    (COMING, 2, dt.time(11, 0), 6, "nurse", KIND.FOLLOW_UP, MODE.IN_PERSON, STATUS.BOOKED),
    (COMING, 2, dt.time(16, 0), 10, "prescriber", KIND.FOLLOW_UP, MODE.IN_PERSON, STATUS.CANCELLED),
    (COMING, 3, dt.time(13, 30), 9, "prescriber", KIND.FOLLOW_UP, MODE.TELEHEALTH, STATUS.BOOKED),
    (COMING, 4, dt.time(10, 0), 11, "nurse", KIND.MEDICATION_CHECK, MODE.IN_PERSON, STATUS.BOOKED),
    (COMING, 5, dt.time(15, 0), 8, "prescriber", KIND.FOLLOW_UP, MODE.IN_PERSON, STATUS.BOOKED),
    (COMING, 6, dt.time(9, 0), 5, "nurse", KIND.MEDICATION_CHECK, MODE.TELEHEALTH, STATUS.BOOKED),
)
TIME_OFF_CLINICIAN = "np.nguyen"
TIME_OFF_DAY = 7  # the eighth coming weekday: none of the plan's visits is then


def _weekdays(today: dt.date, *, step: int, count: int, include_today: bool) -> list[dt.date]:
    days: list[dt.date] = []
    day = today if include_today else today + dt.timedelta(days=step)
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=step)
    return days


def _video_link(patient: Patient, number: int) -> str:
    # Opaque: a video link ends up in calendar feeds, so it names no one.
    digest = hashlib.sha256(f"{patient.uuid}-{number}".encode()).hexdigest()[:12]
    return f"https://meet.example.invalid/dosewise-{digest}"


def seed_scheduling(organization: Organization, *, today: dt.date) -> None:
    """Hours for every demo prescriber and the nurse, one day of time off, ~15 appointments
    across the weekdays around `today`, telehealth consent where a video visit is booked."""
    members = {
        member.user.username: member
        for member in Membership.objects.filter(organization=organization, is_active=True)
        .select_related("user", "organization")
        .order_by("id")
    }
    front_desk = next(m for m in members.values() if m.role == Membership.Role.STAFF)
    clinicians = [m for m in members.values() if m.role in services.CLINICIAN_ROLES]
    nurse = next(m for m in clinicians if m.role == Membership.Role.NURSE)
    for member in clinicians:
        for weekday in range(5):
            for start, end in WEEKLY_HOURS:
                services.add_availability(
                    member, member.user, weekday=weekday, start_time=start, end_time=end
                )
    past = _weekdays(today, step=-1, count=5, include_today=False)
    coming = _weekdays(today, step=1, count=TIME_OFF_DAY + 1, include_today=True)
    patients = list(Patient.objects.filter(organization=organization).order_by("mrn"))
    treating = dict(
        CareTeamMember.objects.current()
        .filter(
            patient__organization=organization,
            user__memberships__organization=organization,
            user__memberships__role=Membership.Role.PRESCRIBER,
        )
        .values_list("patient_id", "user_id")
    )
    by_user = {member.user_id: member for member in clinicians}
    booked_at = aware(today - dt.timedelta(days=8), dt.time(8, 0))
    consented: set[int] = set()
    for number, (when, day_number, at, index, who, kind, mode, outcome) in enumerate(PLAN):
        if index >= len(patients):
            continue  # a smaller demo (seed(patients=n)) skips the visits of absent patients
        patient = patients[index]
        clinician = nurse if who == "nurse" else by_user[treating[patient.pk]]
        day = (past if when == PAST else coming)[day_number]
        if mode == MODE.TELEHEALTH and patient.pk not in consented:
            services.record_telehealth_consent(
                front_desk, patient, given_on=today - dt.timedelta(days=60), today=today
            )
            consented.add(patient.pk)
        starts_at = aware(day, at)
        appointment = services.book_appointment(
            front_desk,
            patient,
            clinician=clinician.user,
            kind=kind,
            mode=mode,
            starts_at=starts_at,
            duration_minutes=30 if kind != KIND.INTAKE else 60,
            video_url=_video_link(patient, number) if mode == MODE.TELEHEALTH else "",
            now=booked_at,
        )
        done_at = starts_at + dt.timedelta(minutes=appointment.duration_minutes)
        if outcome == STATUS.FULFILLED:
            services.change_status(front_desk, appointment, status=STATUS.ARRIVED, now=starts_at)
            services.change_status(clinician, appointment, status=STATUS.FULFILLED, now=done_at)
        elif outcome == STATUS.NOSHOW:
            services.change_status(front_desk, appointment, status=STATUS.NOSHOW, now=done_at)
        elif outcome == STATUS.CANCELLED:
            services.cancel_appointment(
                front_desk,
                appointment,
                reason="Patient asked to come later in the month.",
                now=booked_at + dt.timedelta(days=1),
            )
    away = next((m for m in clinicians if m.user.username == TIME_OFF_CLINICIAN), clinicians[0])
    off_day = coming[TIME_OFF_DAY]
    services.add_time_off(
        away,
        away.user,
        starts_at=aware(off_day, dt.time(0, 0)),
        ends_at=aware(off_day + dt.timedelta(days=1), dt.time(0, 0)),
        reason="Conference",
    )
