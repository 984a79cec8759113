"""``python -m hindsight`` runs the command line."""

import sys

from hindsight.cli.main import main

sys.exit(main())
