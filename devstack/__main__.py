"""`python -m devstack ...` is the same as `v360 ...`."""

import sys

from devstack.cli import main

if __name__ == "__main__":
    sys.exit(main())
