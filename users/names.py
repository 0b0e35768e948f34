"""Names for demo and benchmark people (`seed_demo`, `bench_seed`)."""

# fmt: off
FIRST_NAMES = [
    "Aarav", "Aditi", "Akash", "Ananya", "Arjun", "Diya", "Ishaan", "Kavya", "Meera", "Neha", "Nikhil",
    "Pooja", "Priya", "Rahul", "Riya", "Rohan", "Saanvi", "Sahil", "Shreya", "Tanvi", "Varun", "Vikram",
    "Zara", "Kabir", "Anika", "Dev", "Ira", "Manav", "Nisha", "Om", "Pari", "Reyansh", "Sara", "Tara", "Yash", "Aisha",
]
LAST_NAMES = [
    "Sharma", "Verma", "Patel", "Iyer", "Nair", "Reddy", "Gupta", "Mehta", "Das", "Khan", "Singh", "Bose",
    "Menon", "Pillai", "Joshi", "Kulkarni", "Chopra", "Banerjee", "Mishra", "Rao",
]
# fmt: on
