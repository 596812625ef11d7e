"""Opaque identifiers for audience members: keyed hashes, never raw IPs or phone numbers."""

from __future__ import annotations

from django.utils.crypto import salted_hmac


def opaque_id(raw: str, *, purpose: str) -> str:
    """A stable 64-hex-digit keyed hash of ``raw``; the key is derived from SECRET_KEY."""
    return salted_hmac(f"socialroom.{purpose}", raw, algorithm="sha256").hexdigest()


def voter_id(raw_token: str) -> str:
    return opaque_id(raw_token, purpose="voter")
