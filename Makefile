# b2bportal — the two commands: `make run` (try it out on SQLite) and `make test` (the suite on PostgreSQL).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Two installs into the one .venv: the runtime requirements for `make run`, the development ones (tests, linters,
# the Tryton test server, Playwright) for `make test` and the other targets; each is redone when its files change.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

# make run: the embedded SQLite database in the project directory.
# The demo company's bank accounts, shown on its bank-transfer orders (COMPANY_IBAN in README's settings table).
DEMO_COMPANY_ENV := COMPANY_IBAN="Garanti BBVA: TR88 0006 2000 0000 6298 7654 32, Akbank: TR36 0004 6000 0000 1234 5678 90"
RUN_ENV := DEBUG=1 DATABASE_URL=sqlite:///$(CURDIR)/db.sqlite3 $(DEMO_COMPANY_ENV)
# make test: the local PostgreSQL server (trust auth); pytest-django creates test_b2bportal itself.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal
# make test runs the suite in this many processes (pytest-xdist), each on its own test database (test_b2bportal_gw0…)
# and its own scratch databases; a test file stays in one process. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 3
# make bench-catalog: its own database on the local server, built once; BENCH_ARGS e.g. "--rebuild --skip-load".
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench
BENCH_ARGS ?=
# make bench-orders: order placement, its own database on the local server; BENCH_ORDERS_ARGS e.g. "--orders 500".
BENCH_ORDERS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_orders
BENCH_ORDERS_ARGS ?=
# make bench-sync: the ERP import, its own database on the local server (dropped and created every run);
# BENCH_SYNC_ARGS e.g. "--products 20000 --skip-baselines".
BENCH_SYNC_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_sync
BENCH_SYNC_ARGS ?=
# make bench-sap-b1: the SAP Business One adapter against the Service Layer simulator, its own database on the local
# server (dropped and created every run); BENCH_SAP_B1_ARGS e.g. "--items 2000 --latency 0.02".
BENCH_SAP_B1_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_sap_b1
BENCH_SAP_B1_ARGS ?=
# make bench-parasut: the Paraşüt adapter against the Paraşüt simulator, its own database on the local server (dropped
# and created every run); BENCH_PARASUT_ARGS e.g. "--products 1000 --limited 0".
BENCH_PARASUT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_parasut
BENCH_PARASUT_ARGS ?=
# make bench-mikro: the Mikro adapter against a Mikro-shaped PostgreSQL database (both dropped and created every run);
# BENCH_MIKRO_ARGS e.g. "--items 5000 --orders 50".
BENCH_MIKRO_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_mikro
BENCH_MIKRO_ARGS ?=
# make bench-logo: the Logo adapter against the Logo simulator (REST and SOAP), its own database on the local server
# (dropped and created every run); BENCH_LOGO_ARGS e.g. "--items 5000 --orders 50".
BENCH_LOGO_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_logo
BENCH_LOGO_ARGS ?=
# make bench-sql-checks: the live stock SQL check of a 50-line cart against scratch Logo-shaped databases on the local
# PostgreSQL and MariaDB servers (created and dropped every run); BENCH_SQL_CHECKS_ARGS e.g. "--items 5000 --checks 50".
BENCH_SQL_CHECKS_ARGS ?=
# make bench-dia: the DİA adapter against the DİA simulator (calls and kontör), its own database (dropped and created
# every run); BENCH_DIA_ARGS e.g. "--items 2000 --orders 20".
BENCH_DIA_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_dia
BENCH_DIA_ARGS ?=
# make bench-sap-rfc: the SAP RFC adapter against the in-process BAPI simulator, its own database on the local server
# (dropped and created every run); BENCH_SAP_RFC_ARGS e.g. "--materials 2000 --orders 50".
BENCH_SAP_RFC_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_saprfc
BENCH_SAP_RFC_ARGS ?=
# make bench-netsis: the Netsis adapter against the Netsis simulator (NetOpenX REST), its own database on the local
# server (dropped and created every run); BENCH_NETSIS_ARGS e.g. "--items 5000 --orders 50".
BENCH_NETSIS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_netsis
BENCH_NETSIS_ARGS ?=
# make bench-matching: bank transfer matching, its own database (dropped and created every run); BENCH_MATCHING_ARGS
# e.g. "--lines 20000".
BENCH_MATCHING_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_matching
BENCH_MATCHING_ARGS ?=
# make bench-reconciliation: reconciliation exports, its own database (dropped and created every run);
# BENCH_RECONCILIATION_ARGS e.g. "--sizes 100000 --formats csv".
BENCH_RECONCILIATION_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_reconciliation
BENCH_RECONCILIATION_ARGS ?=
# make bench-statements: importing a 160,000-line MT940 file, its own database (dropped and created every run);
# BENCH_STATEMENTS_ARGS e.g. "--days 30 --keep".
BENCH_STATEMENTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_statements
# make bench-account: the customer ledger import and the account pages, its own database (dropped and created every
# run); BENCH_ACCOUNT_ARGS e.g. "--dealers 500 --busy 5000".
BENCH_ACCOUNT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_account
BENCH_ACCOUNT_ARGS ?=
# make bench-load: the production profile under 50 signed-in dealers, its own database (dropped and created every run)
# and Redis database 6; BENCH_LOAD_ARGS e.g. "--dealers 20 --duration 30 --configs 2x2".
BENCH_LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_load
BENCH_LOAD_ARGS ?=
# make bench-api: the dealer API's catalogue at 100,000 products and orders through the API against the checkout
# form, its own database (the catalogue built once); BENCH_API_ARGS e.g. "--requests 100 --orders 20".
BENCH_API_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/b2bportal_bench_api
BENCH_API_ARGS ?=

