# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast kube-binaries prometheus chromium screenshots venv schema golden bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## Validate (and later render and reconcile) the bundled platform, no cluster needed.
demo: $(STAMP)
	$(BIN)/platformctl demo

## kube-apiserver, kube-controller-manager, kubectl and etcd from upstream sources, into a cache
## keyed by version (~4 min the first time on 2 cores, then instant). See scripts/build-kube.sh.
kube-binaries:
	bash scripts/build-kube.sh

## Prometheus for the rollout tests (tests/real/test_rollout.py start it on 127.0.0.1): Debian's
## package, installed only when no `prometheus` is on PATH (as root, or through sudo).
prometheus:
	@command -v prometheus >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends prometheus; \
	}
	@prometheus --version 2>&1 | head -1

## Chromium for the dashboard's browser test (tests/daemon/test_dashboard_browser.py drives it headless through
## Playwright, a dev extra; never a browser Playwright downloads): Debian's package, installed only when missing.
chromium:
	@[ -x /usr/bin/chromium ] || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; \
	}
	@/usr/bin/chromium --version 2>/dev/null | head -1

## The README's dashboard screenshots (docs/dashboard.png, docs/dashboard-component.png), by the browser test.
screenshots: $(STAMP) chromium
	DASHBOARD_SCREENSHOTS=docs $(BIN)/pytest -q -p no:logging tests/daemon/test_dashboard_browser.py

## The whole test suite: type check, layer contracts, tests (the real-server tier included).
test: $(STAMP) kube-binaries prometheus chromium
	$(BIN)/mypy
	$(BIN)/lint-imports
	PLATFORMCTL_REQUIRE_BROWSER=1 $(BIN)/pytest -n 2

## Only the fast tier: everything but the tests against a real kube-apiserver (tests/real).
test-fast: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 -m "not realkube"

## Regenerate the JSON Schemas under schemas/.
schema: $(STAMP)
	$(BIN)/platformctl schema

## Regenerate the golden render files under tests/data/golden/ (review the diff!).
golden: $(STAMP)
	for env in dev staging prod-onprem prod-cloud; do \
	  $(BIN)/platformctl render --env $$env --revision golden > tests/data/golden/$$env.yaml || exit 1; \
	done

## Every benchmark in one run (several minutes; figures go in docs/benchmarks.md).
bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) build *.egg-info
