"""What the fuzz tests share: hypothesis settings, hostile inputs, and the one rule (no 5xx).

Every run draws the same examples (``derandomize``), so CI is reproducible. For a longer hunt
on your own machine, set ``FUZZ_MAX_EXAMPLES`` (e.g. 2000), and ``FUZZ_RANDOM=1`` to draw new
examples on each run.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "50"))

FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    # The machine is shared: a slow example is not a failure.
    deadline=None,
    # One cast of stations and sessions serves every example; each example rolls back its writes.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")


def client() -> Client:
    """A client that answers a crash with the 500 page, as a server would, instead of raising."""
    return Client(raise_request_exception=False)


@contextmanager
def example(c: Client | None = None) -> Iterator[None]:
    """One example: fresh throttle counters, and nothing it wrote is seen by the next one.

    The client's cookies are put back too: an example that logs out (``POST /logout/``) or
    logs in again must not change who the next one is.
    """
    cookies = copy.deepcopy(c.cookies) if c is not None else None
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
    if c is not None:
        c.cookies = cookies


def assert_no_server_error(response, method: str, path: str, **sent) -> None:
    assert response.status_code < 500, (
        f"{method} {path} answered {response.status_code}: "
        f"{response.content[:500]!r}\nsent: {sent!r}"
    )


# --- hostile inputs ---------------------------------------------------------------------------

# What an HTTP header can carry: servers decode header bytes as Latin-1, without CR or LF.
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=80,
)

big_ints = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, -1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30, 10**400]),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    big_ints,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "\u202e", "💥" * 50, "<script>x</script>", "a" * 5000]),
)

json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=5),
    ),
    max_leaves=12,
)

CONTENT_TYPES = (
    "application/json",
    "application/json; charset=latin-1",
    "application/json; charset=no-such-charset",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=fuzz",
    "multipart/form-data",
    "text/plain",
    "application/xml",
    "",
)


def _json_bytes(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


bodies = st.one_of(
    json_values.map(_json_bytes),
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b"",
            b"[" * 5000 + b"]" * 5000,
            b'{"text": ' * 3000,
            b"text=%ZZ&name=%00&guest=1e999&guest=2",
            b"--fuzz\r\nContent-Disposition: form-data; name=text\r\n\r\nhi\r\n--fuzz--",
            b"\xff\xfe\x00\x00",
        ]
    ),
)

# Headers the studio reads, and a few it should not trip over, with hostile values.
HEADER_NAMES = (
    "X-Voter-Token",
    "Idempotency-Key",
    "Accept",
    "Accept-Language",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Socialroom-Signature",
    "X-Socialroom-Timestamp",
    "X-Twilio-Signature",
    "Authorization",
    "If-None-Match",
    "Range",
    "Origin",
    "Cookie",
)

headers = st.dictionaries(st.sampled_from(HEADER_NAMES), header_text, max_size=4)


def send(
    c: Client,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    content_type: str = "",
    headers: dict[str, str] | None = None,
):
    return c.generic(method, path, data=body, content_type=content_type, headers=headers)


# --- every URL pattern ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    template: str  # as written in the URL patterns, converters and regex groups included

    def path(self, values: dict[str, str]) -> str:
        """The template with every parameter filled in from ``values`` (by name)."""
        route = self.template
        route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], route)
        route = route.replace("^", "").replace("$", "").replace(".*", "no-such-page/")
        return "/" + route


def routes() -> list[Route]:
    """Every URL pattern of the project, in order."""

    def walk(patterns, prefix: str) -> Iterator[Route]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield Route(prefix + str(pattern.pattern))

    return list(walk(get_resolver().url_patterns, ""))


def parameters(route: Route) -> set[str]:
    return set(re.findall(r"<(?:\w+:)?(\w+)>", route.template))
