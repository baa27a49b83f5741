"""Fake free text: names, emails, show titles, ticket subjects/descriptions, comments.

Text is a pure function of a record's number and the seed (hashed choices from
small word lists), so it is stable across a record's versions and costs no
memory until a file is written. It deliberately contains what real exports
contain: commas and double quotes (CSV quoting), non-ASCII letters and emoji
(UTF-8), newlines (JSON escaping) and fake PII (``@example.*`` emails,
``555-01xx`` phone numbers) that must never reach a mart.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.generator.rand import hash_pick, hash_unit
from dagster_project.generator.strings import integers, join, pick, where

# Parallel lists: display spelling and ASCII spelling (for emails).
FIRST = tuple(
    [
        "James",
        "Maria",
        "Wei",
        "Aisha",
        "Lucas",
        "Sofia",
        "Mateo",
        "Chloé",
        "José",
        "Zoë",
        "Łukasz",
        "Priya",
        "Kenji",
        "Olivia",
        "Noah",
        "Amara",
        "Ethan",
        "Ingrid",
        "Omar",
        "Mia",
        "Diego",
        "Hannah",
        "Ravi",
        "Lena",
        "Tomás",
        "Grace",
        "Malik",
        "Yuki",
        "Sean",
        "Fatima",
        "Björn",
        "Ava",
    ]
)
FIRST_ASCII = tuple(
    [
        "james",
        "maria",
        "wei",
        "aisha",
        "lucas",
        "sofia",
        "mateo",
        "chloe",
        "jose",
        "zoe",
        "lukasz",
        "priya",
        "kenji",
        "olivia",
        "noah",
        "amara",
        "ethan",
        "ingrid",
        "omar",
        "mia",
        "diego",
        "hannah",
        "ravi",
        "lena",
        "tomas",
        "grace",
        "malik",
        "yuki",
        "sean",
        "fatima",
        "bjorn",
        "ava",
    ]
)
LAST = tuple(
    [
        "Smith",
        "Garcia",
        "Chen",
        "Okafor",
        "Müller",
        "Rossi",
        "Nguyen",
        "Kowalski",
        "Johnson",
        "Silva",
        "Tanaka",
        "O'Brien",
        "Patel",
        "Dubois",
        "Hernández",
        "Kim",
        "Brown",
        "Ivanova",
        "Cohen",
        "Lopez",
        "Andersson",
        "Walker",
    ]
)
LAST_ASCII = tuple(
    [
        "smith",
        "garcia",
        "chen",
        "okafor",
        "muller",
        "rossi",
        "nguyen",
        "kowalski",
        "johnson",
        "silva",
        "tanaka",
        "obrien",
        "patel",
        "dubois",
        "hernandez",
        "kim",
        "brown",
        "ivanova",
        "cohen",
        "lopez",
        "andersson",
        "walker",
    ]
)
HANDLE_A = tuple(
    ["card", "slab", "sneaker", "grail", "vintage", "mint", "retro", "hobby", "rip", "chase", "holo", "drip"]
)
HANDLE_B = tuple(
    ["king", "hunter", "head", "vault", "queen", "breaks", "flips", "den", "shop", "collects", "pulls", "fan"]
)
NICKNAMES = ("The Card Guy", "Slab Queen", "Kicks", "Big Hits", "Mint")
DOMAINS = ("example.com", "example.net", "example.org", "mail.example")

TITLE_OPEN = ("", "", "", "🔥 ", "$1 Start: ", "LIVE: ", "Friday Night ", "Late Night ")
TITLE_THINGS = (
    ("Pokémon Booster Breaks", "One Piece, Lorcana & Yu-Gi-Oh", "Vintage WOTC Binder", "Japanese Promo Packs"),
    ("NBA Prizm Hobby Breaks", "PSA 10 Rookies", "NFL Mystery Slabs", "Topps Chrome, Bowman & More"),
    ("Jordan 1 Restock", "Yeezy, Dunks & New Balance", "Deadstock Grails", "Size 10 Sneaker Drop"),
    ("Designer Bags Authenticated", "Vintage Rolex & Omega", "Hermès, Chanel & LV", "Luxury Accessories"),
    ("Supreme Box Logo Drop", "Vintage Band Tees", "Streetwear Mystery Boxes", "Hoodies, Caps & More"),
    ("Golden Age Key Issues", "CGC 9.8 Moderns", "Manga First Prints", "Spider-Man Run"),
    ("Morgan Silver Dollars", "Graded Gold Coins", "World Coin Lots", "Proof Sets"),
    ("Vintage Star Wars Figures", "LEGO Retired Sets", "Funko Grails", "Hot Wheels Treasure Hunts"),
    ("Retro Consoles Tested", "Cameras & Lenses", "Headphones Blowout", "Vintage Audio"),
    ("Sealed N64 & SNES", "Graded Video Games", "Retro Cartridge Lots", "Collector's Editions"),
    ("Rare Monstera Cuttings", "Hoya & Philodendron", "Succulent Mystery Boxes", "Carnivorous Plants"),
    ("Mystery Auctions", "Everything Must Go", "Collectibles Grab Bag", "Estate Finds"),
)
TITLE_CLOSE = ("", "", " - Giveaways Every 30 Min", ", Free Shipping", ' "No Reserve"', " | Part 2", " (Charity Night)")

# Per queue, in contract order (trust_safety, fraud, appeals, general): (subject, body) pairs.
# fmt: off
TICKET_TEXT = (
    (("Reporting a seller for counterfeit items", "Tonight's host is selling fakes, the stitching is all wrong."),
     ("Harassment in live chat", "Someone in the chat keeps sending me abusive messages, please do something."),
     ("Seller asked me to pay off-platform", 'The host told everyone to "DM for better prices" and pay by bank.'),
     ("Prohibited item listed", "This listing is for an item that isn't allowed on the platform."),
     ("Suspicious seller during a show", "The seller keeps bidding on his own items with a second account, I'm sure.")),
    (("Unauthorized charge on my card", "There is a charge for {order} that I never made."),
     ("Was my account hacked?", "I got a login alert from another country and then an order {order} I didn't place."),
     ("Chargeback question for {order}", "My bank says a chargeback was filed for {order}, I didn't file it."),
     ("Payment taken twice", "Money left my wallet twice for one purchase.")),
    (("Appeal of enforcement action {action}", "I don't agree with action {action}, I followed the rules."),
     ("Please review my suspension", "My account was suspended ({action}) but the item was authentic, I have proof."),
     ("Requesting a second review", "Please take another look at {action}. It was a misunderstanding with a buyer."),
     ("Listing removed unfairly", "I think the automated system flagged me by mistake ({action}).")),
    (("Where is my order?", "My order {order} still hasn't arrived and tracking hasn't moved in days."),
     ("Item arrived damaged", "The item from {order} showed up broken, the box was crushed."),
     ("Refund request for {order}", "I was charged but the seller cancelled {order}, when do I get my money back?"),
     ("Can't log in to my account", "I can't get into my account, the reset email never comes."),
     ("Seller not responding", "I've messaged the seller about {order} three times and heard nothing.")),
)
# fmt: on
SUBJECTS = tuple(tuple(subject for subject, _ in queue) for queue in TICKET_TEXT)
BODIES = tuple(tuple(body for _, body in queue) for queue in TICKET_TEXT)
GREETINGS = ("Hi,", "Hello team,", "Hey there", "Good morning,", "To whom it may concern,")
SIGNOFFS = ("Thanks", "Thank you,", "Regards,", "Cheers", "Best,")

# Rating comments by mood: scores 1-2, 3, 4-5.
COMMENTS = (
    ("Nobody actually read my ticket.", "Took forever and the problem isn't fixed.", "Useless, copy-paste answers.",
     "Still waiting for my refund!!"),
    ("It was ok, a bit slow.", "Fine, but I had to explain it twice.", "Got an answer eventually."),
    ("Super fast, thanks!", "Great help, problem solved.", "Very kind agent, thank you", "Quick and easy, 10/10"),
)  # fmt: skip


def _person(nums: np.ndarray, salt: int) -> tuple[np.ndarray, np.ndarray]:
    return hash_pick(nums, salt, len(FIRST)), hash_pick(nums, salt + 1, len(LAST))


def _digits(nums: np.ndarray, salt: int, modulo: int) -> pa.Array:
    return integers(hash_pick(nums, salt, modulo))


def user_display_names(nums: np.ndarray, seed: int) -> pa.Array:
    first, last = _person(nums, seed)
    style = hash_unit(nums, seed + 2)
    handle = join(
        pick(HANDLE_A, hash_pick(nums, seed + 3, len(HANDLE_A))),
        pick(HANDLE_B, hash_pick(nums, seed + 4, len(HANDLE_B))),
        "_",
        _digits(nums, seed + 5, 1000),
    )
    full = join(pick(FIRST, first), " ", pick(LAST, last))
    initial = join(pick(FIRST, first), " ", pick(tuple(n[0] for n in LAST), last), ".")
    comma = join(pick(LAST, last), ", ", pick(FIRST, first))
    nick = join(
        pick(FIRST, first), ' "', pick(NICKNAMES, hash_pick(nums, seed + 6, len(NICKNAMES))), '" ', pick(LAST, last)
    )
    out = where(style < 0.55, handle, full)
    out = where((style >= 0.85) & (style < 0.95), initial, out)
    out = where((style >= 0.95) & (style < 0.98), comma, out)
    return where(style >= 0.98, nick, out)


def user_emails(nums: np.ndarray, seed: int) -> pa.Array:
    first, last = _person(nums, seed)
    style = hash_unit(nums, seed + 2)
    domain = pick(DOMAINS, hash_pick(nums, seed + 7, len(DOMAINS)))
    handle = join(
        pick(HANDLE_A, hash_pick(nums, seed + 3, len(HANDLE_A))),
        pick(HANDLE_B, hash_pick(nums, seed + 4, len(HANDLE_B))),
        _digits(nums, seed + 5, 1000),
    )
    named = join(pick(FIRST_ASCII, first), ".", pick(LAST_ASCII, last), integers(nums % 997))
    local = where(style < 0.55, handle, named)
    return join(local, "@", domain)


def agent_display_names(nums: np.ndarray, seed: int) -> pa.Array:
    first, last = _person(nums, seed + 100)
    return join(pick(FIRST, first), " ", pick(LAST, last))


def agent_emails(nums: np.ndarray, seed: int) -> pa.Array:
    first, last = _person(nums, seed + 100)
    return join(pick(FIRST_ASCII, first), ".", pick(LAST_ASCII, last), integers(nums), "@support.example.com")


def show_titles(nums: np.ndarray, categories: np.ndarray, seed: int) -> pa.Array:
    things = np.array(TITLE_THINGS, dtype=object)
    thing_idx = hash_pick(nums, seed + 20, things.shape[1])
    flat = [t for row in TITLE_THINGS for t in row]
    thing = pick(flat, categories.astype(np.int64) * things.shape[1] + thing_idx)
    return join(
        pick(TITLE_OPEN, hash_pick(nums, seed + 21, len(TITLE_OPEN))),
        thing,
        pick(TITLE_CLOSE, hash_pick(nums, seed + 22, len(TITLE_CLOSE))),
    )


def _template_codes(
    nums: np.ndarray, groups: np.ndarray, table: tuple[tuple[str, ...], ...], salt: int
) -> tuple[list[str], np.ndarray]:
    """Flatten a per-group template table and pick one template per row (stable per record)."""
    width = max(len(row) for row in table)
    flat = [row[i % len(row)] for row in table for i in range(width)]
    return flat, groups.astype(np.int64) * width + hash_pick(nums, salt, width)


def _render(
    nums: np.ndarray, templates: list[str], codes: np.ndarray, order_ids: pa.Array, action_ids: pa.Array
) -> pa.Array:
    """Fill ``{order}`` / ``{action}`` placeholders (at most one per template) row by row.

    Without a related record the customer quotes a number from memory (``#48213``).
    """
    token = np.array([1 if "{order}" in t else 2 if "{action}" in t else 0 for t in templates])[codes]
    before = [t.split("{order}")[0].split("{action}")[0] for t in templates]
    after = [t.split("}", 1)[1] if "{" in t else "" for t in templates]
    quoted = join("#", integers(10_000 + hash_pick(nums, 77, 90_000)))
    order_ids = pc.coalesce(order_ids, quoted)
    action_ids = pc.coalesce(action_ids, quoted)
    out = pick(templates, codes)
    out = where(token == 1, join(pick(before, codes), order_ids, pick(after, codes)), out)
    return where(token == 2, join(pick(before, codes), action_ids, pick(after, codes)), out)


def ticket_subjects(
    nums: np.ndarray, queues: np.ndarray, order_ids: pa.Array, action_ids: pa.Array, seed: int
) -> pa.Array:
    templates, codes = _template_codes(nums, queues, SUBJECTS, seed + 30)
    return _render(nums, templates, codes, order_ids, action_ids)


def ticket_descriptions(
    nums: np.ndarray, queues: np.ndarray, order_ids: pa.Array, action_ids: pa.Array, emails: pa.Array, seed: int
) -> pa.Array:
    templates, codes = _template_codes(nums, queues, BODIES, seed + 30)
    body = _render(nums, templates, codes, order_ids, action_ids)
    contact_kind = hash_unit(nums, seed + 32)
    phone = join("+1-555-01", integers(10 + hash_pick(nums, seed + 33, 90)))
    contact = where(contact_kind < 0.3, join(" You can reach me at ", emails, "."), None)
    contact = where((contact_kind >= 0.3) & (contact_kind < 0.45), join(" Call me at ", phone, " anytime."), contact)
    first = pick(FIRST, _person(nums, seed)[0])
    signoff = join("\n\n", pick(SIGNOFFS, hash_pick(nums, seed + 34, len(SIGNOFFS))), "\n", first)
    return join(
        pick(GREETINGS, hash_pick(nums, seed + 35, len(GREETINGS))), "\n\n", body, contact, signoff, skip_nulls=True
    )


def rating_comments(
    nums: np.ndarray, scores: np.ndarray, has_comment: np.ndarray, emails: pa.Array, seed: int
) -> pa.Array:
    mood = np.where(scores <= 2, 0, np.where(scores == 3, 1, 2))
    templates, codes = _template_codes(nums, mood, COMMENTS, seed + 40)
    text = pick(templates, codes)
    with_email = hash_unit(nums, seed + 41) < 0.08
    text = where(with_email, join(text, " Email me at ", emails), text)
    return where(has_comment & (scores > 0), text, None)
