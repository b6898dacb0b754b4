"""``python -m skgd``: see ``skgd._cli``."""

from ._cli import main

raise SystemExit(main())
