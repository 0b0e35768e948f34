"""How passwords are stored: Argon2id (argon2-cffi, through Django's own Argon2PasswordHasher)
at OWASP's minimum for it, m = 19 MiB, t = 2, p = 1 (OWASP Password Storage Cheat Sheet).

Django's defaults for Argon2 (100 MiB, 8 lanes) cost far more memory per sign-in; PBKDF2 at
1,000,000 iterations cost about 250 ms of CPU per sign-in here (docs/PERFORMANCE.md). A
stored PBKDF2 hash still verifies, and is replaced by an Argon2id one at that person's next
sign-in (Django does this when the first hasher changes)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class WalletArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id, m = 19 MiB, t = 2, p = 1. Parameters live in each stored hash, so raising
    them later upgrades stored hashes at their next sign-in, as changing hashers does."""

    algorithm = "argon2"  # the same identifier as Django's: stored hashes stay readable
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
