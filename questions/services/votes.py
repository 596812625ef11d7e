"""Audience votes: one per voter per question, counted exactly once, written in batches.

Every vote, from HTTP or from the audience socket, goes through ``vote_batch``: one transaction
for many votes (group commit). PostgreSQL commits a few thousand single-row transactions a
second on modest hardware but writes a hundred thousand rows a second in batches, so a busy
server process gathers the votes of a few milliseconds (``questions/vote_writer.py``) and writes
them together. A vote is acknowledged only after its batch commits: an acknowledged vote is in
the database, whatever happens to the process afterwards.

Exactly once: the ``(question, voter)`` unique constraint holds it, with ``ON CONFLICT DO
NOTHING`` telling which votes are new. A vote sent again (a retry after a lost acknowledgement)
is refused as ``already_voted`` and changes nothing.

One bad vote must not fail the others written with it: ``vote_refusal`` turns away, before they
join a batch, the votes the database could not store (an id beyond its integers, a voter id that
does not fit its column), and the writer splits a batch whose transaction fails anyway.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, transaction
from django.utils import timezone

from questions.models import PUBLIC_STATUSES, VOTABLE_STATUSES, Question, Vote
from questions.vote_stream import VoteCount, votes_changed
from studio.api import MAX_ID
from studio.errors import Conflict, DomainError, NotFound, ValidationFailed
from studio.models import LiveSession, SessionStatus

# The raw SQL below interpolates only quoted table names and "%s" placeholders; every value is a
# query parameter. (The ORM has no INSERT ... ON CONFLICT ... RETURNING, which tells new votes
# from repeated ones in one statement.)
#
# A batch never holds two votes of one voter on one question: the second waits for the next
# batch, so a vote and its withdrawal apply in the order they were sent.


@dataclass(frozen=True)
class VoteRequest:
    session: int | str  # the session's id, or its slug (the public address)
    question_id: int
    voter: str
    add: bool  # True: vote; False: take the vote back
    # From the audience (HTTP, socket): a question they may not see is "not found" to them.
    audience: bool = True

    @property
    def key(self) -> tuple[int, str]:
        return (self.question_id, self.voter)


@dataclass(frozen=True)
class VoteResult:
    question: int
    votes: int  # the question's count once this batch committed
    voted: bool


VOTER_MAX_LENGTH = cast(int, Vote._meta.get_field("voter").max_length)


def question_id_refusal(value: object) -> DomainError | None:
    """Why ``value`` cannot be a question's id, or None. HTTP and the audience socket both ask."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return ValidationFailed(
            f"A question id is a whole number from 1 to {MAX_ID}.",
            details={"question": "not a question id"},
        )
    return None


def vote_refusal(request: VoteRequest) -> DomainError | None:
    """Why ``request`` can never be written, or None; checked before it joins a batch.

    Only what the database itself would refuse is checked here (the question's state is the
    batch's business): one such value fails the whole transaction, and every vote with it.
    """
    refusal = question_id_refusal(request.question_id)
    if refusal is not None:
        return refusal
    voter = request.voter
    if not isinstance(voter, str) or not 0 < len(voter) <= VOTER_MAX_LENGTH or "\x00" in voter:
        return ValidationFailed("Voting needs a valid voter token.", code="no_voter")
    return None


@dataclass
class _Target:
    session_id: int
    session_slug: str
    session_status: str
    status: str
    root: int  # the original of its cluster of near-duplicates (itself when it has none)
    has_duplicates: bool = False


