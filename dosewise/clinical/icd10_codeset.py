"""Copy the ICD-10-CM code set from the simple-icd-10-cm package into a table.

Used by migration 0002 and by tests that empty the database (transactional tests flush every
table). Importing the package costs ~1.4 s and ~190 MB, so only these callers ever import it.
"""

from __future__ import annotations

from typing import Any

BATCH = 5000


def load_into(model: Any) -> int:
    """Insert every category and subcategory code; returns how many were written."""
    import simple_icd_10_cm as icd

    rows = []
    for code in icd.get_all_codes(True):
        if icd.is_chapter_or_block(code):
            continue
        description = icd.get_description(code)
        rows.append(
            model(
                code=code,
                description=description,
                is_billable=icd.is_leaf(code),
                search_text=f"{code} {description}".lower(),
            )
        )
    model.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
