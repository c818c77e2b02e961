# The two commands a newcomer needs: `make demo` (run the operator on the embedded local cluster with the
# in-memory provider) and `make test` (everything CI runs). Both install what they need on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# docker.io and debootstrap: tests/image builds the image and smoke-tests it (Docker Hub is not needed).
DEBIAN_PACKAGES := bind9 bind9-utils bind9-dnsutils pdns-server pdns-backend-sqlite3 docker.io debootstrap
# The image users build and push: `make image IMAGE=registry.example.com/external-dns-kopf:0.1.0`, then
# `docker push` it and name it in the kustomization's `images:` (README, "Container image").
IMAGE ?= external-dns-kopf:dev
PYTHON_IMAGE ?= python:3.11.14-slim-bookworm
DOCKER ?= docker

.PHONY: image test demo demo-keep lint typecheck unit integration bench mutation system-packages venv lock clean

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

# --network=host: pip in the build stage reaches PyPI with the machine's network settings.
image:
	DOCKER_BUILDKIT=1 $(DOCKER) build --network=host --build-arg PYTHON_IMAGE=$(PYTHON_IMAGE) -t $(IMAGE) .

lint: venv
	$(BIN)/ruff check operator tests bench

typecheck: venv
	$(BIN)/mypy

# -rs lists every skip with its reason; under CI=true a missing backend is a failure, not a skip (conftest.py).
# tests/image builds the image (make image) with a private dockerd and smoke-tests it; without root it skips.
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
	$(BIN)/python bench/reconcile.py --objects 10000 --changes 20 --realistic --tracemalloc
	$(BIN)/python bench/reconcile.py --objects 10000 --changes 20 --realistic --kind pod
	$(BIN)/python bench/reconcile.py --objects 20000 --floor --cold-only
	$(BIN)/python bench/memory_parts.py --objects 10000
	$(BIN)/python bench/route53.py --objects 10000 --scale 20
	$(BIN)/python bench/records_at.py --names 5000 --changes 20 --paced 3
	$(BIN)/python bench/route53.py --objects 10000 --sink
	$(BIN)/python bench/kopf_replay.py --objects 10000
	$(BIN)/python bench/start_changes.py --objects 10000 50000 --while-down 50
	$(BIN)/python bench/failover.py --objects 10000 50000
	$(BIN)/python bench/zone_read.py --names 9999 --changes 10 100 1000
	$(BIN)/python bench/point_reads.py --names 10000 --rounds 5
	$(BIN)/python bench/dependents.py --routes 1000 10000 --gateways 20 --pods 1000 5000
	$(BIN)/python bench/cpu_parts.py --objects 10000 --repeat 3
	$(BIN)/python bench/list_ahead.py --objects 20000 50000 --work 50
	$(BIN)/python bench/resync.py --names 9999 50000 --changed 10

# Mutation testing of the core: plan.py, registry/, desired.py, domain_filter.py ([tool.mutmut] in pyproject.toml).
# mutmut 3 only imports mutated code from a src/ layout, so it runs in build/mutation, where src/ links to
# operator/. mutants/ is rebuilt on every run: mutmut's cache does not notice a change of its own configuration.
MUTATION_DIR := build/mutation
mutation: venv
	rm -rf $(MUTATION_DIR)/mutants && mkdir -p $(MUTATION_DIR)
	ln -sfn ../../operator $(MUTATION_DIR)/src
	ln -sfn ../../tests $(MUTATION_DIR)/tests
	cp pyproject.toml $(MUTATION_DIR)/pyproject.toml
	cd $(MUTATION_DIR) && ../../$(BIN)/mutmut run --max-children $${MUTATION_JOBS:-2}; \
	  ../../$(BIN)/mutmut results; \
	  ../../$(BIN)/mutmut export-cicd-stats >/dev/null && ../../$(BIN)/python -c "$$MUTATION_SCORE"

# The score (a timeout counts as killed: the suite would fail); under $(MUTATION_TARGET)% the target fails.
MUTATION_TARGET ?= 95
export MUTATION_TARGET
define MUTATION_SCORE
import json, os
stats = json.load(open("mutants/mutmut-cicd-stats.json"))
killed = stats["killed"] + stats["timeout"]
score = 100 * killed / stats["total"]
print(f"mutation score: {killed} of {stats['total']} mutants killed = {score:.1f}% (target {os.environ['MUTATION_TARGET']}%)")
raise SystemExit(score < float(os.environ["MUTATION_TARGET"]))
endef
export MUTATION_SCORE

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
