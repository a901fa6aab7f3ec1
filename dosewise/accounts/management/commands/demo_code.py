"""Print the current two-factor code of a demo user (demo organizations only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from dosewise import demo
from dosewise.accounts.models import Membership


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo user; refuses anyone outside demo organizations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        memberships = Membership.objects.filter(user__username=username)
        if not memberships.exists():
            raise CommandError(f"No user {username!r} with a membership.", returncode=2)
        if memberships.exclude(organization__is_demo=True).exists():
            # Two-factor is never relaxed for real data.
            raise CommandError(
                f"{username!r} belongs to a non-demo organization; refusing.", returncode=2
            )
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username!r} has no authenticator set up.", returncode=2)
        self.stdout.write(demo.current_code(device))