.PHONY: run test install install-dev system-deps bench-deps bench-catalog bench-search bench-orders bench-sync bench-sap-b1 bench-parasut bench-logo \
	bench-dia bench-mikro bench-netsis bench-sap-rfc bench-sql-checks bench-matching bench-reconciliation bench-account bench-statements bench-load bench-api \
	postgres redis mariadb messages lint format clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $(RUNTIME_STAMP)

# The development requirements include the runtime ones (-r requirements.txt).
$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP) $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

# System packages: Debian Chromium for the browser tests, Pango for PDF rendering, gettext for
# translations, openssl for the card provider simulator's test certificate, Redis for the production profile's test
# (demo/tests/test_profile.py). Installed only when missing (needs root, as on this project's machines).
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ldconfig -p | grep -q libpango-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	fc-list 2>/dev/null | grep -qi dejavu || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "Run as root or install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The load generator for the benchmarks: Debian's wrk, installed only when missing (needs root).
bench-deps:
	@if ! command -v wrk >/dev/null; then \
	  echo "Installing system packages: wrk"; \
	  if [ "$$(id -u)" != 0 ]; then echo "Run as root or install: wrk" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

messages: install
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages -v0 --ignore=$(VENV); fi

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "Starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }

# The local Redis server (127.0.0.1:6379) the production profile uses as broker and cache; started when it does not
# answer. The profile's test uses database 5 of it (PROFILE_REDIS_URL) and empties only that one.
redis:
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
	  echo "Starting Redis"; redis-server --bind 127.0.0.1 --port 6379 --daemonize yes >/dev/null; \
	  for i in $$(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; }

# The local MariaDB server (127.0.0.1:3306, root without a password) the read-only SQL checks' tests read from, as a
# company's MySQL/MariaDB ERP database would be; started when it does not answer (those tests skip without it).
mariadb:
	@mariadb-admin -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1 || { \
	  echo "Starting MariaDB"; service mariadb start >/dev/null 2>&1 || true; \
	  for i in $$(seq 30); do mariadb-admin -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1 && break; sleep 1; done; }

run: install messages
	$(RUN_ENV) $(PY) manage.py migrate --noinput -v0
	$(RUN_ENV) $(PY) manage.py demo
	$(RUN_ENV) $(PY) manage.py erpsync schedules --install
	$(RUN_ENV) bin/portal-run

test: install-dev system-deps messages postgres redis mariadb
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py makemigrations --check --dry-run -v0 --settings=b2bportal.settings.test
	DATABASE_URL=$(TEST_DATABASE_URL) $(VENV)/bin/pytest -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile

# Queries per page and server time of the dealer catalogue, in-process and under load (bench/catalog.py).
bench-catalog: install-dev bench-deps postgres
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/catalog.py $(BENCH_ARGS)

# Instant search (the catalogue's suggestions while typing) on the benchmark catalogue (bench/catalog.py --suggest).
bench-search: install-dev postgres
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/catalog.py --suggest --skip-load $(BENCH_ARGS)

# Throughput, latency and stock safety of order placement, alone and with 50 buyers at once (bench/orders.py).
bench-orders: install-dev postgres
	BENCH_ORDERS_DATABASE_URL=$(BENCH_ORDERS_DATABASE_URL) $(PY) bench/orders.py $(BENCH_ORDERS_ARGS)

# Rows/s of the ERP import (first load, unchanged re-sync, 1 % delta) against raw COPY and django-import-export,
# the rows an unchanged re-sync writes, and peak memory as the feed grows (bench/sync.py).
bench-sync: install-dev postgres
	BENCH_SYNC_DATABASE_URL=$(BENCH_SYNC_DATABASE_URL) $(PY) bench/sync.py $(BENCH_SYNC_ARGS)

# The SAP Business One adapter against the Service Layer simulator: import rows/s with the time split into HTTP,
# mapping and database, peak memory, and order export orders/s at concurrency 1 and at the cap (bench/sap_b1.py).
bench-sap-b1: install-dev postgres
	BENCH_SAP_B1_DATABASE_URL=$(BENCH_SAP_B1_DATABASE_URL) $(PY) bench/sap_b1.py $(BENCH_SAP_B1_ARGS)

