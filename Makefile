# Bürgerkontakt – the two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON := $(shell scripts/find-python.sh)
export UV_PYTHON := $(PYTHON)
export UV_LINK_MODE := copy
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx
APT_UPDATED := var/.apt-updated

.PHONY: help install python-deps pdf-libs ldap-build-deps assets messages chromium nginx slapd faketime xvfb db run run-scaled test test-fast lint fmt clean bench test-chaos audit

help:
	@echo "make run   – install everything, migrate SQLite, load demo data, start the platform"
	@echo "make test  – install everything (incl. Debian's chromium) and run the whole test suite"
	@echo "make lint  – ruff;  make test-fast – without browser journeys"
	@echo "make audit – known vulnerabilities in uv.lock (pip-audit) and package-lock.json (npm audit)"
	@echo "make run-scaled – nginx + 2 uvicorn workers + PostgreSQL + Redis (docs/operations.md)"

var:
	@mkdir -p var

$(APT_UPDATED): | var
	apt-get update -qq && touch $@

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
	  (echo "Installing uv …" && $(PYTHON) -m pip install --quiet --disable-pip-version-check uv)

# Bytecode is compiled at install time (site-packages and our sources): machines and containers
# that set PYTHONDONTWRITEBYTECODE would otherwise recompile Django in every process that starts –
# each uvicorn worker, each test server – which costs seconds of CPU per start.
python-deps: uv ldap-build-deps pdf-libs
	$(UV) sync --frozen --quiet --compile-bytecode
	@$(PY) -m compileall -q -j 0 src

# python-ldap (django-auth-ldap's client) is built from source: it needs the OpenLDAP and SASL headers.
ldap-build-deps:
	@test -f /usr/include/ldap.h -a -f /usr/include/sasl/sasl.h || { $(MAKE) $(APT_UPDATED) && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libldap2-dev libsasl2-dev gcc; }

# WeasyPrint (the privacy app's PDF exports and Art. 14 letters) draws text with Debian's Pango.
PANGO_LIB := /usr/lib/x86_64-linux-gnu/libpangoft2-1.0.so.0
pdf-libs:
	@test -e $(PANGO_LIB) || { $(MAKE) $(APT_UPDATED) && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; }

assets:
	@command -v npm >/dev/null 2>&1 || { $(MAKE) $(APT_UPDATED) && apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error

messages: python-deps
	@command -v msgfmt >/dev/null 2>&1 || { $(MAKE) $(APT_UPDATED) && apt-get install -y -qq gettext; }
	@cd src/buergerkontakt && $(CURDIR)/$(PY) $(CURDIR)/manage.py compilemessages --verbosity 0

install: python-deps assets messages

chromium:
	@test -x $(CHROMIUM) || { $(MAKE) $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Debian's libfaketime: tests/demo start `make run`'s steps on faked days in their own processes.
FAKETIME_LIB := /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
faketime:
	@test -e $(FAKETIME_LIB) || { $(MAKE) $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime; }

# Debian's nginx for the scale-out (tests/deploy, make run-scaled); never touches /etc/nginx's site.
nginx:
	@test -x $(NGINX) || { $(MAKE) $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }

# Debian's OpenLDAP server for the directory sign-in tests: the tests start their own slapd with their
# own configuration in a temporary folder; the package's own configuration and service are never used.
SLAPD := /usr/sbin/slapd
slapd:
	@test -x $(SLAPD) -a -x /usr/bin/ldapadd || { $(MAKE) $(APT_UPDATED) && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils; }

# Debian's X virtual framebuffer, xdotool and ImageMagick's import for the desktop agent's real test
# (tests/agent: two agents under Xvfb, hotkey pressed by xdotool, screenshots; docs/alarm-agent.md).
xvfb:
	@test -x /usr/bin/Xvfb -a -x /usr/bin/xdotool -a -x /usr/bin/import || { $(MAKE) $(APT_UPDATED) && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb xdotool imagemagick; }

# Demo mode installs the demo app (load_demo, demo_totp, the demo logins in the banner); production
# never sets DEMO_MODE.
db: export DEMO_MODE = true
db: install
	$(MANAGE) migrate --verbosity 0
	$(MANAGE) load_demo

run: export SECURE_COOKIES ?= false
run: export DEMO_MODE = true
run: db
	$(MANAGE) run_platform

run-scaled: install nginx
	scripts/run-scaled.sh

# Every process of the run logs JSON lines into TEST_LOG; afterwards no demo or test person's name,
# e-mail address or phone number may be in it (scripts/check_logs.py).
TEST_LOG := $(CURDIR)/var/test-logs/pytest.log
test: install chromium nginx slapd faketime xvfb
	@mkdir -p $(dir $(TEST_LOG)) && rm -f $(TEST_LOG); \
	  LOG_FILE=$(TEST_LOG) $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest: no tests collected" >&2; exit 1; fi; \
	  if [ $$rc -eq 0 ]; then $(PY) scripts/check_logs.py --min-lines=$(if $(PYTEST_ARGS),1,1000) $(TEST_LOG) || rc=1; fi; \
	  exit $$rc

test-fast: install
	$(PY) -m pytest -m "not e2e" -x -q $(PYTEST_ARGS)

# Fault tests on real processes (tests/chaos, docs/adr/0012); need DATABASE_URL (PostgreSQL) and
# REDIS_URL like CI's second lane, which runs them as part of `make test`.
test-chaos: install nginx
	$(PY) -m pytest tests/chaos -m chaos -q -p no:randomly $(PYTEST_ARGS)

# Benchmarks P1/P2 (not part of CI): own databases (var/bench, PostgreSQL bk_bench), see docs/performance.md.
bench: install
	$(PY) benchmarks/run_all.py

# Known vulnerabilities of the locked packages. Fails only on a finding; an unreachable advisory
# service is reported as "not checked" (scripts/audit.py, ADR 0015).
audit: python-deps
	UV="$(UV)" $(PY) scripts/audit.py

lint: python-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

fmt: python-deps
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var/static var/test*.sqlite3* test-results
