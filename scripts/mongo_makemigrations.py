"""Regenerate mongo_migrations/ (the MongoDB migrations of the contrib apps and ours)
without a MongoDB server: `makemigrations` only needs one to compare applied history,
which does not exist for a fresh set. Run after changing a model:

    .venv/bin/python scripts/mongo_makemigrations.py
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["DATABASE_URL"] = "mongodb://127.0.0.1:1/wallet?serverSelectionTimeoutMS=1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paytm_site.settings")

import django
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

django.setup()
MigrationLoader.check_consistent_history = lambda self, connection: None
call_command("makemigrations", "admin", "auth", "contenttypes", "users", "accounts", *sys.argv[1:])
