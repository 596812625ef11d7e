"""Posting what aired back to the station's Mastodon and Bluesky accounts.

- ``text``: the session's template filled and cut to the network's limit.
- ``services``: the PostBack rows made when a question airs, and the delivery of one of them.
- ``mastodon`` and ``bluesky``: the two networks' APIs, over httpx.
- ``tasks``: the Celery task that delivers a post, with retries and backoff.
- ``receivers``: connected to ``questions.signals.question_aired`` in ``live.apps``.
"""
