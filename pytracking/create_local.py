"""``python -m pytracking.create_local --workspace DIR --data-root DIR``: write ``pytracking/evaluation/local.py``.

The only way the tracking settings file is ever created. Refuses to overwrite an existing file unless ``--force``
(which keeps a backup). ``PYTRACKING_<NAME>`` environment variables still override what the file says.
"""

from __future__ import annotations

import sys

from ltr.admin.local_settings import create_local_command
from pytracking.evaluation.environment import PYTRACKING_SCHEMA

main = create_local_command(PYTRACKING_SCHEMA)

if __name__ == "__main__":
    sys.exit(main())
