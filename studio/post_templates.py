"""What a session's post template may hold: the placeholders posting back fills, and its length."""

from __future__ import annotations

from string import Formatter

from django.utils.translation import gettext as _

POST_PLACEHOLDERS = ("question", "name", "guest", "session")
POST_TEMPLATE_MAX_LENGTH = 500


def post_template_problem(template: str) -> str | None:
    """Why this template cannot be used (for the producer), or None when it can."""
    if len(template) > POST_TEMPLATE_MAX_LENGTH:
        return _("The post template is longer than %(limit)d characters.") % {
            "limit": POST_TEMPLATE_MAX_LENGTH
        }
    try:
        parts = list(Formatter().parse(template))
    except ValueError:
        return _('The post template has an unmatched "{" or "}"; write "{{" or "}}" for a brace.')
    known = ", ".join(f"{{{name}}}" for name in POST_PLACEHOLDERS)
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in POST_PLACEHOLDERS or spec or conversion:
            return _("Unknown placeholder {%(field)s} in the post template; use %(known)s.") % {
                "field": field,
                "known": known,
            }
    return None
