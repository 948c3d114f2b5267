# Two commands do everything on a fresh machine:  `make demo`  and  `make test`.
# Both create .venv, install pinned packages and the Debian WordNet packages when missing.
# Re-running is idempotent: the install step is skipped while its stamp is newer than its inputs.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.textaug-installed
WORDNET_FILE := /usr/share/wordnet/data.noun

.PHONY: install sysdeps demo test test-all bench clean

install: sysdeps $(STAMP)

# Debian's WordNet 3.0 is the offline source of WordNet (nltk's own data is used when present).
sysdeps:
	@if [ ! -f $(WORDNET_FILE) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages wordnet-base wordnet-sense-index"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wordnet-base wordnet-sense-index >/dev/null; \
	  else \
	    echo "note: WordNet not found; run 'sudo apt-get install wordnet-base wordnet-sense-index' or 'python -m nltk.downloader wordnet'"; \
	  fi; \
	fi

$(STAMP): pyproject.toml constraints.txt requirements-offline.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	$(PY) -m pip install -q --no-deps --ignore-requires-python -r requirements-offline.txt
	touch $(STAMP)

# The main job on built-in defaults.
demo: install
	$(VENV)/bin/textaug demo

# The default test suite (the `slow` marker is excluded; `make test-all` runs everything).
test: install
	$(PY) -m pytest -q

test-all: install
	$(PY) -m pytest -q -m ''

BENCH_STAMP := $(VENV)/.textaug-bench-installed

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(PY) -m pip install -q -c constraints.txt -r requirements-bench.txt
	$(PY) -m pip install -q --no-deps textblob-aptagger==0.2.0
	touch $(BENCH_STAMP)

# Benchmarks print figures (ratios against peers run in the same process); no timed assertions.
bench: install $(BENCH_STAMP)
	$(PY) bench/augment_throughput.py
	$(PY) bench/train_throughput.py

clean:
	rm -rf $(VENV)
