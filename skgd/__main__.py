"""``python -m skgd``: see ``skgd._cli``."""

from ._cli import console

raise SystemExit(console())
