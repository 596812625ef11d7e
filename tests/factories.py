from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from questions.models import Author, Question
from studio.models import Guest, LiveSession, Membership, Station

_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def spelled(n: int) -> str:
    """A sequence number in words: digits can read as letters to the profanity check (455 is
    "ass"), and a question taken on air is checked again."""
    return "-".join(_DIGITS[int(d)] for d in str(n))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery")


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station

    name = factory.Sequence(lambda n: f"Station {n}")
    slug = factory.Sequence(lambda n: f"station-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    station = factory.SubFactory(StationFactory)
    user = factory.SubFactory(UserFactory)
    role = "producer"


class LiveSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveSession

    station = factory.SubFactory(StationFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    slug = factory.Sequence(lambda n: f"session-{n}")
    status = "live"


class GuestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guest

    session = factory.SubFactory(LiveSessionFactory)
    name = factory.Sequence(lambda n: f"Guest {n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    platform = "web"
    external_id = factory.Sequence(lambda n: f"{n:064x}")
    display_name = factory.Sequence(lambda n: f"Listener {spelled(n)}")


class QuestionFactory(factory.django.DjangoModelFactory):
    """A question as it would stand after the services moved it to ``status``."""

    class Meta:
        model = Question

    session = factory.SubFactory(LiveSessionFactory)
    text = factory.Sequence(lambda n: f"Question number {spelled(n)}?")
    original_text = factory.SelfAttribute("text")
    author = factory.SubFactory(AuthorFactory)
    author_name = factory.SelfAttribute("author.display_name")
    source = "web"
    status = "pending"
