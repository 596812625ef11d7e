"""Recorded streams replayed into a session: JSONL and CSV, paced, looped, never doubled."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from questions.ingest.replay import (
    LOOP_PAUSE_SECONDS,
    ReplayFormatError,
    parse_pace,
    read_records,
    replay,
)
from questions.models import Question
from tests.ingest.fakes import FIXTURES

pytestmark = pytest.mark.django_db

DEMO_STREAM = Path(__file__).parents[2] / "questions" / "ingest" / "samples" / "demo_stream.jsonl"


def test_a_jsonl_recording_reads_as_records():
    records = read_records(FIXTURES / "recorded.jsonl")

    assert [(r.at, r.source, r.id) for r in records] == [
        (0.0, "sms", "rec-1"),
        (2.5, "social:mastodon", "https://mastodon.test/users/lea/statuses/1"),
        (4.0, "web", "rec-3"),
    ]
    assert (records[1].author_name, records[1].author_handle) == ("Léa", "@lea@mastodon.test")


def test_a_csv_recording_with_iso_times_reads_as_offsets():
    records = read_records(FIXTURES / "recorded.csv")

    assert [(r.at, r.source, r.author_name) for r in records] == [
        (0.0, "sms", ""),
        (3.0, "social:bluesky", ""),
        (10.0, "web", "Inès"),
    ]
    assert records[2].text == 'Une question pour Aya : "Minuit", c\'est autobiographique ?'


def test_a_replay_makes_each_message_once_with_its_source(session_a):
    records = read_records(FIXTURES / "recorded.jsonl")

    first = replay(session_a, records)
    second = replay(session_a, records)

    assert (first.created, first.repeated, first.dropped) == (3, 0, 0)
    assert (second.created, second.repeated) == (0, 3)
    sms, mastodon, web = Question.objects.order_by("id")
    assert (sms.source, sms.external_id) == ("sms", "rec-1")
    assert sms.author_name == "+33 6•• •• •• 11"  # a recorded number is masked, never stored
    assert "639980011" not in sms.author.external_id
    assert (mastodon.source, mastodon.author.platform) == ("social:mastodon", "mastodon")
    assert mastodon.author.handle == "@lea@mastodon.test"
    assert (web.source, web.author_name) == ("web", "Sam")


def test_the_recorded_gaps_are_waited_divided_by_the_speed(session_a):
    waits: list[float] = []

    replay(session_a, read_records(FIXTURES / "recorded.jsonl"), speed=2, sleep=waits.append)

    assert waits == [1.25, 0.75]


def test_a_fast_replay_does_not_wait(session_a):
    waits: list[float] = []

    replay(session_a, read_records(FIXTURES / "recorded.csv"), speed=None, sleep=waits.append)

    assert waits == []
    assert Question.objects.count() == 3


def test_each_round_of_a_loop_adds_the_messages_again_with_new_ids(session_a):
    waits: list[float] = []
    records = read_records(FIXTURES / "recorded.jsonl")

    stats = replay(session_a, records, speed=1, rounds=3, sleep=waits.append)

    assert (stats.created, stats.rounds) == (9, 3)
    ids = sorted(Question.objects.filter(source="web").values_list("external_id", flat=True))
    assert ids == ["rec-3", "rec-3~1", "rec-3~2"]
    assert waits.count(LOOP_PAUSE_SECONDS) == 2


def test_messages_to_a_closed_session_are_dropped(session_a):
    session_a.submissions_open = False
    session_a.save()

    stats = replay(session_a, read_records(FIXTURES / "recorded.jsonl"))

    assert stats.dropped == 3
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"at": 0, "source": "sms", "id": "1", "text": "a"}\nnot json\n', "line 2: not JSON"),
        ('{"at": 0, "source": "fax", "id": "1", "text": "a"}\n', "unknown source 'fax'"),
        ('{"at": 0, "source": "manual", "id": "1", "text": "a"}\n', "unknown source 'manual'"),
        ('{"at": 0, "source": "web", "text": "a"}\n', "no id"),
        ('{"at": "soon", "source": "web", "id": "1", "text": "a"}\n', "'at'"),
    ],
)
def test_a_bad_record_is_reported_with_its_line(tmp_path, content, reason):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)

    with pytest.raises(ReplayFormatError, match=reason):
        read_records(path)


def test_a_csv_without_the_expected_header_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("time,text\n0,hello\n")

    with pytest.raises(ReplayFormatError, match="author_id"):
        read_records(path)


def test_pace_is_real_fast_or_a_speed_factor():
    assert parse_pace("real") == 1.0
    assert parse_pace("fast") is None
    assert parse_pace("4") == 4.0
    with pytest.raises(ValueError):
        parse_pace("0")


def test_the_command_replays_a_file_into_a_session(session_a, capsys):
    call_command(
        "replay_stream", str(FIXTURES / "recorded.csv"), "--session", "live-a", "--pace", "fast"
    )
    call_command(
        "replay_stream", str(FIXTURES / "recorded.csv"), "--session", "live-a", "--pace", "fast"
    )

    out = capsys.readouterr().out
    assert "3 new questions, 0 already there" in out
    assert "0 new questions, 3 already there" in out
    assert Question.objects.count() == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--session", "nope"], "No session"),
        (["--session", "live-a", "--pace", "slow"], "--pace"),
    ],
)
def test_the_command_refuses_bad_arguments(session_a, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("replay_stream", str(FIXTURES / "recorded.csv"), *args)


def test_the_command_names_an_unreadable_file(session_a, tmp_path):
    with pytest.raises(CommandError):
        call_command("replay_stream", str(tmp_path / "missing.jsonl"), "--session", "live-a")


def test_the_bundled_demo_stream_covers_every_source_in_about_ten_minutes(session_a):
    records = read_records(DEMO_STREAM)

    assert 55 <= len(records) <= 65
    assert 540 <= records[-1].at <= 660
    assert {r.source for r in records} == {"sms", "web", "social:mastodon", "social:bluesky"}
    texts = " ".join(r.text for r in records)
    assert "Aya" in texts
    assert "Claire Morel" in texts or "Ministre" in texts
    stats = replay(session_a, records)
    assert stats.created == len(records)
