# The whole set-up is two commands: `make demo` and `make test` (both create .venv).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.tftrace-installed
DEMO   := demo

.PHONY: demo test test-fast bench examples-traces examples-check dot clean help

help:
	@echo "make demo   - set up .venv (TensorFlow included), record an example, explain, check and render it"
	@echo "make test   - run the whole test suite (the non-TensorFlow half with TensorFlow blocked)"
	@echo "make examples-traces - re-record examples/traces/*.json (needs TensorFlow)"
	@echo "make examples-check  - are the committed example traces still what the recorder writes? (~30 s)"
	@echo "make bench  - run the benchmarks (a few minutes; docs/benchmarks.md)"

# Re-install when the project's dependencies change. TensorFlow comes as tensorflow-cpu:
# the `tf` extra names `tensorflow` (GPU-capable, for users who want that), which would
# install a second, CUDA-probing copy on top; recording needs only the CPU build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet 'tensorflow-cpu>=2.12' numpy
	$(PY) -m pip install --quiet -e '.[tui,dot,test]'
	touch $(STAMP)

# Graphviz's `dot` binary: installed with apt when missing and we may (root).
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Graphviz (dot) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "Graphviz 'dot' is missing: install it (apt-get install graphviz / brew install graphviz)"; \
	  fi; }

demo: $(STAMP) dot
	@mkdir -p $(DEMO)
	$(PY) -m tftrace run -o $(DEMO)/restore_then_init.json examples/restore_then_init.py
	$(PY) -m tftrace explain $(DEMO)/restore_then_init.json dense/kernel
	@# check exits 1 when it finds the bug (it should: this example has one); 2 is a failure
	@$(PY) -m tftrace check $(DEMO)/restore_then_init.json > $(DEMO)/check.txt; \
	  status=$$?; cat $(DEMO)/check.txt; [ $$status -le 1 ]
	$(PY) -m tftrace render $(DEMO)/restore_then_init.json -o $(DEMO)/restore_then_init.png
	@echo "demo: wrote $(DEMO)/restore_then_init.json, $(DEMO)/check.txt, $(DEMO)/restore_then_init.png"
	@echo "the tftrace command is in $(VENV): 'source $(VENV)/bin/activate', or run $(VENV)/bin/tftrace"

# The suite in two halves that together are all of it: the tests needing TensorFlow, then
# every other test with TensorFlow made unimportable (tests/without_tensorflow), proving
# that all but recording works on a machine without it (PRODUCT; tests/test_layers.py).
test: $(STAMP) dot
	$(PY) -m pytest -q -m tf
	PYTHONPATH=$(CURDIR)/tests/without_tensorflow$${PYTHONPATH:+:$$PYTHONPATH} \
	  $(PY) -m pytest -q -m "not tf"

# The recorder's benchmarks take a few minutes (step counts are flags: see each --help);
# every figure is a ratio against a baseline measured in the same process.
bench: $(STAMP)
	$(PY) benchmarks/loops.py
	$(PY) benchmarks/bert.py
	$(PY) benchmarks/peers.py
	$(PY) benchmarks/overhead.py
	$(PY) benchmarks/check.py
	$(PY) benchmarks/render.py
	$(PY) benchmarks/graph.py
	$(PY) benchmarks/commands.py --big

examples-traces: $(STAMP)
	$(PY) tools/record_examples.py

examples-check: $(STAMP)
	$(PY) tools/record_examples.py --check

clean:
	rm -rf $(DEMO) ckpt .pytest_cache