# The Paraşüt adapter: a 5,000-product, 2,000-contact first import (requests, time at full speed and under Paraşüt's
# 10 requests / 10 s), orders a minute within that budget, and the limit held when measured (bench/parasut.py).
bench-parasut: install-dev postgres
	BENCH_PARASUT_DATABASE_URL=$(BENCH_PARASUT_DATABASE_URL) $(PY) bench/parasut.py $(BENCH_PARASUT_ARGS)

# The Logo adapter against the Logo simulator (bench/logo.py): a first import through REST queries and SOAP ExecQuery,
# orders a second over REST and SOAP, the live stock check of a 50-line cart (median, p95).
bench-logo: install-dev postgres
	BENCH_LOGO_DATABASE_URL=$(BENCH_LOGO_DATABASE_URL) $(PY) bench/logo.py $(BENCH_LOGO_ARGS)

# Live stock SQL check p50/p95 for a 50-line cart, 50,000 items × 5 warehouses, with and without the cache
# (bench/sql_checks.py); goal ≤ 100 ms p95.
bench-sql-checks: install-dev postgres mariadb
	$(PY) bench/sql_checks.py $(BENCH_SQL_CHECKS_ARGS)

# The DİA adapter against the DİA simulator (bench/dia.py): calls and kontör of a 10,000-item / 1,000-customer first
# import, of a delta with nothing changed, and per order.
bench-dia: install-dev postgres
	BENCH_DIA_DATABASE_URL=$(BENCH_DIA_DATABASE_URL) $(PY) bench/dia.py $(BENCH_DIA_ARGS)

# The SAP RFC adapter: a 20,000-material first import and order throughput through the BAPI simulator
# (bench/sap_rfc.py).
bench-sap-rfc: install-dev postgres
	BENCH_SAP_RFC_DATABASE_URL=$(BENCH_SAP_RFC_DATABASE_URL) $(PY) bench/sap_rfc.py $(BENCH_SAP_RFC_ARGS)
# The profile adapters (Nebim, ETA) at the adapter boundary (bench/profile.py); BENCH_PROFILE_ARGS e.g. "--items 2000".
bench-profile: install-dev postgres
	$(PY) bench/profile.py $(BENCH_PROFILE_ARGS)

# Netsis: 50,000 items × 5 warehouses imported over NetOpenX REST, order export with both numberings, live stock.
bench-netsis: install-dev postgres
	BENCH_NETSIS_DATABASE_URL=$(BENCH_NETSIS_DATABASE_URL) $(PY) bench/netsis.py $(BENCH_NETSIS_ARGS)
# The Mikro adapter (bench/mikro.py): a first import of 50,000 items × 5 warehouses from a Mikro-shaped PostgreSQL
# database, and orders a second written by one worker and by two at once.
bench-mikro: install-dev postgres
	BENCH_MIKRO_DATABASE_URL=$(BENCH_MIKRO_DATABASE_URL) $(PY) bench/mikro.py $(BENCH_MIKRO_ARGS)

# Matching 100,000 bank statement lines against 5,000 dealers and 50,000 invoices (bench/matching.py): lines/s, the
# share allocated automatically, time per phase; goal ≤ 10 s.
bench-matching: install-dev postgres
	$(PY) bench/matching.py --database-url $(BENCH_MATCHING_DATABASE_URL) $(BENCH_MATCHING_ARGS)

# Reconciliation exports of orders and balances, 100,000 and 1,000,000 rows, as CSV and XLSX (bench/reconciliation.py):
# rows/s and how much memory grows while writing.
bench-reconciliation: install-dev postgres
	$(PY) bench/reconciliation.py --database-url $(BENCH_RECONCILIATION_DATABASE_URL) $(BENCH_RECONCILIATION_ARGS)

# The customer ledger import and the dealer's account pages and downloads (bench/account.py).
bench-account: install-dev postgres
	$(PY) bench/account.py --database-url $(BENCH_ACCOUNT_DATABASE_URL) $(BENCH_ACCOUNT_ARGS)

# Importing a large MT940 statement: the whole-file way against the streaming import and the background task
# (bench/statements.py).
bench-statements: install-dev postgres
	$(PY) bench/statements.py --database-url $(BENCH_STATEMENTS_DATABASE_URL) $(BENCH_STATEMENTS_ARGS)

# The production profile (bin/portal-profile) under load: 50 signed-in dealers browsing, searching, adding to their
# carts and placing orders for 60 s, with 1, 2 and 3 web workers and 1 and 2 task worker clusters (bench/load.py).
bench-load: install-dev postgres redis
	BENCH_LOAD_DATABASE_URL=$(BENCH_LOAD_DATABASE_URL) $(PY) bench/load.py $(BENCH_LOAD_ARGS)

# The dealer API (bench/api.py): catalogue endpoint queries and p95 at 100,000 products, API order vs checkout form.
bench-api: install-dev postgres
	BENCH_API_DATABASE_URL=$(BENCH_API_DATABASE_URL) $(PY) bench/api.py $(BENCH_API_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Everything `make run` and `make test` made: the venv, the demo database (with its WAL files), the demo's drop
# folder and exports under var/, collected static files and test screenshots.
clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm db.sqlite3-journal var staticfiles test-artifacts
