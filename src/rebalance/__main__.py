"""`python -m rebalance`: the command line, as the `rebalance` command."""

from rebalance.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
