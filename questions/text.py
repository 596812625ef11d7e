"""Normalisation of incoming question text."""

from __future__ import annotations

import re
import unicodedata

# Control characters other than ordinary whitespace are dropped; they have no place on air.
_CONTROL = re.compile(
    r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]"
)
_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """NFC, control characters removed, whitespace collapsed, trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    return _SPACE.sub(" ", text).strip()
