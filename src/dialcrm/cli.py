"""The `dialcrm` command: `simulate` runs without Django; everything else is a manage.py command."""

from __future__ import annotations

import os
import sys

# Commands spelt with a hyphen on the command line, as the documentation writes them.
COMMAND_ALIASES = {"import-leads": "import_leads", "asterisk-endpoints": "asterisk_endpoints"}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "simulate":
        # The simulator is pure Python: no settings, no database.
        from dialcrm.dialer.core.cli import main as simulate_main

        return simulate_main(args[1:])
    args[:1] = [COMMAND_ALIASES.get(args[0], args[0])] if args else []
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialcrm.settings")
    from django.core.management import execute_from_command_line

    from dialcrm.env import ConfigurationError

    try:
        execute_from_command_line(["dialcrm", *args])
    except ConfigurationError as error:
        print(f"dialcrm: configuration error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
