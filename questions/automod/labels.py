"""What each flag code means, in words the console shows in its crew member's language.

The reasons stored with a question (``Question.flags``) are written once, in English, and read
by crew of every language: a console shows ``flag_labels()[flag["code"]]`` in its own language,
and ``field_labels()[flag["field"]]`` for a flag about something else than the text.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FLAG_LABELS: dict[str, str | Promise] = {
    "profanity": _("Profanity"),
    "personal_data": _("Personal data"),
    "link": _("Link"),
    "shouting": _("Shouting"),
    "markup": _("Markup"),
    "unchecked": _("Automatic checks did not finish: review by hand"),
    "flood": _("Too many questions from this author"),
    "banned": _("Author banned by the station"),
    "duplicate": _("Near-duplicate of another question"),
    "reported": _("Reported by listeners as inappropriate"),
}

FIELD_LABELS: dict[str, str | Promise] = {
    "text": _("Question"),
    "name": _("Name"),
}


def flag_labels() -> dict[str, str]:
    """Every flag code with its label, in the active language."""
    return {code: str(label) for code, label in FLAG_LABELS.items()}


def field_labels() -> dict[str, str]:
    """What a flag can be about (``"text"``, ``"name"``), in the active language."""
    return {field: str(label) for field, label in FIELD_LABELS.items()}
