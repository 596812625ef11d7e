"""A question that airs is posted once to each of the station's accounts, whatever the retries."""

from __future__ import annotations

import pytest

from live.models import PostBack
from live.posting.services import post_back_deliver
from live.posting.tasks import post_back
from questions import services as question_services
from questions.services.onair import ControlSurface
from studio.errors import DomainError
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _take(actor, session, question):
    return question_services.session_take_on_air(actor=actor, session=session, question=question)


def _question(session, **fields):
    defaults = {
        "text": "What did the forest teach you?",
        "status": "approved",
        "author_name": "Léa",
    }
    return QuestionFactory(session=session, **(defaults | fields))


def test_a_take_posts_once_to_mastodon_and_once_to_bluesky(
    posting_on, producer_a, accounts, fake_mastodon, fake_pds
):
    question = _question(posting_on)
    _take(producer_a, posting_on, question)

    expected = "On air: What did the forest teach you? — asked by Léa, answered by Aya Lune"
    assert [s["content"] for s in fake_mastodon.statuses] == [expected]
    assert [r["text"] for r in fake_pds.records.values()] == [expected]
    posts = {p.network: p for p in PostBack.objects.filter(question=question)}
    mastodon, bluesky = posts["mastodon"], posts["bluesky"]
    assert mastodon.status == bluesky.status == "posted"
    assert mastodon.link == fake_mastodon.statuses[0]["url"]
    assert mastodon.remote_id == fake_mastodon.statuses[0]["id"]
    (rkey,) = fake_pds.records
    assert bluesky.link == f"https://bsky.app/profile/radio.test/post/{rkey}"
    assert bluesky.remote_id == f"at://{fake_pds.did}/app.bsky.feed.post/{rkey}"
    assert mastodon.posted_at is not None and bluesky.posted_at is not None


def test_a_second_take_of_the_same_question_posts_nothing_more(
    posting_on, producer_a, accounts, fake_mastodon, fake_pds
):
    first = _question(posting_on)
    other = _question(posting_on, text="And the sea?")
    _take(producer_a, posting_on, first)
    _take(producer_a, posting_on, other)
    question_services.question_requeue(
        actor=producer_a, question=first.__class__.objects.get(pk=first.pk)
    )
    _take(producer_a, posting_on, first)

    assert len(fake_mastodon.statuses) == 2
    assert len(fake_pds.records) == 2
    assert PostBack.objects.filter(question=first).count() == 2


def test_nothing_is_posted_while_the_sessions_posting_is_off(
    session_a, producer_a, accounts, fake_mastodon, fake_pds
):
    assert session_a.post_back_enabled is False
    _take(producer_a, session_a, _question(session_a))
    assert fake_mastodon.statuses == [] and fake_pds.records == {}
    assert not PostBack.objects.exists()


def test_nothing_is_posted_without_an_enabled_account(
    posting_on, producer_a, accounts, fake_mastodon, fake_pds
):
    accounts[1].enabled = False
    accounts[1].save()
    _take(producer_a, posting_on, _question(posting_on))
    assert len(fake_mastodon.statuses) == 1
    assert fake_pds.records == {}
    assert list(PostBack.objects.values_list("network", flat=True)) == ["mastodon"]


def test_a_station_without_accounts_posts_nothing(posting_on, producer_a, fake_mastodon):
    _take(producer_a, posting_on, _question(posting_on))
    assert fake_mastodon.statuses == []
    assert not PostBack.objects.exists()


def test_a_post_retried_after_503s_is_made_once(
    posting_on, producer_a, accounts, fake_mastodon, fake_pds
):
    fake_mastodon.fail_next = [503, 503]
    fake_pds.fail_next = [503]
    _take(producer_a, posting_on, _question(posting_on))

    assert len(fake_mastodon.statuses) == 1
    assert len(fake_pds.records) == 1
    posts = {p.network: p for p in PostBack.objects.all()}
    assert posts["mastodon"].status == "posted" and posts["mastodon"].attempts == 3
    assert posts["bluesky"].status == "posted" and posts["bluesky"].attempts == 2


