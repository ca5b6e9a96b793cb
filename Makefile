# The two commands of the README. Each installs what it needs (scripts/bootstrap.sh) and is safe to run again.
.PHONY: run test setup bench docs clean

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

clean:
	rm -rf out var site .pytest_cache
