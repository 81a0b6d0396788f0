#!/usr/bin/env python
import os
import secrets
import sys

# Commands that only read the code never sign anything, so they need no
# SECRET_KEY: `makemigrations --check` and `makemessages` must run on a
# checkout with an empty environment. Every other command (check, migrate,
# qcluster, runserver) keeps the strict rule in settings.py.
CODE_ONLY_COMMANDS = {"makemigrations", "makemessages", "showmigrations", "sqlmigrate", "help"}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eserviceverkstad.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command in CODE_ONLY_COMMANDS and not os.environ.get("SECRET_KEY"):
        # Random and thrown away with the process: nothing can be signed with it.
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
