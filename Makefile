# The two commands a newcomer needs: `make demo` (run the operator on the embedded local cluster with the
# in-memory provider) and `make test` (everything CI runs). Both install what they need on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEBIAN_PACKAGES := bind9 bind9-utils bind9-dnsutils pdns-server pdns-backend-sqlite3

.PHONY: test demo demo-keep lint typecheck unit integration bench system-packages venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

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

test: system-packages venv lint typecheck
	$(BIN)/pytest -q

unit: venv
	$(BIN)/pytest -q tests/unit

demo: venv
	$(BIN)/python -m external_dns.demo

demo-keep: venv
	$(BIN)/python -m external_dns.demo --keep-running

bench: system-packages venv
	$(BIN)/python bench/apiserver.py
	$(BIN)/python bench/reconcile.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
