"""The ``ektp`` command: Django's management commands under one name.

``ektp migrate``, ``ektp regions load``, ``ektp demo``, ``ektp serve``, ``ektp dedup run`` ...
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektp.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    execute_from_command_line(["ektp", *args])


if __name__ == "__main__":
    main()
