# Dosewise: `make run` to try it, `make test` to check it. `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run worker test lint fmt typecheck bench lock clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Dosewise needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## Create .venv and install pinned dependencies

var/secret-key:
	@mkdir -p var
	@$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

run: $(STAMP) var/secret-key  ## Migrate, load the demo clinic, serve on http://127.0.0.1:$(PORT) with the reminder worker
	$(eval export SECURE_COOKIES ?= false)
	$(eval export EMAIL_BACKEND ?= django.core.mail.backends.filebased.EmailBackend)
	$(eval export SMS_BACKEND ?= dosewise.notifications.sms.FileSmsBackend)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Dosewise on http://127.0.0.1:$(PORT)/  (Ctrl-C to stop)"
	@echo "Reminder worker running alongside: emails in var/mail/, text messages in var/sms/"
	@# The worker runs in the background and is stopped with the server (Ctrl-C, or any exit).
	@$(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

worker: $(STAMP) var/secret-key  ## Run the reminder worker alone, in the foreground (see docs/reminders.md)
	$(eval export EMAIL_BACKEND ?= django.core.mail.backends.filebased.EmailBackend)
	$(eval export SMS_BACKEND ?= dosewise.notifications.sms.FileSmsBackend)
	$(BIN)/python manage.py run_worker

test: $(STAMP)  ## Run the whole suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise)
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff check, format check, mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DOSEWISE_TESTING=1 $(BIN)/mypy dosewise

fmt: $(STAMP)  ## Format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)  ## Run the benchmarks in bench/ (figures go in docs/benchmarks.md)
	$(BIN)/python bench/icd10_search.py
	$(BIN)/python bench/safety_check.py
	$(BIN)/python bench/worklist.py

lock: $(STAMP)  ## Re-pin constraints.txt from the current virtualenv
	$(BIN)/python -m pip freeze --exclude-editable > constraints.txt

clean:  ## Remove the virtualenv and local database
	rm -rf $(VENV) var