def vote_batch(requests: Sequence[VoteRequest]) -> list[VoteResult | DomainError]:
    """Apply votes and withdrawals in one transaction; one result or refusal per request.

    A refused request changes nothing; the others are written all together. The new counts and
    versions, as the count UPDATE returned them, are announced (coalesced) once the
    transaction commits. A request that ``vote_refusal`` turns
    away never reaches the database, so it cannot fail the transaction of the others.
    """
    if not requests:
        return []
    if len({r.key for r in requests}) != len(requests):
        raise ValueError("a batch holds at most one request per voter and question")
    outcome: list[VoteResult | DomainError | None] = [vote_refusal(r) for r in requests]
    writable = [i for i, refusal in enumerate(outcome) if refusal is None]
    if not writable:
        return outcome  # type: ignore[return-value]
    with transaction.atomic():
        targets = _lock_targets({requests[i].question_id for i in writable})
        accepted: list[int] = []
        for i in writable:
            request = requests[i]
            refusal = _refusal(request, targets.get(request.question_id))
            if refusal is not None:
                outcome[i] = refusal
            else:
                accepted.append(i)
        adds = [i for i in accepted if requests[i].add]
        removes = [i for i in accepted if not requests[i].add]
        adds = _drop_cluster_repeats(requests, adds, targets, outcome)

        deltas: dict[int, int] = defaultdict(int)
        inserted = _insert([requests[i] for i in adds])
        for i in adds:
            if requests[i].key in inserted:
                deltas[requests[i].question_id] += 1
            else:
                outcome[i] = Conflict("You already voted for this question.", code="already_voted")
        deleted = _delete([requests[i] for i in removes])
        for i in removes:
            if requests[i].key in deleted:
                deltas[requests[i].question_id] -= 1
            else:
                outcome[i] = NotFound("You have not voted for this question.", code="not_voted")

        counts, versions = _apply_counts(deltas, targets)
        for i in accepted:
            if outcome[i] is None:
                r = requests[i]
                outcome[i] = VoteResult(r.question_id, counts[r.question_id], r.add)
        # Only the questions whose count this batch changed: a cancelled-out delta (a vote and
        # a withdrawal) leaves the count and its version as they were, and nothing to announce.
        changed: dict[int, dict[int, VoteCount]] = defaultdict(dict)
        for qid, version in versions.items():
            target = targets[qid]
            changed[target.session_id][qid] = VoteCount(
                counts[qid], version, target.status in PUBLIC_STATUSES
            )
        for session_id, session_counts in changed.items():
            # Robust: an error in the announcement must not look like a failed write once the
            # votes are committed (the writer would write them again, and refuse them as repeats).
            transaction.on_commit(
                # A lambda with defaults binds this iteration's values; mypy cannot infer it.
                lambda session_id=session_id, c=session_counts: votes_changed(session_id, c),  # type: ignore[misc]
                robust=True,
            )
    return outcome  # type: ignore[return-value]


def _lock_targets(question_ids: set[int]) -> dict[int, _Target]:
    """Read the questions voted on and lock them, with their clusters' originals, in id order.

    Locking in one order (ids ascending) lets batches of several processes touch the same
    questions without deadlocking; the locks also keep a question from being rejected between
    the check and the count. One statement in the usual case (no near-duplicates involved).
    """
    targets = _select_targets(question_ids)
    roots = {t.root for t in targets.values()} - set(targets)
    if roots:
        # A near-duplicate's original is counted too. Lock the whole set again in id order
        # (already held locks are kept), so the order stays ascending across batches.
        targets = _select_targets(set(targets) | roots)
    return targets


def _select_targets(question_ids: set[int]) -> dict[int, _Target]:
    q = connection.ops.quote_name(Question._meta.db_table)
    session = connection.ops.quote_name(LiveSession._meta.db_table)
    ids_sql, params = _id_list(sorted(question_ids))
    # NO KEY: the lock order of studio/events.py (votes and other rows inserted meanwhile check
    # their foreign key to these questions with FOR KEY SHARE, which this lets through).
    lock = " FOR NO KEY UPDATE OF q" if connection.features.has_select_for_update_of else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT q.id, q.session_id, s.slug, s.status, q.status, q.duplicate_of_id, "  # noqa: S608
            f"EXISTS (SELECT 1 FROM {q} d WHERE d.duplicate_of_id = q.id) "
            f"FROM {q} q JOIN {session} s ON s.id = q.session_id "
            f"WHERE q.id {ids_sql} ORDER BY q.id{lock}",
            params,
        )
        rows = cursor.fetchall()
    return {
        pk: _Target(session_id, slug, session_status, status, root or pk, bool(duplicates))
        for pk, session_id, slug, session_status, status, root, duplicates in rows
    }


