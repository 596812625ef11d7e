"""The studio's benchmark: ``make bench`` / ``make bench-quick``, orchestrated by bench/run.py.

It starts the studio (several Daphne processes on PostgreSQL and Redis), a plain websockets
broadcaster (the floor) and a naive Channels design (the peer), drives them from separate load
processes, and writes bench/results/latest.json, a table and docs/performance.png.
"""
