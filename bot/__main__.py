"""`python -m bot`: the same as the `paperbot` command, whose wiring lives in adapters.cli."""

import sys

from adapters.cli import main

sys.exit(main())
