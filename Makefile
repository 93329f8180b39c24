# The two commands the README promises: `make demo` and `make test`.
# Both work on a fresh machine: they create .venv and install what they need.

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Debian packages the browser, SAML and integration suites use.
DEBIAN_PACKAGES := chromium firefox-esr xmlsec1 redis-server mariadb-server
DEBIAN_BINARIES := /usr/bin/chromium /usr/bin/firefox-esr /usr/bin/xmlsec1 /usr/bin/redis-server /usr/sbin/mariadbd

.PHONY: test demo quality lint typecheck pytest docs bench bench-deps requirements system-deps clean tox

$(STAMP): requirements/test.txt setup.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/test.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# As root, install the Debian packages the suites need when any is missing.
# Without root the suites that need them skip, naming the package.
system-deps:
	@missing=""; for b in $(DEBIAN_BINARIES); do test -x $$b || missing="$$missing $$b"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages ($(DEBIAN_PACKAGES)): missing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null; \
	  else \
	    echo "Not root: missing$$missing; the tests that need them will skip."; \
	  fi; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy cors_gate

quality: lint typecheck

pytest: $(STAMP)
	$(VENV)/bin/pytest

test: system-deps $(STAMP) quality docs pytest

# runserver --insecure serves the admin's CSS/JS although DEBUG is off (loopback demo only).
demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py cors_gate_demo
	$(PY) manage.py runserver --insecure 127.0.0.1:8000

# The Sphinx documentation; any warning (a broken reference, bad markup) fails the build.
docs: $(STAMP)
	$(VENV)/bin/sphinx-build -q -W --keep-going -b html docs build/docs/html

# The instruction counts of make bench need valgrind and a C compiler: as root, install them
# when missing; otherwise make bench prints the other tables and says why it skipped the counts.
bench-deps:
	@if ! command -v valgrind >/dev/null || ! command -v cc >/dev/null; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages (valgrind gcc libc6-dev) for the instruction counts"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind gcc libc6-dev >/dev/null; \
	  else \
	    echo "Not root: valgrind or cc missing; make bench skips the instruction counts."; \
	  fi; \
	fi

bench: bench-deps $(STAMP)
	$(PY) benchmarks/run.py

tox: $(STAMP)
	$(VENV)/bin/tox

# Re-pin requirements/test.txt from requirements/test.in in a throwaway venv.
requirements:
	rm -rf build/req-venv && python3 -m venv build/req-venv
	build/req-venv/bin/pip install --quiet --upgrade pip
	build/req-venv/bin/pip install --quiet -r requirements/test.in
	( echo "# Pinned from requirements/test.in by 'make requirements'. Python 3.11."; \
	  build/req-venv/bin/pip freeze --exclude-editable | grep -v '^cors.gate' ) > requirements/test.txt

clean:
	rm -rf $(VENV) build .tox .mypy_cache .ruff_cache .pytest_cache
