"""The public ask endpoint refuses a text or a name past its limit at once, in the API's error
shape, whatever the size of the body (up to the body limit)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from questions.automod.normalise import RAW_LENGTH_CEILING
from questions.models import Question
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

ASK = "/api/public/sessions/live-a/questions/"


def post_json(api, body: dict):
    return api.generic("POST", ASK, json.dumps(body), content_type="application/json")


def body_just_under_the_limit(field: str) -> dict:
    """A JSON body one kilobyte short of the body limit, almost all of it one field."""
    room = settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 1024
    body = {"text": "Why?", field: ""}
    body[field] = "a" * (room - len(json.dumps(body)))
    assert len(json.dumps(body)) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return body


def test_a_question_of_two_and_a_half_megabytes_is_refused_as_invalid(api, session_a):
    response = post_json(api, body_just_under_the_limit("text"))

    error = assert_error(response, 400, "invalid")
    assert error["details"] == {
        "text": [f"Ensure this field has no more than {RAW_LENGTH_CEILING} characters."]
    }
    assert not Question.objects.exists()


def test_a_name_of_two_and_a_half_megabytes_is_refused_as_invalid(api, session_a):
    response = post_json(api, body_just_under_the_limit("name"))

    error = assert_error(response, 400, "invalid")
    assert error["details"] == {"name": ["Ensure this field has no more than 60 characters."]}
    assert not Question.objects.exists()


def test_a_body_past_the_limit_is_refused_as_too_large(api, session_a):
    body = {"text": "a" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}

    assert_error(post_json(api, body), 413, "too_large")


def test_a_text_past_the_sessions_raw_cap_is_refused_as_too_long(api, session_a):
    response = post_json(api, {"text": "Why? " + "<b></b>" * 3000})

    error = assert_error(response, 400, "too_long")
    assert error["details"] == {"text": "too_long", "max_length": 280}


def test_spaces_that_are_trimmed_do_not_count_against_the_name(api, session_a):
    response = post_json(api, {"text": "Why Lisbon?", "name": "Léa" + " " * 100})

    assert response.status_code == 201, response.content
    assert response.json()["author_name"] == "Léa"
