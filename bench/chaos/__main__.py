"""`python -m bench.chaos` (`make chaos`): see bench/chaos/cli.py and docs/chaos.md."""

import sys

from bench.chaos.cli import main

sys.exit(main())
