"""The audience endpoints under hostile input: asking, voting, reading, the audience page."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questions.models import Question
from tests.fuzz.conftest import Cast
from tests.fuzz.support import (
    CONTENT_TYPES,
    FUZZ,
    assert_no_server_error,
    big_ints,
    bodies,
    client,
    example,
    header_text,
    json_scalars,
    json_values,
    send,
)

pytestmark = pytest.mark.django_db

TOKENS = ("listener-one-0123456789abcdef", "listener-two-0123456789abcdef")

slugs = st.one_of(
    st.sampled_from(["live-a", "live-b", "no-such-session", ""]),
    st.text(max_size=30),
)
voter_tokens = st.one_of(st.none(), st.sampled_from(TOKENS), header_text)
texts = st.one_of(
    st.text(max_size=400),
    st.sampled_from(
        [
            "Will the tour come to Lyon?",
            "   ",
            "\x00?",
            "A" * 281,
            "https://example.org/win?free=1",
            "Call me on +33 6 12 34 56 78?",
            "<img src=x onerror=alert(1)>?",
            "\u202eetouq?",
        ]
    ),
    json_scalars,
)


def _voter_headers(token: str | None, key: str | None = None) -> dict[str, str]:
    sent = {} if token is None else {"X-Voter-Token": token}
    if key is not None:
        sent["Idempotency-Key"] = key
    return sent


def _path(slug: str, rest: str = "") -> str:
    return f"/api/public/sessions/{quote(slug, safe='')}/{rest}"


@FUZZ
@given(
    slug=slugs,
    body=st.one_of(
        st.fixed_dictionaries(
            {"text": texts},
            optional={"name": json_scalars, "guest": st.one_of(json_scalars, big_ints)},
        ),
        json_values,
    ),
    as_form=st.booleans(),
    token=voter_tokens,
    key=st.one_of(st.none(), header_text),
)
def test_asking_never_answers_a_server_error(cast: Cast, slug, body, as_form, token, key):
    path = _path(slug, "questions/")
    if as_form and isinstance(body, dict):
        raw = urlencode({k: str(v) for k, v in body.items()}).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        raw, content_type = json.dumps(body).encode(), "application/json"

    with example():
        response = send(
            client(),
            "POST",
            path,
            body=raw,
            content_type=content_type,
            headers=_voter_headers(token, key),
        )

    assert_no_server_error(response, "POST", path, body=body, token=token, key=key)
    if response.status_code in (200, 201):
        assert response.json()["status"] in ("pending", "approved")


@FUZZ
@given(
    votes=st.lists(
        st.tuples(
            st.sampled_from(["POST", "DELETE", "POST"]),
            st.one_of(st.sampled_from(["approved", "pending"]), big_ints),
            slugs,
            voter_tokens,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_voting_never_answers_a_server_error_and_counts_each_vote_once(cast: Cast, votes):
    with example():
        for method, which, slug, token in votes:
            pk = {"approved": cast.approved.pk, "pending": cast.pending.pk}.get(which, which)
            path = _path(slug, f"questions/{pk}/vote/")
            response = send(client(), method, path, headers=_voter_headers(token))

            assert_no_server_error(response, method, path, token=token)
            if response.status_code == 200:
                body = response.json()
                assert body["question"] == pk
                assert body["voted"] is (method == "POST")
        # Counted once each, whatever was sent: the count is the number of votes stored.
        approved = Question.objects.get(pk=cast.approved.pk)
        assert approved.vote_count == approved.votes.count()
        assert approved.vote_count <= sum(method == "POST" for method, *_ in votes)
        assert Question.objects.get(pk=cast.pending.pk).votes.count() == 0


@FUZZ
@given(
    slug=slugs,
    rest=st.sampled_from(["", "questions/"]),
    query=st.dictionaries(
        st.sampled_from(["page", "page_size", "ordering", "guest", "status", "format", "x"]),
        st.one_of(header_text, big_ints.map(str)),
        max_size=3,
    ),
    token=voter_tokens,
    method=st.sampled_from(["GET", "HEAD", "OPTIONS"]),
)
def test_reading_a_session_never_answers_a_server_error(
    cast: Cast, slug, rest, query, token, method
):
    path = _path(slug, rest) + ("?" + urlencode(query) if query else "")

    with example():
        response = send(client(), method, path, headers=_voter_headers(token))

    assert_no_server_error(response, method, path, token=token)


@FUZZ
@given(
    slug=slugs,
    query=st.dictionaries(header_text, header_text, max_size=3),
    cookie=st.one_of(st.none(), header_text, st.sampled_from(TOKENS)),
    token=voter_tokens,
    language=st.one_of(st.none(), header_text, st.sampled_from(["fr", "fr-CA,fr;q=0.9", "*"])),
    method=st.sampled_from(["GET", "HEAD", "POST", "OPTIONS"]),
    body=bodies,
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_the_audience_page_never_answers_a_server_error(
    cast: Cast, slug, query, cookie, token, language, method, body, content_type
):
    path = f"/s/{quote(slug, safe='')}/" + ("?" + urlencode(query) if query else "")
    sent = _voter_headers(token)
    if cookie is not None:
        sent["Cookie"] = f"sr_voter={cookie}"
    if language is not None:
        sent["Accept-Language"] = language

    with example():
        response = send(client(), method, path, body=body, content_type=content_type, headers=sent)

    assert_no_server_error(response, method, path, headers=sent)
