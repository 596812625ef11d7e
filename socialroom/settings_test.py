"""Test overrides: fast password hashing, an isolated data folder, everything else as configured."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="socialroom-test-"))

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
# LOGGING is a dict; the star import types it as object.
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405
if REDIS_URL:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = "socialroom-test"  # noqa: F405
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    # One test database per run, so two runs on one server never drop each other's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_socialroom_{os.getpid()}"}  # noqa: F405
# Vote batches run in the thread of synchronous code, where a test's open transaction is visible;
# the server default (a writer thread of its own) is exercised by tests/multiprocess and bench/.
VOTE_WRITER_THREAD = False
CREW_DATABASE_THREAD = False
