"""``python -m posture`` runs the command line."""

import sys

from posture.cli import main

sys.exit(main())
