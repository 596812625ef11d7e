"""``python manage.py erase_audience_data [--session SLUG [--now]] [--dry-run]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questions.services.privacy import session_erase_audience_data, sessions_due_for_erasure
from studio.models import LiveSession


class Command(BaseCommand):
    help = (
        "Erase the audience's data of the ended sessions past their retention, as the daily "
        "task does (docs/privacy.md). Running it twice erases nothing more."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", help="Only this session (its slug).")
        parser.add_argument(
            "--now",
            action="store_true",
            help="With --session: erase it now, even inside its retention (it must have ended).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only list the sessions that would be erased."
        )

    def handle(self, *args, session: str | None, now: bool, dry_run: bool, **options) -> None:
        if now and not session:
            raise CommandError("--now needs --session.")
        if session:
            found = LiveSession.objects.filter(slug=session).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(f"No session {session!r}.")
            due = [found]
        else:
            due = sessions_due_for_erasure()
        for session_id in due:
            slug = LiveSession.objects.get(pk=session_id).slug
            if dry_run:
                self.stdout.write(f"{slug}: due")
                continue
            counts = session_erase_audience_data(session_id=session_id, force=now)
            if counts is None:
                self.stdout.write(
                    f"{slug}: nothing to erase (not ended, inside retention, or done)"
                )
            else:
                summary = ", ".join(f"{k} {v}" for k, v in counts.items())
                self.stdout.write(f"{slug}: erased ({summary})")
        if not due:
            self.stdout.write("No session is due.")
