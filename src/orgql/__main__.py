"""``python -m orgql``: the same as the ``orgql`` command."""

import sys

from orgql.cli import main

sys.exit(main())
