"""The short coverage-guided fuzz run of every decoder (atheris): the kept corpus
(tests/fuzz_corpus/, regressions included) and a few thousand mutations each. `make fuzz` runs
each for minutes and keeps what it finds."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.targets import TARGETS

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("atheris")


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_decoder_survives_a_short_fuzz_run(target: str) -> None:
    out = subprocess.run([sys.executable, "-m", "tests.fuzz.run", target, "--runs", "3000"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-3000:]
    runs = re.search(r"number_of_executed_units: (\d+)", out.stderr)
    assert runs and int(runs.group(1)) >= 3000
