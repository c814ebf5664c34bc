"""``python -m ltr.admin.create_local --workspace DIR --data-root DIR``: write ``ltr/admin/local.py``.

The only way the training settings file is ever created. Refuses to overwrite an existing file unless ``--force``
(which keeps a backup). ``LTR_<NAME>`` environment variables still override what the file says.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ltr.admin.environment import LTR_SCHEMA
from ltr.admin.local_settings import create_local_main


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and write the file; returns the process exit code."""
    return create_local_main(LTR_SCHEMA, argv)


if __name__ == "__main__":
    sys.exit(main())
