"""The composition root: the `paperbot` command, its wiring, and starting one adapter.

``bot/__main__.py`` only hands over to ``main``; this package is the one place that
builds the database, the upstream clients, the facade and a scheduler, and gives them
to the front end being run.
"""

from adapters.cli.main import CLI, build_parser, export_target, fetch_days, fetch_sources, main
from adapters.cli.wiring import App, build_scheduler, open_app

__all__ = [
    "CLI",
    "App",
    "build_parser",
    "build_scheduler",
    "export_target",
    "fetch_days",
    "fetch_sources",
    "main",
    "open_app",
]
