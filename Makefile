# The two commands of the README. Each installs what it needs (scripts/bootstrap.sh) and is safe to run again.
.PHONY: run test setup bench docs clean fuzz crash-matrix soak

setup:
	@bash scripts/bootstrap.sh

run: setup
	@bash scripts/run_station.sh

test: setup
	@bash scripts/run_tests.sh

bench: setup
	@.venv/bin/python -m bench

# The documentation as a browsable site in site/ (open site/index.html); the ADR index is
# regenerated first so it lists every record.
docs: setup
	@.venv/bin/python scripts/adr_index.py
	@NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir site

# Coverage-guided fuzzing of every decoder (tests/fuzz/targets.py), FUZZ_SECONDS each; new inputs
# are kept in tests/fuzz_corpus/ (commit them: they are the next run's start and regressions).
FUZZ_SECONDS ?= 120
fuzz: setup
	@for t in $$(.venv/bin/python -c "from tests.fuzz.targets import TARGETS; print(' '.join(sorted(TARGETS)))"); do \
		echo "== $$t"; .venv/bin/python -m tests.fuzz.run $$t --seconds $(FUZZ_SECONDS) --keep 2>&1 \
		| grep -E "number_of_executed_units|new_units_added|ERROR|Uncaught" || exit 1; done

# kill -9 at every SQL statement of the station workload, then the invariants (tests/crash/)
crash-matrix: setup
	@CRASH_MATRIX=full .venv/bin/python -m pytest -q -s tests/crash/test_crash_matrix.py

# many visits with every fault and kill -9 restarts, then the invariants (docs/operations/soak.md)
SOAK_VISITS ?= 100000
soak: setup
	@.venv/bin/python -m kiosk soak --visits $(SOAK_VISITS) --seed 1 --faults --progress --json

clean:
	rm -rf out var site .pytest_cache
