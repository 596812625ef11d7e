"""The SMS and signed JSON webhooks under hostile input, signed rightly and wrongly."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import SMS_SECRET, WEBHOOK_SECRET, Cast
from tests.fuzz.support import (
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
from tests.ingest.fakes import twilio_signature, webhook_signature

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"

phone_numbers = st.one_of(
    st.sampled_from(["+33612345678", "+1 (555) 010-9999", "06 12 34 56 78", "12", "", "+", "+0"]),
    st.from_regex(r"\+?[0-9 ()-]{0,25}", fullmatch=True),
    st.text(max_size=30),
)
sms_forms = st.fixed_dictionaries(
    {},
    optional={
        "From": phone_numbers,
        "Body": st.one_of(st.text(max_size=400), st.sampled_from(["", " ", "Bonjour ?"])),
        "MessageSid": st.one_of(st.text(max_size=40), st.sampled_from(["SM1", "", " "])),
        "To": st.text(max_size=20),
        "NumMedia": st.text(max_size=5),
    },
)


@FUZZ
@given(
    form=sms_forms,
    signature=st.one_of(st.just("valid"), st.none(), header_text),
    extra=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=2),
)
def test_the_sms_webhook_never_answers_a_server_error(cast: Cast, form, signature, extra):
    path = f"/ingest/sms/{cast.sms.token}/"
    params = {**extra, **form}
    sent = {}
    if signature == "valid":
        # What the provider signs: the URL it requested, then every field sorted by name.
        sent["X-Twilio-Signature"] = twilio_signature(
            SMS_SECRET, f"http://testserver{path}", params
        )
    elif signature is not None:
        sent["X-Twilio-Signature"] = signature

    with example():
        response = send(
            client(), "POST", path, body=urlencode(params).encode(), content_type=FORM, headers=sent
        )

    assert_no_server_error(response, "POST", path, params=params, headers=sent)
    complete = {"From", "Body", "MessageSid"} <= set(params) and all(
        params[name].strip() for name in ("From", "MessageSid")
    )
    if signature == "valid" and complete:
        assert response.status_code == 200, response.content


messages = st.one_of(
    st.fixed_dictionaries(
        {
            "id": st.one_of(st.text(max_size=20), big_ints, json_scalars),
            "text": st.one_of(st.text(max_size=300), json_scalars),
            "author": st.one_of(
                st.fixed_dictionaries(
                    {"id": st.one_of(st.text(max_size=20), big_ints, json_scalars)},
                    optional={"name": json_scalars, "handle": json_scalars},
                ),
                json_values,
            ),
        },
        optional={"network": st.one_of(st.sampled_from(["instagram", "x", "A", ""]), json_scalars)},
    ),
    json_values,
)
timestamps = st.one_of(
    st.none(),
    st.just("fresh"),
    st.just("stale"),
    header_text,
    big_ints.map(str),
    st.sampled_from(["9" * 400, "99999999999999999999999", "²", " 1700000000 ", "1e9"]),
)


@FUZZ
@given(
    body=st.one_of(messages.map(lambda m: json.dumps(m).encode()), bodies),
    timestamp=timestamps,
    signature=st.one_of(st.just("valid"), st.none(), header_text),
)
def test_the_signed_webhook_never_answers_a_server_error(cast: Cast, body, timestamp, signature):
    path = f"/ingest/webhook/{cast.webhook.token}/"
    if timestamp == "fresh":
        timestamp = str(int(time.time()))
    elif timestamp == "stale":
        timestamp = str(int(time.time()) - 3600)
    sent = {}
    if timestamp is not None:
        sent["X-Socialroom-Timestamp"] = timestamp
    if signature == "valid":
        sent["X-Socialroom-Signature"] = webhook_signature(WEBHOOK_SECRET, body, timestamp)
    elif signature is not None:
        sent["X-Socialroom-Signature"] = signature

    with example():
        response = send(
            client(), "POST", path, body=body, content_type="application/json", headers=sent
        )

    assert_no_server_error(response, "POST", path, body=body[:300], headers=sent)
    if signature != "valid":
        assert response.status_code in (403, 413), response.content
