# The README's two set-up commands: `make demo` and `make test`.
# torch==2.13.0 is installed first: on a CPU machine that pin resolves to the
# small CPU build; the package's own range (torch>=2.3) is then already met.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH ?= torch==2.13.0

.PHONY: demo test install install-dev clean

$(PY):
	python3 -m venv $(VENV)

$(VENV)/.installed: $(PY) pyproject.toml
	$(PIP) install --quiet "$(TORCH)"
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

demo: install
	$(VENV)/bin/aedetect demo --out demo-output

test: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) demo-output
