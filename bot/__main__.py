"""`python -m bot`: the same as the `paperbot` command, whose arguments live in adapters.cli."""

import sys

from adapters.cli import main

sys.exit(main())
