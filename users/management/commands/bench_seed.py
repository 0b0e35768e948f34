import random
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand

from accounts.services import accounts_open_bulk
from users.models import User
from users.names import FIRST_NAMES, LAST_NAMES
from users.tokens import tokens_for

# The names every benchmark so far was measured with (docs/PERFORMANCE.md): keep them.
FIRST = FIRST_NAMES[:22]
LAST = LAST_NAMES
BENCH_PASSWORD = "bench-password-not-secret"
BATCH = 10_000


class Command(BaseCommand):
    help = "Create many people with wallets (for benchmarks) and write access tokens for some of them."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=100_000)
        parser.add_argument("--tokens", type=int, default=10_000, help="How many people get a token line.")
        parser.add_argument("--out", type=Path, required=True, help="File of 'token userId email' lines.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, users, tokens, out, seed, **options):
        rng = random.Random(seed)
        password = make_password(BENCH_PASSWORD)  # one slow hash, shared by every bench user
        lines = []
        for start in range(0, users, BATCH):
            people = [
                User(
                    email=f"bench{index}@bench.example.com",
                    first_name=rng.choice(FIRST),
                    last_name=f"{rng.choice(LAST)}{rng.choice(['', 'a', 'an', 'ji', 'o'])}",
                    password=password,
                )
                for index in range(start, min(start + BATCH, users))
            ]
            accounts_open_bulk(users=people)
            for person in people[: max(0, tokens - len(lines))]:
                lines.append(f"{tokens_for(person)['token']} {person.public_id} {person.email}")
        out.write_text("\n".join(lines) + "\n")
        self.stdout.write(f"{users} people created, {len(lines)} tokens in {out}")
