"""Age in completed years, as prescribing rules use it."""

from __future__ import annotations

import datetime as dt


def age_in_years(date_of_birth: dt.date, *, on: dt.date) -> int:
    """Completed years on `on`; someone born on 29 February turns a year older on 1 March."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years
