"""``python -m multis2s``: the command line."""

from multis2s.cli import run_cli

run_cli()
