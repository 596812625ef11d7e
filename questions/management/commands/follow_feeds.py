"""``python manage.py follow_feeds [--session SLUG] [--once]``: the stream follower process."""

from __future__ import annotations

import asyncio

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questions.ingest.follow import RESCAN_SECONDS, Runner, serve


class Command(BaseCommand):
    help = (
        "Follow every enabled Mastodon and Bluesky feed of the live sessions until SIGTERM or "
        "SIGINT, picking up feeds as they are added or disabled. Run it under a process manager."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", help="Follow only this session's feeds (its slug).")
        parser.add_argument(
            "--once",
            action="store_true",
            help="Catch every feed up from its checkpoint by polling, then exit.",
        )
        parser.add_argument(
            "--rescan",
            type=float,
            default=RESCAN_SECONDS,
            help=f"Seconds between two looks for added or disabled feeds ({RESCAN_SECONDS:g}).",
        )

    def handle(self, *args, session: str | None, once: bool, rescan: float, **options) -> None:
        runner = Runner(session_slug=session, rescan_seconds=rescan)
        if not once:
            self.stdout.write("Following feeds; stop with SIGTERM or Ctrl-C.")
            asyncio.run(serve(runner))
            self.stdout.write("Stopped; checkpoints saved.")
            return
        results = asyncio.run(runner.once())
        failed = 0
        for feed_id, outcome in sorted(results.items()):
            if isinstance(outcome, BaseException):
                failed += 1
                self.stderr.write(f"feed {feed_id}: failed: {outcome}")
            else:
                self.stdout.write(f"feed {feed_id}: {outcome} message(s) ingested")
        if not results:
            self.stdout.write("No enabled Mastodon or Bluesky feed in a live session.")
        if failed:
            raise CommandError(f"{failed} feed(s) could not catch up.")