def test_an_answer_lost_after_the_post_was_made_does_not_double_it(
    posting_on, producer_a, accounts, fake_mastodon, fake_pds
):
    fake_mastodon.lose_answer = True
    fake_pds.lose_answer = True  # the session is made, then the created record's answer is lost
    fake_pds.fail_next = []
    _take(producer_a, posting_on, _question(posting_on))

    assert len(fake_mastodon.statuses) == 1
    assert len(fake_pds.records) == 1
    assert set(PostBack.objects.values_list("status", flat=True)) == {"posted"}


def test_running_the_task_again_after_it_posted_posts_nothing(
    posting_on, producer_a, accounts, fake_mastodon, fake_pds
):
    _take(producer_a, posting_on, _question(posting_on))
    for post in PostBack.objects.all():
        post_back.apply(args=[post.pk])
        # A worker lost after the network took the post: the row was never marked posted.
        PostBack.objects.filter(pk=post.pk).update(status="pending")
        post_back.apply(args=[post.pk])
        post.refresh_from_db()
        assert post.status == "posted"
    assert len(fake_mastodon.statuses) == 1
    assert len(fake_pds.records) == 1


def test_bad_credentials_fail_at_once_without_retry(
    posting_on, producer_a, accounts, fake_mastodon, fake_pds
):
    for account in accounts:
        account.secret = "wrong"
        account.save()
    _take(producer_a, posting_on, _question(posting_on))

    posts = {p.network: p for p in PostBack.objects.all()}
    assert posts["mastodon"].status == "failed" and posts["mastodon"].attempts == 1
    assert "401" in posts["mastodon"].last_error
    assert posts["bluesky"].status == "failed" and posts["bluesky"].attempts == 1
    assert "AuthenticationRequired" in posts["bluesky"].last_error
    assert fake_mastodon.statuses == [] and fake_pds.records == {}
    assert len(fake_mastodon.requests) == 1


def test_a_refused_text_fails_without_retry(posting_on, producer_a, accounts, fake_mastodon):
    fake_mastodon.refuse_with = 422
    _take(producer_a, posting_on, _question(posting_on))
    post = PostBack.objects.get(network="mastodon")
    assert post.status == "failed" and "422" in post.last_error
    assert len(fake_mastodon.requests) == 1


def test_a_network_that_stays_down_ends_failed_after_the_last_retry(
    posting_on, producer_a, accounts, fake_mastodon
):
    accounts[1].delete()
    fake_mastodon.fail_next = [503] * 20
    _take(producer_a, posting_on, _question(posting_on))
    post = PostBack.objects.get()
    assert post.status == "failed"
    assert post.attempts == 7  # the first try and six retries
    assert "503" in post.last_error
    assert fake_mastodon.statuses == []


def test_a_failed_post_is_not_sent_by_the_task_again(
    posting_on, producer_a, accounts, fake_mastodon
):
    fake_mastodon.refuse_with = 401
    _take(producer_a, posting_on, _question(posting_on))
    fake_mastodon.refuse_with = None
    post = PostBack.objects.get(network="mastodon")
    assert post_back_deliver(post_id=post.pk).status == "failed"
    assert fake_mastodon.statuses == []


def test_take_next_from_a_control_surface_posts_too(
    posting_on, producer_a, accounts, fake_mastodon, fake_pds
):
    posting_on = question_services.session_rotate_control_key(actor=producer_a, session=posting_on)
    question = _question(posting_on)
    question_services.question_cue(actor=producer_a, question=question)
    question_services.session_take_next(
        actor=ControlSurface(key=posting_on.control_key), session=posting_on
    )
    assert len(fake_mastodon.statuses) == 1 and len(fake_pds.records) == 1


def test_a_refused_take_posts_nothing(posting_on, producer_a, accounts, fake_mastodon, fake_pds):
    question_services.air_lock(actor=producer_a, session=posting_on)
    with pytest.raises(DomainError):
        _take(producer_a, posting_on, _question(posting_on))
    assert fake_mastodon.statuses == [] and fake_pds.records == {}
    assert not PostBack.objects.exists()
