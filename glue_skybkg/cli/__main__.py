"""``python -m glue_skybkg.cli``: the ``skybkg`` command."""

import sys

from . import main

sys.exit(main())
