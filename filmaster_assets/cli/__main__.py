"""``python -m filmaster_assets.cli``: the same command as the ``filmaster`` script."""

import sys

from filmaster_assets.cli import main

sys.exit(main())
