"""``python -m hindsight`` runs the command line."""

import sys

from hindsight.cli import main

sys.exit(main())
