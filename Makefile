# The two commands of the README. Each installs what it needs (scripts/bootstrap.sh) and is safe to run again.
.PHONY: run test setup bench clean

setup:
	@bash scripts/bootstrap.sh

run: setup
	@bash scripts/run_station.sh

test: setup
	@bash scripts/run_tests.sh

bench: setup
	@.venv/bin/python -m bench

clean:
	rm -rf out var .pytest_cache
