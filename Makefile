# The README's two commands: `make demo` and `make test`. Both build .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Pinned for .venv and CI; setup.cfg states the ranges the code supports.
# Ray as cluster.yaml installs it on every node (the `default` extra: dashboard, job server).
PINS   := torch==2.14.1 torchvision==0.29.1 "ray[default,tune]==2.60.0"

.PHONY: demo test test-fast bench clean

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q $(PINS)
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	rm -rf demo/quickstart
	$(PY) -m gansweep.cli run sweeps/quickstart.yaml --storage demo --name quickstart
	$(PY) -m gansweep.cli report demo/quickstart

# The report test opens the HTML in headless Chromium; it skips (saying why) where none can be installed.
# The layering (.importlinter) is checked first. The judges' tests run again on the other kernel families torch picks from: their margins
# must hold on any CPU, not only on this one's (AVX-512, AVX2, or neither).
# Two workers, a test file each at a time (its module fixtures stay whole): on CI's 2 cores the
# serial suite kept a core idle a third of the time (Ray starting, drivers waiting on trials).
TEST_WORKERS ?= 2
test: $(VENV)/.installed
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium) || true
	$(VENV)/bin/lint-imports --no-cache --config .importlinter
	$(PY) -m pytest -q -ra -n $(TEST_WORKERS) --dist loadfile
	for cap in avx2 default; do \
	  echo "judge tests under ATEN_CPU_CAPABILITY=$$cap"; \
	  ATEN_CPU_CAPABILITY=$$cap $(PY) -m pytest -q -m "judge and not slow" -p no:cacheprovider || exit 1; \
	done

test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "not slow" -n $(TEST_WORKERS) --dist loadfile

bench: $(VENV)/.installed
	$(PY) -m benchmarks.run

clean:
	rm -rf demo runs .pytest_cache
