"""Where a message came from, in the few buckets producers think in: the report's plots and
tables, the contest draws' sources."""

from __future__ import annotations

# Question.source → bucket, in the order plots, tables and forms show them.
SOURCE_BUCKETS: tuple[str, ...] = ("web", "sms", "mastodon", "bluesky", "webhook", "crew")
_FIXED_BUCKETS = {
    "web": "web",
    "sms": "sms",
    "social:mastodon": "mastodon",
    "social:bluesky": "bluesky",
    "manual": "crew",
    "import": "crew",
}


def source_bucket(source: str) -> str:
    """The bucket of a ``Question.source``: web, sms, mastodon, bluesky, webhook (any other
    social network, through the JSON webhook) or crew (manual and import)."""
    bucket = _FIXED_BUCKETS.get(source)
    if bucket is not None:
        return bucket
    if source.startswith("social:"):
        return "webhook"
    return "crew"
