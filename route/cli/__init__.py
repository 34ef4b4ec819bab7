"""The ``paperroute`` command line: parser and dispatch in :mod:`route.cli.main`, shared steps in
:mod:`route.cli.common`, and the commands by area."""

from route.cli.main import main as main

__all__ = ["main"]
