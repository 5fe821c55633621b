"""The `paperbot` command: its arguments, and starting one adapter.

``bot/__main__.py`` only hands over to ``main``; the core's composition root
(``bot.app``) builds the database, the upstream clients, the facade and a scheduler,
and this package gives them to the front end being run.
"""

from adapters.cli.main import CLI, build_parser, export_target, fetch_days, fetch_sources, main

__all__ = [
    "CLI",
    "build_parser",
    "export_target",
    "fetch_days",
    "fetch_sources",
    "main",
]
