# CareTeam — the two commands a new user needs:
#   make run    set up everything and start the dashboard, a Celery worker and beat
#   make test   install the test tools and run lint, type checks and the whole suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test faults lint typecheck pytest install install-dev migrate demo check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# axe-core (accessibility checks in the browser tests) from the npm registry, pinned, installed into
# the virtualenv and served to Chromium by the tests from the local file (never a CDN).
AXE_CORE_VERSION := 4.11.0
AXE_JS := $(VENV)/node/axe-core-$(AXE_CORE_VERSION)/node_modules/axe-core/axe.min.js
$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

$(AXE_JS): | $(BIN)/python
	npm install --silent --no-audit --no-fund --no-save \
		--prefix $(VENV)/node/axe-core-$(AXE_CORE_VERSION) axe-core@$(AXE_CORE_VERSION)
	ln -sfn $(abspath $@) $(VENV)/node/axe.min.js

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev $(AXE_JS)

migrate: install
	DJANGO_SETTINGS_MODULE=careteam.settings.local $(PY) manage.py migrate --noinput

demo: migrate
	DJANGO_SETTINGS_MODULE=careteam.settings.local $(PY) manage.py seed_demo

## run: the dashboard at http://$(HOST):$(PORT) plus a Celery worker and beat (Ctrl-C stops all).
run: demo
	@echo ""
	@echo "  CareTeam is starting at http://$(HOST):$(PORT)/   (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Demo logins are listed above. Press Ctrl-C to stop the web server, worker and beat."
	@echo ""
	@# exec: the runner replaces the shell, so Ctrl-C ends in its calm stop (exit 0), not in
	@# "make: *** Interrupt" from a shell killed by the signal. careteam/devrun.py.
	exec env DJANGO_SETTINGS_MODULE=careteam.settings.local HOST=$(HOST) PORT=$(PORT) \
		PATH="$(abspath $(BIN)):$$PATH" $(PY) -m careteam.devrun Procfile.dev

## test: lint, type checks, migrations in step with models, then the whole pytest suite.
test: install-dev lint typecheck
	DJANGO_SETTINGS_MODULE=careteam.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

## faults: the fault-injection suite (docs/reliability.md). Needs PostgreSQL in DATABASE_URL and
## redis-server on PATH; it starts its own Redis on FAULTS_REDIS_PORT and its own SMTP server, so
## it never stops the services other tests use. Not part of `make test`; CI runs it after.
FAULTS_REDIS_PORT ?= 6391
faults: install-dev
	@case "$${DATABASE_URL:-}" in \
	  postgres://*|postgresql://*|pgsql://*|psql://*) ;; \
	  *) echo "make faults needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST:5432/NAME" \
	       "(one scenario terminates the workers' connections with pg_terminate_backend)." >&2; \
	     exit 2 ;; \
	esac
	@command -v redis-server >/dev/null || { echo "make faults needs redis-server on PATH" >&2; exit 2; }
	REDIS_URL=redis://127.0.0.1:$(FAULTS_REDIS_PORT)/0 FAULTS_REDIS_PORT=$(FAULTS_REDIS_PORT) \
		DJANGO_SETTINGS_MODULE=careteam.settings.test $(PY) -m pytest -m faults tests/faults -v $(FAULTS_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy apps

## check-deploy: Django's deployment checklist under production settings, warnings fail.
check-deploy: install
	DJANGO_SETTINGS_MODULE=careteam.settings.production \
	SECRET_KEY=$${SECRET_KEY:-check-deploy-only-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-careteam.example.org} \
		$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache

## bench: a synthetic health system at N/10 and N patients (BENCH_PATIENTS, default 10,000) in
## fresh PostgreSQL databases (BENCH_PG, default postgres://postgres@127.0.0.1:5432), measured:
## pages and API through gunicorn, rules against the data floor, reminder dispatch through a
## real Celery worker on Redis (BENCH_REDIS_URL) into a real SMTP server, memory. Prints the
## table and writes bench/results.json (docs/performance.md). BENCH_ARGS: more options.
## loadtest: locust, 50 clinicians for 60 s against gunicorn (4 gthread workers) on PostgreSQL
## and Redis, data seeded at LOADTEST_PATIENTS; writes bench/loadtest.json.
.PHONY: bench loadtest
BENCH_PATIENTS ?= 10000
LOADTEST_PATIENTS ?= 1000
LOADTEST_USERS ?= 50
LOADTEST_DURATION ?= 60s

$(VENV)/.installed-bench: requirements-bench.txt requirements.txt | $(BIN)/python
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@

bench: $(VENV)/.installed-bench
	$(PY) -m bench.run --patients $(BENCH_PATIENTS) $(BENCH_ARGS)

loadtest: $(VENV)/.installed-bench
	$(PY) -m bench.loadtest --patients $(LOADTEST_PATIENTS) --users $(LOADTEST_USERS) \
		--duration $(LOADTEST_DURATION) $(LOADTEST_ARGS)
