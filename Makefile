# borikan — every target does its own set-up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) -m django
export DJANGO_SETTINGS_MODULE ?= borikan.config.settings.local
export PYTHONPATH := $(CURDIR)/src

# Django 6 needs Python >= 3.12: look for 3.13 then 3.12 on PATH and under pyenv.
PYTHON_FOUND := $(shell for c in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /root/.pyenv/versions/3.13*/bin/python3.13 /root/.pyenv/versions/3.12*/bin/python3.12 python3; do \
	p=$$(command -v $$c 2>/dev/null) || continue; \
	$$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: help run test demo bench lint format setup messages migrate clean docs frontend

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml requirements.lock
	@if [ -z "$(PYTHON_FOUND)" ]; then echo "borikan needs Python 3.12 or newer (Django 6); none found on PATH or under pyenv." >&2; exit 1; fi
	@echo "Using $(PYTHON_FOUND)"
	@# System packages: msgfmt (translations), pdfsig (independent signature validation in tests), HarfBuzz subsetting (PDF fonts), SoftHSM2 (PKCS#11 signing tests), Chromium (the phone-width form test).
	@missing=""; command -v msgfmt >/dev/null || missing="$$missing gettext"; command -v pdfsig >/dev/null || missing="$$missing poppler-utils"; \
	ldconfig -p | grep -q libharfbuzz-subset || missing="$$missing libharfbuzz-subset0"; \
	command -v softhsm2-util >/dev/null || missing="$$missing softhsm2"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then echo "installing$$missing"; \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "please install:$$missing (Debian package names)" >&2; fi; fi
	$(PYTHON_FOUND) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@# Every dependency from the lock, each checked against its hash; then the project itself.
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

setup: $(VENV)/.installed messages frontend  ## create the virtual environment and install

# The design system (GOV.UK Frontend themed with Sarabun) and axe-core, from the npm lock; built into var/frontend.
FRONTEND_OUT := var/frontend
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; else echo "please install: npm (Debian package name)" >&2; exit 1; fi; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

$(FRONTEND_OUT)/.built: node_modules/.installed frontend/borikan.scss
	mkdir -p $(FRONTEND_OUT)/borikan/fonts $(FRONTEND_OUT)/govuk
	node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps --load-path=node_modules frontend/borikan.scss $(FRONTEND_OUT)/borikan/borikan.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(FRONTEND_OUT)/borikan/
	cp -r node_modules/govuk-frontend/dist/govuk/assets/images $(FRONTEND_OUT)/govuk/
	cp node_modules/@fontsource/sarabun/files/sarabun-{thai,latin}-{400,700}-normal.woff2 $(FRONTEND_OUT)/borikan/fonts/
	touch $@

frontend: $(FRONTEND_OUT)/.built

messages: $(VENV)/.installed
	@cd src/borikan && ../../$(PY) -m django compilemessages -v 0

migrate: setup
	$(MANAGE) migrate --noinput -v 0

run: migrate  ## the portal: open http://localhost:8000 (SQLite, in-process jobs, local files)
	$(MANAGE) load_catalogue
	$(MANAGE) seed_demo_accounts
	@echo "bank sandbox on http://127.0.0.1:8081 (pay an invoice: $(MANAGE) sandbox_pay INVOICE-NUMBER)"
	@echo "civil registry sandbox on http://127.0.0.1:8082 (people: src/borikan/sandboxes/data/civil_registry_people.json)"
	@echo "SMS sandbox on http://127.0.0.1:8083 (read a phone's messages: $(MANAGE) sandbox_sms 0812345678)"
	@$(PY) -m borikan.sandboxes.bank_gateway --port 8081 --api-key "$$(cat var/secrets/gateway-api-key)" \
		--webhook-secret "$$(cat var/secrets/gateway-webhook-secret)" & sandbox=$$!; \
	$(PY) -m borikan.sandboxes.civil_registry --port 8082 --api-key "$$(cat var/secrets/civil-registry-api-key)" & \
	registry=$$!; $(PY) -m borikan.sandboxes.sms_gateway --port 8083 --api-key "$$(cat var/secrets/sms-api-key)" & \
	sms=$$!; trap "kill $$sandbox $$registry $$sms 2>/dev/null" EXIT INT TERM; \
	$(MANAGE) runserver 127.0.0.1:8000

test: setup  ## the whole test suite (PostgreSQL when DATABASE_URL names one, SQLite otherwise)
	DJANGO_SETTINGS_MODULE=borikan.config.settings.test $(PY) -m pytest -q $(ARGS)

demo: setup  ## the scripted eight-step journey through the API, headless
	$(PY) -m borikan.demo.journey

bench: setup  ## benchmarks: make bench [ONLY=name]
	$(PY) bench/run.py $(if $(ONLY),--only $(ONLY))

lint: setup  ## ruff; status writes only through declared tables; import-linter layers; mypy; the lock and pip-audit
	$(VENV)/bin/ruff check src bench tools
	$(VENV)/bin/ruff format --check src bench tools
	$(PY) tools/check_status_writes.py
	PYTHONPATH=src $(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=borikan.config.settings.test $(VENV)/bin/mypy
	$(PY) tools/audit_dependencies.py

format: setup
	$(VENV)/bin/ruff format src bench tools
	$(VENV)/bin/ruff check --fix src bench tools

clean:
	rm -rf $(VENV) var

docs: setup  ## regenerate docs/workflows/ (the case lifecycle and every declared state table)
	$(PY) -c "from borikan.applications.workflow import write_diagram; write_diagram()"
