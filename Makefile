# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
AF3 := .venv/airflow-3/bin/python
AF2 := .venv/airflow-2/bin/python
LINT_PATHS := airflow_provider_twilio tests example_dags benchmarks scripts
# The older Airflow 3 lines run the unit tests plus the tests marked every_line; 3.1 adds the browser test.
LINES := 3.0 3.1 3.2
LINE_TESTS := not integration and not e2e or every_line
# Every suite: 3 is Airflow 3.3 and 2 is 2.11 (the full suite each), then the older lines.
SUITES := 3 2 $(LINES)

ENVS := env-3 env-2 $(LINES:%=env-%)

.PHONY: env $(ENVS) constraints lint test test-lines $(SUITES:%=test-%) $(SUITES:%=parallel-%) \
	$(SUITES:%=serial-%) browser demo demo-command demo-hitl bench dist clean

# One at a time: side by side they were no faster on two cores.
env: $(ENVS)

env-3:
	@scripts/bootstrap-env.sh airflow-3

env-2:
	@scripts/bootstrap-env.sh airflow-2

$(LINES:%=env-%): env-%:
	@scripts/bootstrap-env.sh airflow-$*

# Re-resolve and re-pin every environment (run after changing dependencies).
constraints:
	scripts/bootstrap-env.sh airflow-3 --refreeze
	scripts/bootstrap-env.sh airflow-2 --refreeze
	for line in $(LINES); do scripts/bootstrap-env.sh airflow-$$line --refreeze || exit 1; done

# The layers and no-cycles contracts (pyproject.toml, [tool.importlinter]; docs/architecture.md) are part of lint.
lint: env-3
	$(AF3) -m ruff check $(LINT_PATHS)
	$(AF3) -m ruff format --check $(LINT_PATHS)
	$(AF3) -m mypy
	PYTHONPATH=$(CURDIR) .venv/airflow-3/bin/lint-imports --no-cache

# Debian's Chromium for the connection-form test (never a downloaded browser).
browser:
	@scripts/ensure-chromium.sh

# Most tests wait on the emulator, Airflow subprocesses and timers, not on the CPU: each suite runs in
# $(WORKERS) pytest-xdist workers, and `make test` runs lint and the suites two at a time, longest first,
# each suite's environment built (if missing) just before it, beside the suite already running.
# Tests marked serial assert that nothing stalls an event loop, so they run afterwards, one suite after
# another with nothing beside them, in a pytest process that also runs the own_process tests (see the
# marker's comment in the test).
WORKERS ?= 4
SIDE_BY_SIDE ?= 2
test: env-3 browser
	$(MAKE) --no-print-directory -j$(SIDE_BY_SIDE) --keep-going --output-sync=target parallel-3 lint parallel-2 $(LINES:%=parallel-%)
	$(MAKE) --no-print-directory $(SUITES:%=serial-%)

# Each call: the python, then the marker expression to run.
ALL := serial or not serial
parallel = $(1) -m pytest tests -n $(WORKERS) -m "($(2)) and not serial and not own_process"
serial = $(1) -m pytest tests -m "($(2)) and (serial or own_process)"

# One suite on its own: test-3 (Airflow 3.3), test-2 (2.11), test-3.0, test-3.1, test-3.2, test-lines.
test-lines: $(LINES:%=test-%)
$(SUITES:%=test-%): test-%: parallel-% serial-%
	@true

MARKS_3 := $(ALL)
MARKS_2 := $(ALL)
MARKS_3.0 := $(LINE_TESTS)
MARKS_3.1 := $(LINE_TESTS) or browser
MARKS_3.2 := $(LINE_TESTS)
PYTHON_3 := $(AF3)
PYTHON_2 := $(AF2)
$(foreach line,$(LINES),$(eval PYTHON_$(line) := .venv/airflow-$(line)/bin/python))

parallel-3 parallel-3.1: browser
$(SUITES:%=parallel-%): parallel-%: env-%
	$(call parallel,$(PYTHON_$*),$(MARKS_$*))

$(SUITES:%=serial-%): serial-%: env-%
	$(call serial,$(PYTHON_$*),$(MARKS_$*))

# The approval conversation (dag.test()), then the SMS command one and Airflow's own approval answered
# by text with no public URL (both in real Airflow 3 processes).
demo: env-3
	$(AF3) scripts/demo.py
	$(AF3) scripts/demo_sms_command.py
	$(AF3) scripts/demo_hitl.py

demo-command: env-3
	$(AF3) scripts/demo_sms_command.py

demo-hitl: env-3
	$(AF3) scripts/demo_hitl.py

bench: env-3
	$(AF3) benchmarks/run_all.py

# Build the sdist, then the wheel from it, and check both as released (scripts/check_dist.py).
dist: env-3
	rm -rf dist
	.venv/tools/bin/uv build --out-dir dist
	$(AF3) scripts/check_dist.py dist

clean:
	rm -rf .venv .mypy_cache .ruff_cache dist
