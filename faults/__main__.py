"""`python -m faults [--quick] [--rounds N] [--launcher run.py|direct] [--only FAULT …] [--keep]`:
the fault campaign (README, "Fault campaign"). Exit status 0 only when every check passed."""
import argparse
import sys

from faults.campaign import Settings, run
from faults.faults import FAULTS, FULL, QUICK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="the bounded CI form: one round of " + ", ".join(QUICK))
    parser.add_argument("--rounds", type=int, default=None, help="rounds of every fault (full: 2, quick: 1)")
    parser.add_argument("--only", nargs="+", choices=sorted(FAULTS), help="these faults only")
    parser.add_argument("--launcher", choices=("run.py", "direct"), default="run.py",
                        help="start the app through scripts/run.py (default) or its three processes directly")
    parser.add_argument("--bound", type=float, default=60.0,
                        help="seconds for stale ratings and open payout batches to be dealt with (default 60)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = parser.parse_args(argv)
    faults = args.only or (QUICK if args.quick else FULL)
    rounds = args.rounds or (1 if args.quick else 2)
    settings = Settings(faults=faults, rounds=rounds, bound=args.bound, launcher=args.launcher, keep=args.keep,
                        load_before=3.0 if args.quick else 4.0, load_after=1.0 if args.quick else 2.0,
                        brands=2 if args.quick else 4, providers=4 if args.quick else 6)
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
