"""`make bench`: measures the running system by commands anyone can run (see bench/README.md)."""

import sys

from bench.cli import main

sys.exit(main())
