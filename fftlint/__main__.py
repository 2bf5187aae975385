"""``python -m fftlint`` runs the command line."""

import sys

from fftlint.cli import main

sys.exit(main())
