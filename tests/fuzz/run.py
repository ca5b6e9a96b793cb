"""Coverage-guided fuzzing (atheris / libFuzzer) of one decoder of `tests/fuzz/targets.py`.

    python -m tests.fuzz.run TARGET [--runs N] [--seconds S] [--keep]

Starts from the kept corpus `tests/fuzz_corpus/TARGET/`. With `--keep` new interesting inputs are
written there (the long `make fuzz` run); otherwise into a temporary directory (the short run in the
tests). libFuzzer's final statistics (`stat::number_of_executed_units: N`) go to stderr. A crash (an
exception other than the decoder's own error) makes libFuzzer exit non-zero and save the input as
crash-* in the temporary directory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz_corpus"

with atheris.instrument_imports(include=["kiosk", "locker_firmware_bridge"]):
    from tests.fuzz.targets import TARGETS


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.fuzz.run")
    p.add_argument("target", choices=sorted(TARGETS))
    p.add_argument("--runs", type=int, default=2000)
    p.add_argument("--seconds", type=int, default=0, help="stop after this long (0: --runs decides)")
    p.add_argument("--keep", action="store_true", help="write new corpus entries into tests/fuzz_corpus/")
    args = p.parse_args(argv)
    target = TARGETS[args.target]
    seeds = CORPUS / args.target
    seeds.mkdir(parents=True, exist_ok=True)
    out = seeds if args.keep else Path(tempfile.mkdtemp(prefix=f"fuzz-{args.target}-"))
    # libFuzzer's memory limit reads the peak RSS (getrusage), which Linux carries across execve:
    # started from a big parent (a long pytest session) the run would begin "over" 2 GB. The limit
    # is the default 2 GB above whatever peak this process started with.
    inherited_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    flags = [sys.argv[0], str(out)] + ([str(seeds)] if out != seeds else []) + [
        f"-runs={args.runs if not args.seconds else -1}", "-max_len=4096", "-print_final_stats=1",
        f"-rss_limit_mb={inherited_mb + 2048}", f"-artifact_prefix={tempfile.gettempdir()}/fuzz-{args.target}-"]
    if args.seconds:
        flags.append(f"-max_total_time={args.seconds}")
    atheris.Setup(flags, target)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
