from __future__ import annotations

from django.core.management.base import BaseCommand

from live.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo station, logins and live session (safe to run again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url: str, **options) -> None:
        demo = seed_demo()
        base = base_url.rstrip("/")
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Social Room studio is starting.",
                    f"  Log in           {base}/login/",
                    f"  Host console     {base}/studio/{demo.session.slug}/console/",
                    f"  Overlay (OBS)    {base}/overlay/{demo.session.slug}/"
                    f"?key={demo.session.overlay_key}",
                    f"  Audience page    {base}/s/{demo.session.slug}/",
                    f"  Admin            {base}/admin/",
                    f"  API docs         {base}/api/docs/",
                    f"  Producer login   {demo.producer} / {demo.password}",
                    f"  Host login       {demo.host} / {demo.password}",
                    "",
                ]
            )
        )
