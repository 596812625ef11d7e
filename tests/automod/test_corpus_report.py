"""The corpus figures are part of the build: a regression in the checks fails it."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from questions.automod.evaluation import (
    CORPUS,
    MIN_PRECISION,
    MIN_RECALL,
    evaluate,
    load_corpus,
    missed_targets,
)


@pytest.fixture(scope="module")
def reports():
    return evaluate(load_corpus())


def test_the_corpus_is_big_enough_and_well_formed():
    lines = load_corpus()
    assert len(lines) >= 220
    assert {line.lang for line in lines} == {"fr", "en"}
    holdout = sum(line.split == "holdout" for line in lines)
    assert 0.25 <= holdout / len(lines) <= 0.4
    for line in lines:
        assert line.labels <= {"profanity", "personal_data", "link", "shouting"}
        assert line.duplicate_of is None or line.duplicate_of < line.index
        assert line.split in {"dev", "holdout", "late"}


def test_the_checks_meet_their_targets_on_the_corpus(reports):
    assert missed_targets(reports["all"]) == []
    for code, score in reports["all"].flags.items():
        assert score.precision >= MIN_PRECISION, code
        assert score.recall >= MIN_RECALL.get(code, 0.0), code


def test_the_report_command_prints_the_figures_and_succeeds():
    out = StringIO()
    call_command("automod_report", stdout=out)
    text = out.getvalue()
    assert "holdout" in text
    assert "profanity" in text and "duplicates (pairs)" in text
    assert text.rstrip().endswith(": met")


def test_the_report_command_speaks_json():
    out = StringIO()
    call_command("automod_report", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["targets"]["met"] is True
    assert set(payload["splits"]) == {"all", "dev", "holdout", "late"}
    assert payload["splits"]["all"]["lines"] == len(CORPUS.read_text().splitlines())


def test_the_report_command_fails_when_a_target_is_missed(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    line = {"lang": "en", "duplicate_of": None, "is_question": False, "split": "dev"}
    corpus.write_text(
        "\n".join(
            json.dumps({**line, "text": text, "labels": labels})
            for text, labels in [
                ("Call me at home please", ["personal_data"]),
                ("A perfectly nice message", []),
            ]
        )
    )
    with pytest.raises(CommandError, match="personal_data recall"):
        call_command("automod_report", "--corpus", str(corpus), stdout=StringIO())