def _id_list(ids: list[int]) -> tuple[str, list[Any]]:
    """``= ANY(%s)`` with one array on PostgreSQL (one parameter, whatever the batch size);
    ``IN (%s, ...)`` elsewhere."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(ids)]
    return f"IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _refusal(request: VoteRequest, target: _Target | None) -> DomainError | None:
    if target is None or request.session not in (target.session_id, target.session_slug):
        return NotFound("No such question.")
    if request.audience and (
        target.status not in PUBLIC_STATUSES or target.session_status == SessionStatus.DRAFT
    ):
        return NotFound("No such question.")
    if target.session_status != SessionStatus.LIVE:
        return Conflict("Voting is closed: the session is not live.", code="session_closed")
    if target.status not in VOTABLE_STATUSES:
        return Conflict(
            "Only approved questions can be voted on.",
            code="not_votable",
            details={"status": target.status},
        )
    return None


def _drop_cluster_repeats(
    requests: Sequence[VoteRequest],
    adds: list[int],
    targets: dict[int, _Target],
    outcome: list[Any],
) -> list[int]:
    """A voter counts once per cluster of near-duplicates: refuse a vote for one question of a
    cluster when the voter already voted for another (before, or earlier in this batch)."""
    roots = set()
    for i in adds:
        qid = requests[i].question_id
        target = targets[qid]
        if target.root != qid or target.has_duplicates:  # a duplicate, or an original of some
            roots.add(target.root)
    if not roots:
        return adds
    members: dict[int, set[int]] = defaultdict(set)
    for pk, root in Question.objects.filter(duplicate_of_id__in=roots).values_list(
        "pk", "duplicate_of_id"
    ):
        members[root].update((pk, root))
    clustered = [i for i in adds if targets[requests[i].question_id].root in members]
    if not clustered:
        return adds
    member_root = {pk: root for root, pks in members.items() for pk in pks}
    voted: dict[tuple[str, int], int] = {}
    for qid, voter in Vote.objects.filter(
        question_id__in=member_root, voter__in={requests[i].voter for i in clustered}
    ).values_list("question_id", "voter"):
        voted[(voter, member_root[qid])] = qid
    kept = []
    for i in adds:
        r = requests[i]
        root = targets[r.question_id].root
        if root not in members:
            kept.append(i)
            continue
        other = voted.get((r.voter, root))
        if other is not None and other != r.question_id:
            outcome[i] = Conflict(
                "You already voted for a question just like this one.",
                code="already_voted",
                details={"cluster": root},
            )
            continue
        voted[(r.voter, root)] = r.question_id
        kept.append(i)
    return kept


def _insert(requests: list[VoteRequest]) -> set[tuple[int, str]]:
    """Insert the votes; the ones that were already there are skipped. Returns the new ones."""
    if not requests:
        return set()
    table = connection.ops.quote_name(Vote._meta.db_table)
    now = timezone.now()
    if connection.vendor == "postgresql":
        rows = "SELECT q, v, %s FROM unnest(%s::bigint[], %s::text[]) AS t(q, v)"
        params: list[Any] = [now, [r.question_id for r in requests], [r.voter for r in requests]]
    else:
        rows = "VALUES " + ", ".join(["(%s, %s, %s)"] * len(requests))
        params = [value for r in requests for value in (r.question_id, r.voter, now)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (question_id, voter, created_at) {rows} "
            "ON CONFLICT (question_id, voter) DO NOTHING RETURNING question_id, voter",
            params,
        )
        return {(qid, voter) for qid, voter in cursor.fetchall()}


def _delete(requests: list[VoteRequest]) -> set[tuple[int, str]]:
    if not requests:
        return set()
    table = connection.ops.quote_name(Vote._meta.db_table)
    if connection.vendor == "postgresql":
        sql = (
            f"DELETE FROM {table} AS v USING unnest(%s::bigint[], %s::text[]) AS d(q, voter) "  # noqa: S608
            "WHERE v.question_id = d.q AND v.voter = d.voter RETURNING v.question_id, v.voter"
        )
        params: list[Any] = [[r.question_id for r in requests], [r.voter for r in requests]]
    else:
        where = " OR ".join(["(question_id = %s AND voter = %s)"] * len(requests))
        sql = f"DELETE FROM {table} WHERE {where} RETURNING question_id, voter"  # noqa: S608
        params = [value for r in requests for value in (r.question_id, r.voter)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(qid, voter) for qid, voter in cursor.fetchall()}


def _apply_counts(
    deltas: dict[int, int], targets: dict[int, _Target]
) -> tuple[dict[int, int], dict[int, int]]:
    """Add the deltas to the questions' counts in one statement, moving each changed question's
    ``vote_version`` on by one; returns the new counts (of every question voted on) and the new
    versions (of the questions changed).

    A near-duplicate's votes count for its original too: the original ranks with its cluster.
    """
    total: dict[int, int] = defaultdict(int)
    for qid, delta in deltas.items():
        total[qid] += delta
        root = targets[qid].root
        if root != qid:
            total[root] += delta
    total = {qid: delta for qid, delta in total.items() if delta}
    counts: dict[int, int] = {}
    versions: dict[int, int] = {}
    if total:
        table = connection.ops.quote_name(Question._meta.db_table)
        if connection.vendor == "postgresql":
            sql = (
                f"UPDATE {table} AS q SET vote_count = GREATEST(q.vote_count + d.delta, 0), "  # noqa: S608
                "vote_version = q.vote_version + 1 "
                "FROM unnest(%s::bigint[], %s::int[]) AS d(id, delta) WHERE q.id = d.id "
                "RETURNING q.id, q.vote_count, q.vote_version"
            )
            params: list[Any] = [list(total), list(total.values())]
        else:
            cases = " ".join(["WHEN %s THEN %s"] * len(total))
            ids = ", ".join(["%s"] * len(total))
            sql = (
                f"UPDATE {table} SET vote_count = MAX(vote_count + CASE id {cases} "  # noqa: S608
                f"ELSE 0 END, 0), vote_version = vote_version + 1 WHERE id IN ({ids}) "
                "RETURNING id, vote_count, vote_version"
            )
            params = [value for item in total.items() for value in item] + list(total)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for qid, count, version in cursor.fetchall():
                counts[qid] = count
                versions[qid] = version
    unchanged = [qid for qid in deltas if qid not in counts]
    if unchanged:  # votes and withdrawals that cancelled out
        counts |= dict(Question.objects.filter(pk__in=unchanged).values_list("pk", "vote_count"))
    return counts, versions


# --- one vote at a time (management commands, the demo, synchronous callers) -------------------


def _one(request: VoteRequest) -> int:
    result = vote_batch([request])[0]
    if isinstance(result, DomainError):
        raise result
    return result.votes


def vote_cast(*, question: Question, voter: str) -> int:
    """Record the voter's vote and return the question's new count.

    A second vote by the same voter is refused (``already_voted``) and changes nothing. A vote
    for one question of a cluster of near-duplicates counts for the cluster, so a voter who
    voted for one of them is refused for the others too.
    """
    return _one(VoteRequest(question.session_id, question.pk, voter, add=True, audience=False))


def vote_withdraw(*, question: Question, voter: str) -> int:
    """Remove the voter's vote and return the question's new count."""
    return _one(VoteRequest(question.session_id, question.pk, voter, add=False, audience=False))
