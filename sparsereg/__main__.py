"""``python -m sparsereg``: the ``sparsereg`` command line (see ``sparsereg.cli``)."""

import sys

from .cli import main

sys.exit(main())
