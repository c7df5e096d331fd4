"""``python -m nugen`` runs the command line."""

import sys

from nugen.cli import main

sys.exit(main())
