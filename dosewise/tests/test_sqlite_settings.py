"""The zero-configuration SQLite database can be shared by the web server and a worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sqlite_uses_wal_busy_timeout_and_immediate_transactions(tmp_path: Path) -> None:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'dosewise.settings'; django.setup(); "
        "from django.db import connection; connection.ensure_connection(); "
        "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode'); mode = cursor.fetchone()[0]; "
        "cursor.execute('PRAGMA busy_timeout'); timeout = cursor.fetchone()[0]; "
        "print(mode, timeout, connection.settings_dict['OPTIONS']['transaction_mode'])"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update({"DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True
    )
    assert result.stdout.split() == ["wal", "20000", "IMMEDIATE"]
