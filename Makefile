# Social Room studio. `make run` starts a demo studio; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Django's debug pages (settings, URL patterns, tracebacks) only ever go to this machine: debug is
# on by default for a loopback address, and forced off when the demo listens beyond it.
LOOPBACK := $(filter 127.% localhost ::1 [::1],$(HOST))
RUN_DEBUG := $(if $(LOOPBACK),$(or $(DEBUG),1),0)

.PHONY: run run-settings test lint format venv lock migrate seed messages worker beat follow clean bench bench-quick bench-report

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Direct dependencies are declared in requirements*.in; the lock files requirements*.txt pin every
# package, direct or not, with its hashes, and pip installs nothing that is not in them. Reinstall
# only when a lock file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Recompile the lock files from the .in files, with pip-tools in an environment of its own. Each
# lock constrains the next (runtime, then development, then benchmark), so a package shared by two
# has one version. LOCK_ARGS passes options on, e.g. LOCK_ARGS=--upgrade-package=django.
LOCK_VENV := $(VENV)/pip-tools
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

$(LOCK_VENV)/bin/pip-compile:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip pip-tools==7.7.0

lock: $(LOCK_VENV)/bin/pip-compile
	$(PIP_COMPILE) $(LOCK_ARGS) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) $(LOCK_ARGS) --output-file requirements-dev.txt requirements-dev.in
	$(PIP_COMPILE) $(LOCK_ARGS) --output-file requirements-bench.txt requirements-bench.in

migrate: venv
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --base-url http://$(HOST):$(PORT)

DEMO_STREAM := questions/ingest/samples/demo_stream.jsonl

# The studio, plus a recorded stream of SMS, web and social messages replayed into the demo at
# its real pace (DEMO_REPLAY=0 turns it off). Ctrl-C stops both.
run: seed
	@mkdir -p $${DATA_DIR:-var}; replay_pid=""; \
	if [ "$${DEMO_REPLAY:-1}" != "0" ]; then \
	  $(BIN)/python manage.py replay_stream $(DEMO_STREAM) --session demo-live --pace real --loop \
	    > $${DATA_DIR:-var}/demo_replay.log 2>&1 & replay_pid=$$!; \
	  echo "  Demo stream      replaying into demo-live (log: $${DATA_DIR:-var}/demo_replay.log)"; \
	fi; \
	trap 'test -n "$$replay_pid" && kill $$replay_pid 2>/dev/null' EXIT INT TERM; \
	$(if $(LOOPBACK),,echo "  Listening on $(HOST), beyond this machine: debug pages are off (DEBUG=0)."; \
	  echo "  Set ALLOWED_HOSTS to the address phones will browse to, e.g. ALLOWED_HOSTS=192.168.1.20";) \
	DEBUG=$(RUN_DEBUG) $(BIN)/daphne -b $(HOST) -p $(PORT) socialroom.asgi:application

# What `make run` would serve with: its address and debug setting (the tests check it).
run-settings:
	@echo "HOST=$(HOST) PORT=$(PORT) DEBUG=$(RUN_DEBUG)"

# Production processes (they need REDIS_URL; see README, "Production").
worker: venv
	$(BIN)/celery -A socialroom worker -l info

beat: venv
	$(BIN)/celery -A socialroom beat -l info --schedule $${DATA_DIR:-var}/celerybeat-schedule

follow: venv
	$(BIN)/python manage.py follow_feeds

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The benchmark (bench/run.py): the studio beside a plain websockets broadcaster (the floor) and a
# naive Channels design (the peer), on this machine's PostgreSQL and Redis, started when down.
# Writes bench/results/latest.json and docs/performance.png. BENCH_ARGS="--profile" adds py-spy.
define BENCH_SETUP
	@if [ ! -f $(VENV)/.installed-bench ] || [ requirements-bench.txt -nt $(VENV)/.installed-bench ]; then \
	  $(BIN)/pip install --quiet --require-hashes -r requirements-bench.txt \
	  && touch $(VENV)/.installed-bench; fi
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is down: starting it"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -n1) main start; \
	  for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "Redis is down: starting it"; \
	  mkdir -p /var/lib/redis /var/log/redis; \
	  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
	    --dir /var/lib/redis --logfile /var/log/redis/ci.log; \
	  for i in $$(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; }
endef

bench: $(BIN)/python
	$(BENCH_SETUP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-quick: $(BIN)/python
	$(BENCH_SETUP)
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)

# How long the session report of a 50,000-question session takes (bench/report_timing.py), on the
# configured database (DATABASE_URL); writes bench/results/report_timing.json.
bench-report: $(BIN)/python
	$(BIN)/python -m bench.report_timing $(BENCH_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After changing translatable strings: update the French catalogues, translate, then compile.
# Both .po and .mo files are kept in the repository, so running the studio needs no gettext.
messages: venv
	cd studio && ../$(BIN)/python ../manage.py makemessages -l fr
	cd questions && ../$(BIN)/python ../manage.py makemessages -l fr
	cd live && ../$(BIN)/python ../manage.py makemessages -l fr
	cd reports && ../$(BIN)/python ../manage.py makemessages -l fr
	cd studio && ../$(BIN)/python ../manage.py compilemessages
	cd questions && ../$(BIN)/python ../manage.py compilemessages
	cd live && ../$(BIN)/python ../manage.py compilemessages
	cd reports && ../$(BIN)/python ../manage.py compilemessages

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
