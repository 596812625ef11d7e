"""``python manage.py replay_stream FILE --session SLUG [--pace real|fast|N] [--loop]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questions.ingest.replay import ReplayFormatError, parse_pace, read_records, replay
from studio.models import LiveSession


class Command(BaseCommand):
    help = (
        "Replay a recorded stream of messages (JSON lines or CSV) into a session, through the "
        "same path as live sources. Replaying a file twice adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A .jsonl file, or a .csv file with a header row.")
        parser.add_argument("--session", required=True, help="The session's slug.")
        parser.add_argument(
            "--pace",
            default="real",
            help="real: wait the recorded gaps (default); fast: no waiting; N: N times faster.",
        )
        parser.add_argument(
            "--loop",
            action="store_true",
            help="Start again at the end, forever, with new message ids each round.",
        )

    def handle(self, *args, file: str, session: str, pace: str, loop: bool, **options) -> None:
        try:
            speed = parse_pace(pace)
        except ValueError as exc:
            raise CommandError("--pace must be real, fast or a positive number.") from exc
        live = LiveSession.objects.filter(slug=session).first()
        if live is None:
            raise CommandError(f"No session {session!r}.")
        try:
            records = read_records(file)
        except (OSError, ReplayFormatError) as exc:
            raise CommandError(str(exc)) from exc
        if not live.accepts_questions:
            self.stderr.write(
                f"Session {session!r} is not taking questions: its messages will be dropped."
            )
        verbose = options.get("verbosity", 1) > 1

        def report(record, result) -> None:
            if verbose:
                outcome = "dropped" if result is None else "new" if result.created else "known"
                self.stdout.write(f"{record.at:8.1f}s  {record.source:<16} {outcome:<8}{record.id}")

        self.stdout.write(
            f"Replaying {len(records)} messages into {session!r}"
            + (" (looping)" if loop else "")
            + "."
        )
        try:
            stats = replay(live, records, speed=speed, rounds=None if loop else 1, report=report)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
            return
        self.stdout.write(self.style.SUCCESS(f"Replayed: {stats}."))
