"""Signals for the layers above: the questions layer says what happened, the live layer reacts.

``question_aired`` is sent once a take has committed (``sender=Question``, ``question=``,
``session=``), so that a receiver never sees a take that rolled back. A take of the question
already on air changes nothing and sends nothing.
"""

from __future__ import annotations

from django.dispatch import Signal

question_aired = Signal()
