# The two commands a newcomer needs: `make demo` (run the operator on the embedded local cluster with the
# in-memory provider) and `make test` (everything CI runs). Both install what they need on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEBIAN_PACKAGES := bind9 bind9-utils bind9-dnsutils pdns-server pdns-backend-sqlite3

.PHONY: test demo demo-keep lint typecheck unit integration bench system-packages venv lock clean

venv: $(VENV)/.installed

# Exactly the locked versions (requirements-dev.lock), never whatever PyPI has today: the suite gives the same
# answer on any fresh machine on any day. The project itself goes in editable, without resolving anything.
$(VENV)/.installed: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$$(grep -E '^pip==' requirements-dev.lock)"
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $@

# Refresh both locks on purpose (newest releases that pyproject.toml allows); review the diff, run make test.
lock:
	PYTHON=$(PYTHON) tools/lock.sh

# DNS servers for the integration tests. Installed only when missing; needs root (CI runs as root).
system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "not root: cannot install$$missing; tests that need them will be skipped"; fi; \
	fi

lint: venv
	$(BIN)/ruff check operator tests bench

typecheck: venv
	$(BIN)/mypy

# -rs lists every skip with its reason; under CI=true a missing backend is a failure, not a skip (conftest.py).
test: system-packages venv lint typecheck
	$(BIN)/pytest -q -rs

unit: venv
	$(BIN)/pytest -q -rs tests/unit

demo: venv
	$(BIN)/python -m external_dns.demo

demo-keep: venv
	$(BIN)/python -m external_dns.demo --keep-running

bench: system-packages venv
	$(BIN)/python bench/apiserver.py
	$(BIN)/python bench/reconcile.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
