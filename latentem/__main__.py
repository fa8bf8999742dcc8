"""``python -m latentem`` runs the command line."""

import sys

from latentem.cli import main

sys.exit(main())
