"""``python -m route.cli``: the ``paperroute`` command."""

import sys

from route.cli.main import main

sys.exit(main())
