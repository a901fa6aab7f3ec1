"""What a reminder says. Anyone may read a phone's lock screen or a shared inbox, so a reminder
names no diagnosis, no drug, no test that reveals a drug ("lithium level" reveals lithium) and
no rating scale that reveals a diagnosis (PHQ-9 is a depression scale): only "an appointment",
"a blood test or check-up measurement", "a short questionnaire", the clinic and the date.

`tests/test_texts.py` scans every text for every drug name and synonym of the knowledge base,
every scale name and the patient's diagnoses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

FOOTER = "This message was sent automatically; replies are not read."


@dataclass(frozen=True)
class Text:
    subject: str  # email only
    body: str  # email body and the whole text message


def _day(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _clock(moment: dt.datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'} ({moment:%Z})"


def appointment(*, clinic: str, starts_at: dt.datetime, tz: ZoneInfo, video_url: str) -> Text:
    """The day before a visit: when, and for a video visit the link to join."""
    local = starts_at.astimezone(tz)
    lines = [
        f"Reminder from {clinic}: you have an appointment on {_day(local)} at {_clock(local)}."
    ]
    if video_url:
        lines.append(f"This is a video visit. Join at the time of the appointment: {video_url}")
    lines += ["To change or cancel it, please contact the clinic.", FOOTER]
    return Text("Appointment reminder", "\n".join(lines))


def lab_due(*, clinic: str, due_on: dt.date) -> Text:
    """A monitoring blood test or measurement (weight, blood pressure, ECG) is due; which one
    is never said: its name could reveal the medication it monitors."""
    return Text(
        "A check-up is due",
        "\n".join(
            [
                f"Reminder from {clinic}: you are due for a blood test or check-up measurement "
                f"(due {_day(due_on)}).",
                "Please contact the clinic to arrange it, if you have not already.",
                FOOTER,
            ]
        ),
    )


def questionnaire_due(*, clinic: str, due_on: dt.date) -> Text:
    """A rating scale of the measurement plan is due; its name could reveal a diagnosis."""
    return Text(
        "A short questionnaire is due",
        "\n".join(
            [
                f"Reminder from {clinic}: your care team asks you to fill in a short "
                f"questionnaire (due {_day(due_on)}).",
                "You can fill it in at your next visit, or contact the clinic for a link.",
                FOOTER,
            ]
        ),
    )
