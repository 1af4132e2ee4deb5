"""``python -m tftrace``: the same as the ``tftrace`` command."""
import sys

from tftrace.cli import main

if __name__ == "__main__":
    sys.exit(main())
