"""The touch screen driven with real touches on an offscreen Kivy window over the simulated
station: apply (Chinese), collect by code (English, elder mode), staff deposit, the idle timeout
(countdown, beep, more time, live language switch, data cleared, back to the attract screen),
technician mode, and the layout sweep (every template, both languages, elder mode: no text
overflows its box, no missing glyphs, every touch target meets the size rule).

Each case runs in its own process (`tests.ui.driver`): Kivy has one Window per process. The
module starts every case at once on a small pool (the cases spend much of their time waiting on
simulated devices), and each test waits for its own. Screenshots: `out/test-screens/<case>/`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "out" / "test-screens"


CASES = ["layout_all", "technician", "apply_zh", "deposit_zh", "idle_timeout", "collect_en_elder"]
PARALLEL = 3


@pytest.fixture(scope="module")
def case_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Future]:
    pool = ThreadPoolExecutor(PARALLEL)
    futures = {c: pool.submit(_run, c, tmp_path_factory.mktemp(c)) for c in CASES}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def _run(case: str, tmp_path: Path, timeout: float = 400.0) -> tuple[subprocess.CompletedProcess | None, Path]:
    out = tmp_path / "out"  # private: another test run on the same checkout must not see it
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "SDL_AUDIODRIVER": "dummy", "KIVY_NO_ARGS": "1", "KIVY_USE_DEFAULTCONFIG": "1",
           "KIVY_NO_CONSOLELOG": "1", "KIVY_HOME": str(tmp_path / "kivy-home"), "PYTHONPATH": str(ROOT)}
    env.pop("DISPLAY", None)
    proc = subprocess.run([sys.executable, "-m", "tests.ui.driver", case, str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    try:  # keep the screenshots for people to look at (best effort: a parallel run may be copying too)
        keep = OUT / case
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(out, keep, dirs_exist_ok=True)
    except OSError:
        pass
    return proc, out


def run_case(case: str, runs: dict[str, Future]) -> dict:
    proc, out = runs[case].result()
    result_file = out / "result.json"
    if not result_file.exists():
        pytest.fail(f"{case}: no result (exit {proc.returncode})\n{proc.stderr[-3000:]}")
    result = json.loads(result_file.read_text())
    for shot in result["shots"]:
        png = out / shot
        assert png.stat().st_size > 10_000, f"{shot} looks empty"
    return result


@pytest.mark.ui
@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("case", ["apply_zh", "collect_en_elder", "deposit_zh", "idle_timeout", "technician"])
def test_driven_by_touch(case: str, case_runs: dict[str, Future]) -> None:
    result = run_case(case, case_runs)
    assert result["ok"], f"{case}:\n" + "\n".join(result["failures"])
    assert result["shots"], "the case saved its screenshots"


@pytest.mark.ui
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_layout_every_template_both_languages_and_elder_mode(case_runs: dict[str, Future]) -> None:
    result = run_case("layout_all", case_runs)
    assert result["info"].get("checked", 0) >= 4 * 23, result["info"]
    assert result["ok"], "layout problems:\n" + "\n".join(result["failures"][:80])
