"""ICD-10-CM search latency: the diagnosis picker must answer in under 100 ms.

Run: .venv/bin/python bench/icd10_search.py   (uses DATABASE_URL, SQLite by default; the
database must be migrated). Prints median and 95th percentile per query over 50 runs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dosewise.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from dosewise.clinical import icd10  # noqa: E402

QUERIES = [
    "bipolar II",
    "generalized anxiety",
    "F31.8",
    "f3181",
    "adhd combined",
    "post-traumatic stress",
    "major depressive recurrent severe",
    "opioid use disorder in remission",
]
RUNS = 50


def main() -> None:
    print(f"database: {connection.vendor}; {RUNS} runs per query")
    worst = 0.0
    for query in QUERIES:
        icd10.search(query)  # warm the connection and caches
        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            icd10.search(query)
            timings.append((time.perf_counter() - started) * 1000)
        p95 = statistics.quantiles(timings, n=20)[18]
        worst = max(worst, p95)
        print(f"  {query!r:40} median {statistics.median(timings):6.1f} ms   p95 {p95:6.1f} ms")
    print(f"worst p95: {worst:.1f} ms (target < 100 ms)")


if __name__ == "__main__":
    main()
