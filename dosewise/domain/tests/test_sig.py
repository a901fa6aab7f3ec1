from decimal import Decimal as D

import pytest

from dosewise.domain.sig import Dose, SigError, days_supply_for, in_words, quantity_for, sig


@pytest.mark.parametrize(
    ("dose", "route", "times", "timings", "prn", "prn_max", "reason", "expected"),
    [
        (
            Dose(D(1), "tablet", D(50)),
            "oral",
            D(1),
            ("morning",),
            False,
            None,
            "",
            "Take 1 tablet (50 mg) by mouth once daily in the morning.",
        ),
        (
            Dose(D(1), "tablet", D(50)),
            "oral",
            D(1),
            ("bedtime",),
            False,
            None,
            "",
            "Take 1 tablet (50 mg) by mouth once daily at bedtime.",
        ),
        (
            Dose(D(2), "capsule", D(20)),
            "oral",
            D(1),
            (),
            False,
            None,
            "",
            "Take 2 capsules (40 mg) by mouth once daily.",
        ),
        (
            Dose(D("0.5"), "tablet", D(1)),
            "oral",
            D(2),
            ("morning", "bedtime"),
            False,
            None,
            "",
            "Take 1/2 tablet (0.5 mg) by mouth twice daily, in the morning and at bedtime.",
        ),
        (
            Dose(D(1), "tablet", D(300)),
            "oral",
            D(3),
            (),
            False,
            None,
            "",
            "Take 1 tablet (300 mg) by mouth three times daily.",
        ),
        (
            Dose(D(1), "tablet", D("0.5")),
            "oral",
            None,
            (),
            True,
            D(3),
            "anxiety",
            "Take 1 tablet (0.5 mg) by mouth as needed for anxiety; no more than 3 doses in 24 hours.",
        ),
        (
            Dose(D(1), "patch", D(6)),
            "transdermal",
            D(1),
            (),
            False,
            None,
            "",
            "Apply 1 patch (6 mg) to the skin once daily.",
        ),
        (
            Dose(D(5), "mL", D(4)),
            "oral",
            D(1),
            (),
            False,
            None,
            "",
            "Take 5 mL (20 mg) by mouth once daily.",
        ),
    ],
)
def test_sig_wording(dose, route, times, timings, prn, prn_max, reason, expected) -> None:  # type: ignore[no-untyped-def]
    assert (
        sig(
            dose,
            route=route,
            times_per_day=times,
            timings=timings,
            prn=prn,
            prn_max_per_day=prn_max,
            prn_reason=reason,
        )
        == expected
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"dose": Dose(D(0), "tablet", D(50)), "times_per_day": D(1)},
            "dose_amount must be greater than 0",
        ),
        (
            {"dose": Dose(D(1), "tablet", D(50)), "times_per_day": None},
            "times_per_day must be given",
        ),
        (
            {"dose": Dose(D(1), "tablet", D(50)), "times_per_day": None, "prn": True},
            "prn_max_per_day must be given",
        ),
        (
            {"dose": Dose(D(1), "tablet", D(50)), "times_per_day": D(1), "timings": ("lunchtime",)},
            "unknown time of day 'lunchtime'",
        ),
    ],
)
def test_bad_sig_input_names_the_field(kwargs, message) -> None:  # type: ignore[no-untyped-def]
    dose = kwargs.pop("dose")
    with pytest.raises(SigError, match=message):
        sig(dose, route="oral", **kwargs)


def test_quantity_and_days_supply() -> None:
    assert quantity_for(30, Dose(D(1), "tablet", D(50)), times_per_day=D(1)) == 30
    assert quantity_for(30, Dose(D("0.5"), "tablet", D(1)), times_per_day=D(1)) == 15
    assert (
        quantity_for(7, Dose(D("0.5"), "tablet", D(1)), times_per_day=D(1)) == 4
    )  # half tablets round up
    assert (
        quantity_for(
            30, Dose(D(1), "tablet", D("0.5")), times_per_day=None, prn=True, prn_max_per_day=D(3)
        )
        == 90
    )
    assert days_supply_for(D(90), Dose(D(1), "tablet", D(300)), times_per_day=D(3)) == 30
    assert days_supply_for(D(100), Dose(D(1), "tablet", D(300)), times_per_day=D(3)) == 33
    with pytest.raises(SigError):
        quantity_for(0, Dose(D(1), "tablet", D(50)), times_per_day=D(1))


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (30, "thirty"),
        (45, "forty-five"),
        (90, "ninety"),
        (120, "one hundred twenty"),
        (1000, "one thousand"),
    ],
)
def test_quantity_in_words(number: int, words: str) -> None:
    assert in_words(D(number)) == words
