"""Bluesky profiles: the handle, display name and follower count of a post's author.

Jetstream gives only the author's DID. Their profile comes from an AppView,
``GET <appview>/xrpc/app.bsky.actor.getProfile?actor=<did>`` (``ProfileViewDetailed``:
``handle``, ``displayName``, ``followersCount``), at most once per author per hour: a profile read
in the last hour, by this follower or stored on the author (``followers_checked_at``), is not asked
for again. A read has ``PROFILE_TIMEOUT`` seconds in all. A profile that cannot be read never
holds a message back: the message goes in without it, the failure is logged, and no profile is
asked for during ``PROFILE_PAUSE`` seconds, so that an AppView that is down does not slow the
stream.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from channels.db import database_sync_to_async
from django.utils import timezone

from questions.ingest.base import IncomingMessage
from questions.ingest.follower import describe
from questions.models import Author
from questions.services.submission import followers_or_none

log = logging.getLogger("questions.ingest")

DEFAULT_APPVIEW = "https://public.api.bsky.app"
PROFILE_PATH = "/xrpc/app.bsky.actor.getProfile"
PROFILE_TTL = 3600.0  # seconds a profile read is trusted before it is asked for again
PROFILE_TIMEOUT = 2.0
PROFILE_PAUSE = 60.0  # after a failed read, seconds without asking the AppView anything
# A profile is a few hundred bytes of JSON; an answer past this is not one.
MAX_PROFILE_BYTES = 64 * 1024
# Profiles remembered before the ones older than the TTL are forgotten.
MAX_REMEMBERED = 10_000
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,200}")
# A handle is a domain name; "handle.invalid" is what the AppView says when it does not resolve.
_HANDLE = re.compile(r"(?=.{3,120}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
USER_AGENT = "SocialRoomStudio (hashtag follower)"


def appview_url(value: Any) -> str:
    """The feed's ``"appview"`` setting (the default when unset); ValueError when not a URL."""
    if value is None or value == "":
        return DEFAULT_APPVIEW
    if not isinstance(value, str) or urlsplit(value.strip()).scheme not in ("http", "https"):
        raise ValueError(f'"appview" must be an http:// or https:// URL, not {value!r}.')
    return value.strip().rstrip("/")


@dataclasses.dataclass(frozen=True)
class Profile:
    """What an author's profile tells: strings as received ("" when not given), the follower
    count when it is a sane one."""

    name: str = ""
    handle: str = ""
    followers: int | None = None


def parse_profile(data: Any) -> Profile:
    """The fields of a getProfile answer that are what they claim; ValueError when the answer is
    not a profile at all."""
    if not isinstance(data, dict):
        raise ValueError("The profile is not a JSON object.")
    name = data.get("displayName")
    handle = data.get("handle")
    return Profile(
        name=name.strip() if isinstance(name, str) else "",
        handle=handle if isinstance(handle, str) and _HANDLE.fullmatch(handle) else "",
        followers=followers_or_none(data.get("followersCount")),
    )


def _stored_profile(external_id: str, since_seconds: float) -> Profile | None:
    """The author's stored name and handle when their follower count was read in the last
    ``since_seconds``, else None."""
    since = timezone.now() - timedelta(seconds=since_seconds)
    row = (
        Author.objects.filter(
            platform="bluesky", external_id=external_id, followers_checked_at__gte=since
        )
        .values_list("display_name", "handle")
        .first()
    )
    if row is None:
        return None
    name, handle = row
    return Profile(name=name, handle=handle[1:] if handle.startswith("@") else "")


class Profiles:
    """One follower's profiles: read from its AppView, remembered for ``ttl`` seconds."""

    def __init__(
        self,
        appview: str,
        *,
        timeout: float = PROFILE_TIMEOUT,
        ttl: float = PROFILE_TTL,
        pause: float = PROFILE_PAUSE,
        owner: str = "",
    ) -> None:
        self.appview = appview
        self.timeout = timeout
        self.ttl = ttl
        self.pause = pause
        self.owner = owner
        # DID -> (monotonic time read, profile): profiles read or found stored within the TTL.
        self._known: dict[str, tuple[float, Profile]] = {}
        self._paused_until = 0.0

    async def complete(self, message: IncomingMessage, did: str) -> IncomingMessage:
        """The message with its author's name, handle and (when just read) follower count."""
        now = time.monotonic()
        known = self._known.get(did)
        fresh = False
        if known is not None and now - known[0] < self.ttl:
            profile: Profile | None = known[1]
        else:
            self._forget_old(now)
            profile = await database_sync_to_async(_stored_profile)(message.author_id, self.ttl)
            if profile is None:
                profile = await self.read(did)
                fresh = profile is not None
            if profile is not None:
                self._known[did] = (now, profile)
        if profile is None:
            return message
        return dataclasses.replace(
            message,
            author_name=profile.name or profile.handle or message.author_name,
            author_handle=f"@{profile.handle}" if profile.handle else message.author_handle,
            # Only a count just read is stored, so that the time it was read stays true.
            author_followers=profile.followers if fresh else None,
        )

    def _forget_old(self, now: float) -> None:
        if len(self._known) > MAX_REMEMBERED:
            self._known = {
                did: entry for did, entry in self._known.items() if now - entry[0] < self.ttl
            }

    async def read(self, did: str) -> Profile | None:
        """The author's profile from the AppView; None when it cannot be read now."""
        if not self.appview or not _DID.fullmatch(did) or time.monotonic() < self._paused_until:
            return None
        try:
            # The timeout bounds the whole read, a slow trickle of bytes included.
            async with (
                asyncio.timeout(self.timeout),
                httpx.AsyncClient(
                    timeout=self.timeout, headers={"User-Agent": USER_AGENT}
                ) as client,
                client.stream(
                    "GET", f"{self.appview}{PROFILE_PATH}", params={"actor": did}
                ) as response,
            ):
                response.raise_for_status()
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_PROFILE_BYTES:
                        raise ValueError("The profile answer is too large.")
            return parse_profile(json.loads(body))
        except Exception as exc:
            self._paused_until = time.monotonic() + self.pause
            log.warning("%s could not read the profile of %s: %s", self.owner, did, describe(exc))
            return None
