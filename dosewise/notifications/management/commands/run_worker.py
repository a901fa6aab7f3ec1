"""The background worker: plan reminders, send those that are due, sleep, repeat.

    manage.py run_worker                # loop every REMINDER_WORKER_INTERVAL seconds
    manage.py run_worker --once         # one round, then exit (tests, cron)
    manage.py run_worker --interval 10

Any number may run at once, on any host, against the same database: planning inserts with a
unique key, sending claims each reminder with a conditional UPDATE (docs/reminders.md).
SIGTERM / SIGINT finish the reminder in hand, then exit.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections

from dosewise.audit import context
from dosewise.notifications.delivery import Round, new_worker_id, run_round
from dosewise.notifications.planning import DATED_SOURCES_EVERY


class Command(BaseCommand):
    help = "Plan and send patient reminders (appointment, blood test, questionnaire)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one round, then exit.")
        parser.add_argument(
            "--interval",
            type=int,
            default=None,
            help="Seconds between rounds (default: REMINDER_WORKER_INTERVAL).",
        )
        parser.add_argument(
            "--limit", type=int, default=500, help="At most this many sends per round."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        if interval is None:
            interval = settings.REMINDER_WORKER_INTERVAL
        if interval < 1 or options["limit"] < 1:
            self.stderr.write("--interval and --limit must be at least 1.")
            raise SystemExit(2)
        worker_id = new_worker_id()
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        if not options["once"]:
            signal.signal(signal.SIGTERM, request_stop)
            signal.signal(signal.SIGINT, request_stop)
            self.stdout.write(f"Reminder worker {worker_id}: a round every {interval} s.")
        last_dated: float | None = None
        while True:
            # The lab and questionnaire sources read every patient: not every round.
            dated = last_dated is None or (
                time.monotonic() - last_dated >= DATED_SOURCES_EVERY.total_seconds()
            )
            if dated:
                last_dated = time.monotonic()
            # Each round's audit events share one id, as a request's do.
            token = context.activate(
                context.RequestContext(
                    request_id=uuid.uuid4().hex, client_address=None, channel="worker"
                )
            )
            try:
                self._report(
                    run_round(worker_id, limit=options["limit"], dated=dated), options["once"]
                )
            except DatabaseError as exc:
                if options["once"]:
                    raise
                # The database restarted or is briefly unreachable: try again next round
                # rather than leave the clinic without reminders until someone notices.
                self.stderr.write(f"Reminder worker {worker_id}: database error: {exc}")
                last_dated = None
            finally:
                context.deactivate(token)
            if options["once"] or stop.wait(interval):
                break
            # Like the end of a request: drop a connection that broke or aged meanwhile (the
            # database restarted), so the next round reconnects instead of failing forever.
            close_old_connections()
        if not options["once"]:
            self.stdout.write(f"Reminder worker {worker_id}: stopped.")

    def _report(self, result: Round, once: bool) -> None:
        planned = sum(
            result.planned.get(k, 0) for k in ("appointment", "lab_due", "questionnaire_due")
        )
        if once or planned or result.outcomes:
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result.outcomes.items()))
            self.stdout.write(f"planned {planned}; {outcomes or 'nothing due'}")
