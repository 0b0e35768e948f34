import random

from django.core.management.base import BaseCommand

from accounts.exceptions import InsufficientBalance
from accounts.services import transfer_create
from users.models import User
from users.names import FIRST_NAMES, LAST_NAMES
from users.services import user_signup

DEMO_LAST_NAMES = LAST_NAMES[:12]
DEMO_PASSWORD = "demo-wallet-2024"
DEMO_DOMAIN = "demo.example.com"


class Command(BaseCommand):
    help = "Create demo people (with wallets and a few payments) so there is someone to find and pay."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=len(FIRST_NAMES))
        parser.add_argument("--seed", type=int, default=7, help="Same seed, same people.")

    def handle(self, *args, count, seed, **options):
        rng = random.Random(seed)
        people = []
        for index in range(count):
            first = FIRST_NAMES[index % len(FIRST_NAMES)]
            last = DEMO_LAST_NAMES[rng.randrange(len(DEMO_LAST_NAMES))]
            email = f"{first.lower()}.{last.lower()}{index}@{DEMO_DOMAIN}"
            person = User.objects.filter(email=email).first()
            if person is None:
                person = user_signup(email=email, first_name=first, last_name=last, password=DEMO_PASSWORD)
            people.append(person)
        for number in range(count):
            sender, recipient = rng.sample(people, 2)
            try:
                # The key makes a second run of this command replay instead of paying again.
                transfer_create(
                    sender=sender,
                    recipient_id=str(recipient.public_id),
                    amount=rng.randrange(100, 50_000),
                    idempotency_key=f"seed-{seed}-{number}",
                )
            except InsufficientBalance:
                continue  # a small starting balance; the demo does not need every payment
        self.stdout.write(
            self.style.SUCCESS(f"{len(people)} demo people ready; sign in as e.g. {people[0].email} / {DEMO_PASSWORD}")
        )
