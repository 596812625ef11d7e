"""The guest prompter page: served with the overlay key only, text filled in by its script,
linked for producers from the crew home."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from live.audience_page import audience_strings
from live.prompter import prompter_strings
from questions.public_apis import _ASKER_STATES

pytestmark = pytest.mark.django_db


def _strings(response) -> dict[str, str]:
    match = re.search(
        r'<script id="prompter-strings" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match
    return json.loads(match.group(1))


def test_it_is_served_with_the_sessions_overlay_key(session_a):
    response = Client().get(f"/prompter/live-a/?key={session_a.overlay_key}")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="now-text"' in html and 'id="next-text"' in html
    assert "live/prompter.js" in html
    # No inline script: the page's words come in a JSON data block.
    assert _strings(response)["nothing_on_air"] == "Nothing on air"
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("key", ["", "wrong-key"])
def test_a_wrong_or_missing_key_gets_403(session_a, key):
    response = Client().get(f"/prompter/live-a/?key={key}")

    assert response.status_code == 403
    assert 'id="now-text"' not in response.content.decode()


def test_another_sessions_key_opens_nothing(session_a, session_b):
    response = Client().get(f"/prompter/live-a/?key={session_b.overlay_key}")

    assert response.status_code == 403


def test_it_speaks_french(session_a):
    response = Client(headers={"accept-language": "fr"}).get(
        f"/prompter/live-a/?key={session_a.overlay_key}"
    )

    assert response.status_code == 200
    assert '<html lang="fr">' in response.content.decode()


def test_producers_find_the_prompter_on_the_crew_home(session_a, producer_a, host_a):
    producer = Client()
    producer.force_login(producer_a)
    host = Client()
    host.force_login(host_a)

    html = producer.get("/studio/").content.decode()
    assert f"/prompter/live-a/?key={session_a.overlay_key}" in html
    assert "/prompter/" not in host.get("/studio/").content.decode()


def test_every_string_the_script_shows_is_translated_on_the_server():
    script = Path(__file__).parents[2] / "live/static/live/prompter.js"
    used = set(re.findall(r"\bS\.(\w+)", script.read_text()))
    used |= {f"status_{s}" for s in ("connecting", "live", "reconnecting", "stale", "denied")}
    used |= {f"source_{s}" for s in ("web", "sms", "social", "manual", "import")}

    assert used <= set(prompter_strings())


def test_the_asker_states_have_words_on_the_audience_page():
    assert {f"mine_{state}" for state in _ASKER_STATES.values()} <= set(audience_strings())
