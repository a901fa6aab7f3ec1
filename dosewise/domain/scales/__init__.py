"""Rating scales for measurement-based care: instrument definitions as data, pure scoring.

    score("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 2])  ->  Score(instrument="PHQ-9", total=10, ...)

Definitions: `instruments/*.toml` (see docs/rating-scales.md); a clinic's licensed instruments
load from further directories (`load_instruments(extra_dirs=...)`).
"""

from dosewise.domain.scales.loader import (
    INSTRUMENTS_DIR,
    InstrumentError,
    Instruments,
    UnknownInstrument,
    default_instruments,
    load_instruments,
)
from dosewise.domain.scales.model import FLAGS, Instrument, Item, Option, Wording
from dosewise.domain.scales.scoring import (
    Score,
    ScoreInputError,
    score,
    score_instrument,
    validate_answers,
)

__all__ = [
    "FLAGS",
    "INSTRUMENTS_DIR",
    "Instrument",
    "InstrumentError",
    "Instruments",
    "Item",
    "Option",
    "Score",
    "ScoreInputError",
    "UnknownInstrument",
    "Wording",
    "default_instruments",
    "load_instruments",
    "score",
    "score_instrument",
    "validate_answers",
]
