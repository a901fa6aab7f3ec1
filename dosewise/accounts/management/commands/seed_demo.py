"""Load the fictional demo clinic (idempotent) and print its logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dosewise import demo


class Command(BaseCommand):
    help = "Create the fictional demo clinic (once) and print its logins and TOTP secrets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=40)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization, created = demo.seed(patients=options["patients"])
        except demo.DemoConflict as exc:
            raise CommandError(str(exc), returncode=2) from None
        verb = "Created" if created else "Already present:"
        self.stdout.write(f"{verb} {organization.name}\n")
        self.stdout.write(
            f"Demo logins (password for all: {demo.DEMO_PASSWORD}); all data is fictional."
        )
        self.stdout.write(
            "Add a TOTP secret to an authenticator app, or run: manage.py demo_code USERNAME\n"
        )
        for membership, secret in demo.logins():
            self.stdout.write(
                f"  {membership.user.username:<15} {membership.get_role_display():<14} TOTP secret {secret}"
            )
