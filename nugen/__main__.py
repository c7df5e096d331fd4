"""``python -m nugen`` runs the command line."""

import os
import sys

from nugen.cli import main

status = main()
if status == 130:
    # Interrupted (Ctrl-C), already reported in one line and cleaned up. Under ``python -m``, CPython
    # ends a process in which a KeyboardInterrupt hit an import by killing itself with SIGINT (status
    # -2) even when the interrupt was caught; leave directly so that the status is 130 as documented.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)
sys.exit(status)
