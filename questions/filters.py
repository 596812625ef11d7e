from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from questions.models import Question, QuestionStatus
from studio.api import MAX_ID

FLAG_CHOICES = [
    (code, code)
    for code in (
        "profanity",
        "personal_data",
        "link",
        "shouting",
        "flood",
        "banned",
        "duplicate",
        "unchecked",
    )
]


class QuestionFilter(django_filters.FilterSet):
    """Crew list filters: ``?status=pending&status=approved&source=sms&guest=3&starred=true&q=…``,
    ``?flagged=true`` (any flag) and ``?flag=profanity`` (one kind), ``?language=fr``.

    ``status`` may repeat; ``source=social`` matches every social network.
    """

    status = django_filters.MultipleChoiceFilter(choices=QuestionStatus.choices)
    source = django_filters.CharFilter(method="filter_source")
    guest = django_filters.NumberFilter(field_name="target_guest_id", min_value=1, max_value=MAX_ID)
    starred = django_filters.BooleanFilter()
    flagged = django_filters.BooleanFilter(method="filter_flagged")
    flag = django_filters.ChoiceFilter(choices=FLAG_CHOICES, method="filter_flag")
    language = django_filters.CharFilter(max_length=8)
    q = django_filters.CharFilter(method="filter_text", max_length=200)

    class Meta:
        model = Question
        fields = ["status", "source", "guest", "starred", "flagged", "flag", "language", "q"]

    def filter_flagged(self, qs: QuerySet[Question], name: str, value: bool) -> QuerySet[Question]:
        return qs.exclude(flags=[]) if value else qs.filter(flags=[])

    def filter_flag(self, qs: QuerySet[Question], name: str, value: str) -> QuerySet[Question]:
        # Flags are few per question: matching the JSON text works on SQLite and PostgreSQL.
        return qs.filter(flags__icontains=f'"code": "{value}"')

    def filter_source(self, qs: QuerySet[Question], name: str, value: str) -> QuerySet[Question]:
        # "social" matches every social network; anything else matches exactly.
        if value == "social":
            return qs.filter(source__startswith="social:")
        return qs.filter(source=value)

    def filter_text(self, qs: QuerySet[Question], name: str, value: str) -> QuerySet[Question]:
        for word in value.split()[:8]:
            qs = qs.filter(
                Q(text__icontains=word)
                | Q(author_name__icontains=word)
                | Q(author__handle__icontains=word)
            )
        return qs
