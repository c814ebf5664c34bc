"""``python -m ltr.admin.create_local --workspace DIR --data-root DIR``: write ``ltr/admin/local.py``.

The only way the training settings file is ever created. Refuses to overwrite an existing file unless ``--force``
(which keeps a backup). ``LTR_<NAME>`` environment variables still override what the file says.
"""

from __future__ import annotations

import sys

from ltr.admin.environment import LTR_SCHEMA
from ltr.admin.local_settings import create_local_command

main = create_local_command(LTR_SCHEMA)

if __name__ == "__main__":
    sys.exit(main())
