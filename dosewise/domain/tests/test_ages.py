import datetime as dt

import pytest

from dosewise.domain.ages import age_in_years


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (dt.date(1988, 4, 12), dt.date(2026, 4, 11), 37),
        (dt.date(1988, 4, 12), dt.date(2026, 4, 12), 38),
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), 18),
    ],
)
def test_age_counts_completed_years(born: dt.date, on: dt.date, age: int) -> None:
    assert age_in_years(born, on=on) == age
