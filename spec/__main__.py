import sys

from spec.tools.cli import main

sys.exit(main())
