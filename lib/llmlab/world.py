"""TinyWorld: a seeded, fictional small world from which every data set of the course is generated.

A :class:`World` built from a seed holds people, towns, shops, products and events. Data *families*
(``pretrain``, ``icl``, ``dialogsum``, ``reviews``, ``translation``, ``facts``, ``domain``,
``instructions``) are registered with :func:`family` and turn the world into JSONL rows::

    @family("dialogsum")
    def gen(world, rng) -> dict[str, list[dict]]:   # split name -> rows
        ...

Each family draws from its own ``random.Random`` seeded by a stable hash of (seed, family name), so
adding a family never changes another family's bytes. Everything is standard library only and
byte-for-byte reproducible.

Command line::

    python -m llmlab.world build [--out DIR]   # write data/<family>/<split>.jsonl + manifest.json
    python -m llmlab.world check               # regenerate and compare with data/ (exit 1 if stale)
    python -m llmlab.world stats               # rows per split, distinct words
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

SEED = 1234
VERSION = "1"
SPLITS = ("train", "validation", "test")
# rows per split of each family (the main knob on the size of data/)
SIZES = {
    "pretrain": {"train": 6000, "validation": 300},
    "icl": {"train": 3000, "validation": 150},
    "dialogsum": {"train": 4000, "validation": 200, "test": 200},
    "reviews": {"train": 4000, "validation": 200, "test": 200},
    "translation": {"train": 4000, "validation": 200, "test": 200},
    "facts": {"train": 1500, "validation": 150, "test": 150},
    "domain": {"train": 2000, "validation": 150, "test": 150},
    "instructions": {"train": 6000, "validation": 200, "test": 200},
}
BUILD_HINT = "python -m llmlab.world build"


# ---- determinism helpers ---------------------------------------------------------------------
def stable_seed(*parts: object) -> int:
    """A 64-bit seed from a SHA-256 of the parts (never Python's salted ``hash()``)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def dump_rows(rows: Iterable[dict]) -> bytes:
    """The canonical JSONL bytes of a split: sorted keys, UTF-8, one object per line."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode("utf-8")


# ---- small text helpers ----------------------------------------------------------------------
def an(phrase: str) -> str:
    """``"an owl"``, ``"a kettle"``."""
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def plural(noun: str) -> str:
    """Plural of a (possibly multi-word) noun phrase: ``jar of honey`` -> ``jars of honey``."""
    if " of " in noun:
        head, rest = noun.split(" of ", 1)
        return plural(head) + " of " + rest
    words = noun.split(" ")
    last = words[-1]
    irregular = {"knife": "knives", "fish": "fish", "child": "children", "man": "men",
                 "woman": "women", "loaf": "loaves", "scarf": "scarves", "shelf": "shelves",
                 "goose": "geese", "mouse": "mice", "sheep": "sheep", "leaf": "leaves",
                 "wolf": "wolves", "foot": "feet", "tooth": "teeth"}
    if last in irregular:
        last = irregular[last]
    elif last.endswith(("s", "x", "ch", "sh", "z")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u"):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return " ".join(words[:-1] + [last])


def join_and(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def number_word(n: int) -> str:
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten", "eleven", "twelve"]
    return words[n] if 0 <= n < len(words) else str(n)


def pick(rng: random.Random, options):
    return options[rng.randrange(len(options))]


def fmt(template: str, **slots: object) -> str:
    return template.format(**slots)


# ---- vocabulary --------------------------------------------------------------------------------
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SEASONS = ["spring", "summer", "autumn", "winter"]

JOBS = ["baker", "blacksmith", "ferryman", "tailor", "carpenter", "fisher", "weaver", "potter",
        "miller", "shepherd", "glassblower", "teacher", "healer", "scribe", "innkeeper", "cobbler",
        "farmer", "lanternwright", "beekeeper", "mapmaker", "clockmaker", "brewer", "mason",
        "boatwright", "herbalist", "musician", "painter", "courier", "gardener", "librarian",
        "cook", "merchant", "chandler", "ropemaker", "tanner", "dyer", "bookbinder", "jeweller",
        "locksmith", "barber", "midwife", "cheesemaker", "stonecutter", "woodcutter", "goatherd",
        "basket weaver", "toymaker", "bell founder", "candlemaker", "net mender"]

HOBBIES = ["playing the fiddle", "collecting river stones", "fishing at dawn", "playing chess",
           "climbing hills", "knitting warm socks", "painting birds", "growing roses",
           "reading old maps", "telling long jokes", "carving small animals", "watching the stars",
           "baking plum pies", "singing in the choir", "swimming in the river", "keeping bees",
           "riding an old pony", "sailing small boats", "writing long letters", "pressing flowers",
           "solving riddles", "juggling apples", "dancing at the inn", "walking in the woods",
           "flying kites", "drawing portraits", "watching birds", "making puppets",
           "weaving baskets", "playing cards", "brewing herb tea", "building model boats",
           "collecting old coins", "learning old songs", "rowing on the lake", "growing mushrooms",
           "mending clocks", "writing poems", "training dogs", "repairing fences",
           "carving spoons", "embroidering cushions", "making cider", "tinkering with locks",
           "collecting feathers", "whittling flutes", "painting pottery", "gathering mushrooms"]

PETS = ["cat", "dog", "goat", "parrot", "tortoise", "rabbit", "owl", "ferret", "pony",
        "hedgehog", "goose", "crow", "lizard", "donkey", "canary"]

COLOURS = ["red", "blue", "green", "yellow", "black", "white", "grey", "brown", "amber",
           "violet", "silver", "golden", "crimson", "teal", "ochre", "pale blue", "dark green",
           "rust red", "cream", "plum"]

REGIONS = ["the Northern Reaches", "the Low Marches", "the Amber Coast", "the Greenfold",
           "the High Pastures", "the Reed Country", "the Stone Valleys", "the Misty Downs"]

TOWN_SIZES = ["small", "busy", "quiet", "sleepy", "bustling", "hilly", "windy", "pretty", "old",
              "crowded", "peaceful", "lively"]

KNOWN_FOR = ["its stone bridge", "its cheese market", "its glass workshops", "its tall clock tower",
             "its apple orchards", "its boat builders", "its salt marshes", "its wool mills",
             "its hot springs", "its old library", "its singing fishermen", "its red roofs",
             "its lantern-lit streets", "its plum brandy", "its stubborn goats", "its windmills",
             "its mushroom caves", "its copper mines", "its painted boats", "its flower terraces",
             "its bell foundry", "its hedge maze", "its heather honey", "its rope walks",
             "its long harbour wall", "its cherry blossoms", "its horse fair", "its slate quarries"]

LANDMARKS = ["the fountain", "the old mill", "the clock tower", "the stone bridge",
             "the market square", "the chapel", "the ferry dock", "the big oak", "the library",
             "the school", "the well", "the town hall", "the harbour wall", "the goose statue",
             "the north gate", "the bathhouse", "the orchard gate", "the weir", "the bandstand",
             "the old barracks", "the bakery corner", "the watchtower", "the pond",
             "the sheep pens"]

ADJ_SHOP = ["Golden", "Silver", "Crooked", "Little", "Merry", "Old", "Painted", "Blue", "Green",
            "Copper", "Lucky", "Quiet", "Hidden", "Busy", "Red", "Happy", "Sleepy", "Brave"]
NOUN_SHOP = ["Kettle", "Lantern", "Anchor", "Spoon", "Fox", "Owl", "Needle", "Barrel", "Bell",
             "Acorn", "Feather", "Wheel", "Compass", "Thimble", "Teapot", "Ladder", "Hare",
             "Button", "Heron", "Lark"]
INN_NOUNS = ["Goose", "Badger", "Otter", "Stag", "Boar", "Swan", "Pike", "Raven", "Ram", "Mole"]

# category -> (items, materials (None: the item names are complete), price range in coins)
CATEGORIES: dict[str, tuple[list[str], list[str] | None, tuple[int, int]]] = {
    "lighting": (["lantern", "lamp", "candlestick", "night light", "hand lamp", "lamp chimney"],
                 ["brass", "tin", "copper", "glass", "iron", "silver"], (6, 60)),
    "kitchenware": (["kettle", "teapot", "frying pan", "ladle", "mixing bowl", "soup pot",
                     "bread knife", "rolling pin"],
                    ["copper", "iron", "clay", "oak", "steel", "enamel"], (3, 45)),
    "tools": (["hammer", "saw", "chisel", "trowel", "spade", "axe", "wrench", "hand drill"],
              ["steel", "iron", "bronze", "ash-handled"], (5, 70)),
    "clothing": (["cloak", "scarf", "hat", "coat", "apron", "shawl", "vest", "cap"],
                 ["wool", "linen", "leather", "felt", "silk", "cotton"], (4, 90)),
    "food": (["jar of clover honey", "jar of heather honey", "wheel of goat cheese",
              "wheel of blue cheese", "loaf of rye bread", "loaf of seed bread",
              "bottle of apple cider", "bottle of pear cider", "pot of plum jam",
              "pot of cherry jam", "box of oat biscuits", "box of ginger biscuits",
              "string of pepper sausages", "bag of roasted chestnuts", "tin of smoked fish",
              "sack of river rice"], None, (2, 18)),
    "books": (["almanac", "atlas", "cookbook", "songbook", "storybook", "ledger", "diary",
               "book of riddles"], ["leather-bound", "cloth-bound", "pocket", "illustrated"],
              (4, 50)),
    "toys": (["kite", "spinning top", "puzzle box", "rag doll", "toy boat", "rocking horse",
              "yo-yo", "jigsaw"], ["wooden", "painted", "paper", "tin", "felt"], (2, 35)),
    "garden": (["watering can", "rake", "flower pot", "hoe", "wheelbarrow", "bird feeder",
                "seed tray", "pruning knife"], ["tin", "clay", "oak", "iron", "willow"], (3, 55)),
    "music": (["fiddle", "flute", "drum", "lute", "harmonica", "whistle", "harp", "tambourine"],
              ["maple", "willow", "brass", "oak", "cherrywood", "bone"], (5, 120)),
}
SHOP_KINDS = [("lamp shop", "lighting"), ("kitchen shop", "kitchenware"),
              ("hardware store", "tools"), ("clothes shop", "clothing"), ("grocery", "food"),
              ("bookshop", "books"), ("toy shop", "toys"), ("garden shop", "garden"),
              ("music shop", "music"), ("general store", None)]

EVENT_KINDS = {
    "Lantern Festival": "hundreds of paper lanterns are hung along the streets",
    "Spring Fair": "farmers show their lambs and calves",
    "Harvest Market": "every farm brings its best pumpkins and grain",
    "Boat Race": "crews row painted boats from the weir to the ferry dock",
    "Cheese Fair": "cheesemakers compete for a silver knife",
    "Music Night": "fiddlers and singers play until midnight",
    "Kite Day": "children fly kites shaped like fish and dragons",
    "Book Fair": "printers and bookbinders sell old and new books",
    "Flower Show": "gardeners bring roses, lilies and enormous dahlias",
    "Winter Feast": "long tables are set up in the snow for a shared supper",
    "Pie Contest": "bakers compete to make the largest plum pie",
    "Goat Parade": "goats in ribbons are led through the square",
    "Story Night": "the oldest people of the town tell tales by the fire",
    "Apple Fair": "there are apple games, apple cakes and a great deal of cider",
    "Bell Day": "every bell in town is rung at noon",
}

# syllables for invented names
_TOWN_SUFFIX = ["ford", "brook", "holm", "mere", "ton", "dale", "stead", "haven", "gate", "moor",
                "bury", "field", "by", "cliff", "well", "thorpe"]
_N_ONSET = ["b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
            "th", "sh", "br", "tr", "dr", "gr", "fl", "st", "c", "b", "d", "l", "m", "r", "t"]
_N_VOWEL = ["a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "y", "ie"]
_N_END_FIRST = ["", "", "n", "r", "l", "s", "th", "ra", "na", "la", "el", "wyn", "ric", "lo", "ia",
                "mir", "dor", "nel", "ssa", "rin", "da", "ko", "bert", "lin"]
_N_END_LAST = ["n", "r", "l", "s", "m", "th", "ck", "rn", "nd", "vin", "ley", "son", "well", "by",
               "ard", "ish", "more", "ton", "field", "wood", "low", "ing", "ett", "ow", "ridge"]
_OK_FINAL = ("th", "ck", "rn", "nd", "sh", "ll", "rd", "rt", "st", "ld", "ss", "rk", "rm", "lm", "ns", "nt")


def _pronounceable(word: str) -> bool:
    if re.search(r"[^aeiouy]{3}", word.replace("th", "T").replace("sh", "S").replace("ck", "K")):
        return False
    if re.search(r"(ii|uu|yy|iei|aia|eae|ieie|aiai|[aeiou]{3})", word):
        return False
    if len(word) >= 2 and word[-1] not in "aeiouy" and word[-2] not in "aeiouy" and not word.endswith(_OK_FINAL):
        return False
    return True


def invent_name(rng: random.Random, last: bool = False) -> str:
    """A pronounceable invented name: ``Mara``, ``Telvin``, ``Brodwell``."""
    first_syl = rng.choice(_N_ONSET + ["", ""]) + rng.choice(_N_VOWEL)
    if rng.random() < 0.3:
        first_syl += rng.choice(["l", "r", "n", "s", "m", "d", "v", "k"])
    second = rng.choice(_N_ONSET) + rng.choice(_N_VOWEL) if rng.random() < (0.55 if last else 0.4) else ""
    end = rng.choice(_N_END_LAST if last else _N_END_FIRST)
    if not second and not end:
        end = rng.choice(["n", "r", "l", "th"])
    word = re.sub(r"(.)\1\1", r"\1\1", first_syl + second + end)
    return cap(word)


# ---- the world -------------------------------------------------------------------------------
class World:
    """People, towns, shops, products and events, all drawn from ``seed``.

    Entity generation uses its own random stream, so it never depends on which families are
    generated. Family outputs are cached: ``world.family("reviews")`` generates once.
    """

    def __init__(self, seed: int = SEED):
        self.seed = seed
        self._families: dict[str, dict[str, list[dict]]] = {}
        rng = random.Random(stable_seed(seed, "entities"))
        self._taken: set[str] = set(TOY_RESERVED)
        self._make_towns(rng)
        self._make_people(rng)
        self._make_shops(rng)
        self._make_products(rng)
        self._make_events(rng)
        self._make_inns(rng)
        self.by_name = {}
        for items in (self.people, self.towns, self.shops, self.products, self.events):
            for e in items:
                self.by_name[e["name"]] = e

    # -- random streams
    def rng(self, name: str) -> random.Random:
        return random.Random(stable_seed(self.seed, name))

    def family(self, name: str) -> dict[str, list[dict]]:
        """The rows of a family (generated once per World, with the family's own stream)."""
        if name not in FAMILIES:
            raise ValueError(f"unknown family {name!r}; known: {', '.join(sorted(FAMILIES))}")
        if name not in self._families:
            self._families[name] = FAMILIES[name](self, self.rng("family:" + name))
        return self._families[name]

    # -- names
    def _fresh(self, rng: random.Random, make: Callable[[], str]) -> str:
        for _ in range(1000):
            name = make()
            low = name.lower()
            if 3 <= len(name) <= 10 and _pronounceable(low) and low not in self._taken and low not in TOY_LEXICON_WORDS:
                self._taken.add(low)
                return name
        raise RuntimeError("name generator exhausted")

    def _make_towns(self, rng: random.Random) -> None:
        self.rivers = [self._fresh(rng, lambda: invent_name(rng)) for _ in range(10)]
        self.towns = []
        for i in range(24):
            name = self._fresh(rng, lambda: cap(rng.choice(_N_ONSET) + rng.choice(_N_VOWEL) +
                                                rng.choice(["", "l", "r", "n", "s", "m", "d", "ck"]) +
                                                rng.choice(_TOWN_SUFFIX)))
            self.towns.append({
                "id": f"town-{i:03d}", "name": name, "region": REGIONS[i % len(REGIONS)],
                "river": rng.choice(self.rivers), "founded": rng.randint(300, 950),
                "population": rng.randrange(800, 60000, 50), "known_for": KNOWN_FOR[i % len(KNOWN_FOR)],
                "size": rng.choice(TOWN_SIZES), "landmarks": rng.sample(LANDMARKS, 5),
            })

    def _make_people(self, rng: random.Random) -> None:
        firsts = [self._fresh(rng, lambda: invent_name(rng)) for _ in range(170)]
        lasts = [self._fresh(rng, lambda: invent_name(rng, last=True)) for _ in range(140)]
        self.people = []
        seen = set()
        while len(self.people) < 200:
            first, last = rng.choice(firsts), rng.choice(lasts)
            if (first, last) in seen:
                continue
            seen.add((first, last))
            pron = ("she", "her", "her") if rng.random() < 0.5 else ("he", "him", "his")
            has_pet = rng.random() < 0.8
            self.people.append({
                "id": f"person-{len(self.people):03d}", "first": first, "last": last,
                "name": f"{first} {last}", "pron": pron, "age": rng.randint(18, 84),
                "town": rng.choice(self.towns)["name"], "job": rng.choice(JOBS),
                "hobby": rng.choice(HOBBIES), "pet": rng.choice(PETS) if has_pet else None,
                "pet_name": self._fresh(rng, lambda: invent_name(rng)) if has_pet else None,
                "month": rng.choice(MONTHS), "shop": None, "fav": None, "friend": None,
            })
        for p in self.people:
            friend = rng.choice(self.people)
            while friend is p:
                friend = rng.choice(self.people)
            p["friend"] = friend["name"]
        by_town: dict[str, list[dict]] = {}
        for p in self.people:
            by_town.setdefault(p["town"], []).append(p)
        for t in self.towns:  # every town has residents and a mayor
            residents = by_town.get(t["name"])
            if not residents:
                p = rng.choice(self.people)
                p["town"] = t["name"]
                residents = [p]
            t["mayor"] = rng.choice(residents)["name"]
        self.person = {p["name"]: p for p in self.people}

    def _make_shops(self, rng: random.Random) -> None:
        self.shops = []
        names = set()
        owners = rng.sample(self.people, 48)
        for i, owner in enumerate(owners):
            kind, category = SHOP_KINDS[i % len(SHOP_KINDS)]
            for _ in range(100):
                style = rng.random()
                if style < 0.45:
                    name = f"The {rng.choice(ADJ_SHOP)} {rng.choice(NOUN_SHOP)}"
                elif style < 0.8:
                    name = f"{owner['last']}'s {kind.title()}"
                else:
                    name = f"{owner['town']} {kind.title()}"
                if name not in names:
                    break
            names.add(name)
            owner["shop"] = name
            owner["job"] = "shopkeeper"
            self.shops.append({
                "id": f"shop-{i:03d}", "name": name, "kind": kind, "category": category,
                "town": owner["town"], "owner": owner["name"], "open": rng.randint(6, 10),
                "close": rng.randint(4, 9), "day_off": rng.choice(WEEKDAYS),
                "opened": rng.randint(980, 1040), "products": [],
            })
        self.shop = {s["name"]: s for s in self.shops}

    def _make_products(self, rng: random.Random) -> None:
        candidates = []
        for category, (items, materials, prices) in CATEGORIES.items():
            for item in items:
                for material in (materials or [None]):
                    candidates.append((category, item, material, prices))
        chosen = rng.sample(candidates, 96)
        chosen.sort(key=lambda c: (list(CATEGORIES).index(c[0]), c[1], c[2] or ""))
        self.products = []
        for i, (category, item, material, (lo, hi)) in enumerate(chosen):
            shops = [s for s in self.shops if s["category"] in (category, None)]
            shop = rng.choice(shops)
            makers = [p for p in self.people if p["job"] != "shopkeeper"]
            name = f"{material} {item}" if material else item
            self.products.append({
                "id": f"product-{i:03d}", "name": name, "item": item, "material": material,
                "category": category, "price": rng.randint(lo, hi), "shop": shop["name"],
                "town": shop["town"], "maker": rng.choice(makers)["name"],
                "colour": rng.choice(COLOURS),
            })
            shop["products"].append(name)
        self.product = {p["name"]: p for p in self.products}
        for p in self.people:
            p["fav"] = rng.choice(self.products)["name"]

    def _make_events(self, rng: random.Random) -> None:
        self.events = []
        names = set()
        kinds = list(EVENT_KINDS)
        while len(self.events) < 36:
            town = rng.choice(self.towns)["name"]
            kind = rng.choice(kinds)
            name = f"{town} {kind}"
            if name in names:
                continue
            names.add(name)
            residents = [p for p in self.people if p["town"] == town]
            self.events.append({
                "id": f"event-{len(self.events):03d}", "name": name, "kind": kind, "town": town,
                "day": rng.randint(1, 28), "month": rng.choice(MONTHS), "first": rng.randint(700, 1035),
                "organizer": rng.choice(residents)["name"], "visitors": rng.randrange(200, 9000, 10),
                "activity": EVENT_KINDS[kind],
            })

    def _make_inns(self, rng: random.Random) -> None:
        self.inns = []
        names = set()
        while len(self.inns) < 20:
            name = f"the {rng.choice(ADJ_SHOP)} {rng.choice(INN_NOUNS)}"
            if name in names:
                continue
            names.add(name)
            self.inns.append({"name": name, "town": rng.choice(self.towns)["name"],
                              "rate": rng.randint(3, 15)})

    # -- convenient draws
    def date(self, e: dict) -> str:
        return f"{e['day']} {e['month']}"

    def residents(self, town: str) -> list[dict]:
        return [p for p in self.people if p["town"] == town]


# ---- Toy: the invented language of the translation family ------------------------------------
# English word -> part of speech. Toy puts adjectives after their noun and the verb of each
# clause at the clause's end; names and numbers are copied unchanged.
_TOY_POS: dict[str, list[str]] = {
    "det": ["the", "a", "an", "his", "her", "their", "my", "our", "your", "this", "that", "every",
            "some", "no"],
    "prep": ["to", "in", "at", "on", "near", "with", "from", "under", "over", "behind", "into",
             "for", "across", "along", "after", "before", "by"],
    "conj": ["and", "but", "because", "so", "when"],
    "adv": ["today", "tomorrow", "yesterday", "now", "again", "slowly", "quickly", "often",
            "never", "always", "very", "not", "also", "early", "late", "together", "home"],
    "pron": ["she", "he", "they", "we", "i", "you", "it", "him", "them", "me", "us"],
    "aux": ["does", "do", "did", "will", "can"],
    "num": ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"],
    "adj": ["old", "new", "red", "blue", "green", "small", "big", "quiet", "happy", "tired",
            "warm", "cold", "bright", "dark", "heavy", "wooden", "broken", "clean", "pretty",
            "strange", "tall", "little", "kind", "busy", "fresh", "yellow", "white", "black",
            "brave", "sad", "hungry", "loud", "soft", "round", "long", "short", "empty", "full",
            "sweet", "angry", "young", "rich", "poor", "wet", "dry", "cheap", "golden", "clever"],
    "noun": ["lantern", "kettle", "boat", "bridge", "house", "river", "market", "dog", "cat",
             "goat", "bird", "apple", "bread", "cheese", "letter", "book", "map", "road", "tree",
             "garden", "window", "door", "hat", "coat", "cup", "fish", "horse", "cart", "bell",
             "key", "basket", "song", "stone", "flower", "field", "hill", "lamp", "ship", "table",
             "chair", "box", "candle", "friend", "child", "baker", "farmer", "teacher", "sister",
             "brother", "mother", "father", "shop", "inn", "street", "morning", "evening",
             "night", "day", "week", "coin", "cake", "soup", "rain", "snow", "sun", "moon",
             "wind", "village", "school", "fire", "water", "kite", "drum", "flute", "scarf",
             "letter", "gift", "ring", "pie", "pig", "sheep", "cow", "owl", "fox", "mouse"],
    "verb": ["buys", "sells", "sees", "finds", "carries", "paints", "cleans", "mends", "likes",
             "wants", "brings", "loses", "opens", "builds", "reads", "writes", "eats", "cooks",
             "visits", "watches", "holds", "needs", "drops", "follows", "calls", "gives", "hides",
             "walks", "sleeps", "sings", "runs", "waits", "laughs", "works", "swims", "dances",
             "arrives", "is", "are", "buy", "sell", "see", "find", "carry", "paint", "clean",
             "mend", "like", "want", "bring", "lose", "open", "build", "read", "write", "eat",
             "cook", "visit", "watch", "hold", "need", "drop", "follow", "call", "give", "hide",
             "walk", "sleep", "sing", "run", "wait", "laugh", "work", "swim", "dance", "arrive",
             "bought", "sold", "saw", "found", "carried", "painted", "cleaned", "mended", "liked",
             "wanted", "brought", "lost", "opened", "built", "read", "wrote", "ate", "cooked",
             "visited", "watched", "held", "needed", "dropped", "followed", "called", "gave",
             "hid", "walked", "slept", "sang", "ran", "waited", "laughed", "worked", "swam",
             "danced", "arrived", "was", "were"],
}
_TOY_PLURALS = {"apple", "book", "flower", "coin", "cake", "bird", "goat", "dog", "cat", "boat",
                "lantern", "stone", "tree", "letter", "kite", "hat", "cup", "basket", "candle",
                "key", "child", "sheep", "fish", "friend", "ring", "pie", "day", "week", "house"}
TOY_POS: dict[str, str] = {}
for _pos, _words in _TOY_POS.items():
    for _w in _words:
        TOY_POS.setdefault(_w, _pos)
for _w in sorted(_TOY_PLURALS):
    TOY_POS.setdefault(plural(_w), "noun")

_TOY_C = ["k", "l", "m", "n", "p", "s", "t", "v", "z", "r", "b", "d", "g"]
_TOY_V = ["a", "e", "i", "o", "u", "a", "o"]


def _toy_syllables(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_TOY_C) + rng.choice(_TOY_V) for _ in range(n)) + rng.choice(["", "", "n", "k", "sh"])


def _build_toy_lexicon() -> dict[str, str]:
    lexicon: dict[str, str] = {}
    used: set[str] = set()
    singular = {plural(w): w for w in _TOY_PLURALS if plural(w) != w}
    for word in sorted(TOY_POS, key=lambda w: (w in singular, w)):
        if word in singular:  # Toy plural: the singular's word + "ri"
            toy = lexicon[singular[word]] + "ri"
        else:
            rng = random.Random(stable_seed("toy-lexicon", word))
            short = TOY_POS[word] in ("det", "prep", "conj", "pron", "aux")
            for attempt in range(100):
                toy = _toy_syllables(rng, 1 if short else rng.randint(2, 3))
                if toy not in used:
                    break
        used.add(toy)
        lexicon[word] = toy
    return lexicon


TOY_LEXICON: dict[str, str] = _build_toy_lexicon()
TOY_LEXICON_WORDS = frozenset(TOY_LEXICON)
TOY_RESERVED = frozenset(TOY_LEXICON.values())
_TOKEN = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*|[^\sA-Za-z\d]")
_CLAUSE_END = {",", ".", "!", "?", ";", ":"}


def _toy_word(word: str) -> str:
    low = word.lower()
    if low in TOY_LEXICON:
        return TOY_LEXICON[low]
    if word[:1].isupper() or word[:1].isdigit() or not word[:1].isalpha():
        return word  # names, numbers, punctuation: unchanged
    rng = random.Random(stable_seed("toy-unknown", low))
    return _toy_syllables(rng, 2) + "o"


def _toy_clause(tokens: list[str]) -> list[str]:
    pos = [TOY_POS.get(t.lower(), "name" if t[:1].isupper() else "other") for t in tokens]
    # 1) adjectives follow their noun: ADJ+ NOUN -> NOUN ADJ+
    out, out_pos, i = [], [], 0
    while i < len(tokens):
        if pos[i] == "adj":
            j = i
            while j < len(tokens) and pos[j] == "adj":
                j += 1
            if j < len(tokens) and pos[j] == "noun":
                out += [tokens[j]] + tokens[i:j]
                out_pos += ["noun"] + pos[i:j]
                i = j + 1
                continue
        out.append(tokens[i])
        out_pos.append(pos[i])
        i += 1
    # 2) the first verb of the clause goes to its end
    for k, p in enumerate(out_pos):
        if p == "verb":
            out = out[:k] + out[k + 1:] + [out[k]]
            break
    return out


def to_toy(sentence: str) -> str:
    """Translate an English sentence into Toy (deterministic, word level, with reordering).

    >>> to_toy("Mara buys the red kettle.")   # adjective after noun, verb last, name kept
    'Mara man kozonon tozela masano.'
    """
    tokens = _TOKEN.findall(sentence)
    result: list[str] = []
    clause: list[str] = []
    for tok in tokens + ["\0"]:
        if tok in _CLAUSE_END or tok == "\0":
            result += [_toy_word(t) for t in _toy_clause(clause)]
            if tok != "\0":
                result.append(tok)
            clause = []
        else:
            clause.append(tok)
    text = ""
    for tok in result:
        if tok in _CLAUSE_END or not text:
            text += tok
        else:
            text += " " + tok
    return text


# ---- encyclopedia documents (facts, pretrain) --------------------------------------------------
def _p(p: dict) -> dict:
    """Template slots for a person."""
    she, her_obj, her = p["pron"]
    return {"name": p["name"], "first": p["first"], "last": p["last"], "pron": she, "Pron": cap(she),
            "obj": her_obj, "poss": her, "Poss": cap(her), "age": p["age"], "town": p["town"],
            "job": p["job"], "a_job": an(p["job"]), "hobby": p["hobby"], "pet": p["pet"] or "",
            "a_pet": an(p["pet"]) if p["pet"] else "", "pet_name": p["pet_name"] or "",
            "month": p["month"], "shop": p["shop"] or "", "fav": p["fav"], "a_fav": an(p["fav"]),
            "friend": p["friend"]}


PERSON_SENTENCES = {
    "identity": ["{name} is {a_job} who lives in {town}.",
                 "{name} lives in {town}, where {pron} works as {a_job}.",
                 "{name} works as {a_job} in the town of {town}.",
                 "{Cap_a_job} by trade, {name} makes {poss} home in {town}.",
                 "{name} is a resident of {town} and earns a living as {a_job}."],
    "age": ["{Pron} is {age} years old.", "{first} is {age}.",
            "At {age} years of age, {first} is well known in {poss} street.",
            "{Pron} turned {age} this year."],
    "month": ["{Pron} was born in {month}.", "{Poss} birthday falls in {month}.",
              "{first} celebrates {poss} birthday every {month}."],
    "hobby": ["In {poss} spare time, {pron} enjoys {hobby}.", "{first} is fond of {hobby}.",
              "When not working, {first} loves {hobby}.",
              "Neighbours know {first} for {poss} love of {hobby}."],
    "pet": ["{Pron} keeps {a_pet} called {pet_name}.",
            "{first} shares the house with {a_pet} named {pet_name}.",
            "{Poss} pet, {a_pet} named {pet_name}, follows {obj} everywhere."],
    "shop": ["{first} owns {shop}.", "{Pron} runs {shop}, a shop in {town}.",
             "{first} is the owner of {shop}."],
    "fav": ["{Poss} most treasured possession is {a_fav}.",
            "{first} is rarely seen without {poss} {fav}.",
            "{Pron} is very proud of {poss} {fav}."],
    "friend": ["{Poss} closest friend is {friend}.", "{first} is good friends with {friend}.",
               "{first} often visits {poss} friend {friend}."],
}
PERSON_QUESTIONS = {
    "identity": [("Which town does {name} live in?", "town"), ("Where does {name} live?", "town"),
                 ("What is {name}'s job?", "job"), ("What does {name} do for a living?", "job")],
    "age": [("How old is {name}?", "age"), ("What is the age of {name}?", "age")],
    "month": [("In which month was {name} born?", "month"), ("When is {name}'s birthday?", "month")],
    "hobby": [("What does {name} enjoy doing?", "hobby"), ("What is {name}'s hobby?", "hobby")],
    "pet": [("What kind of pet does {name} keep?", "pet"), ("What is the name of {name}'s pet?", "pet_name")],
    "shop": [("Which shop does {name} own?", "shop"), ("What shop does {name} run?", "shop")],
    "fav": [("What is {name}'s most treasured possession?", "fav"), ("What does {name} treasure most?", "fav")],
    "friend": [("Who is {name}'s closest friend?", "friend"), ("Who is a good friend of {name}?", "friend")],
}

TOWN_SENTENCES = {
    "identity": ["{name} is a {size} town in {region}.", "The {size} town of {name} lies in {region}.",
                 "{name} is one of the towns of {region}."],
    "river": ["The river {river} flows through {name}.", "{name} sits on the river {river}.",
              "The town is built on both banks of the river {river}."],
    "founded": ["It was founded in the year {founded}.", "The town was founded in {founded}.",
                "Its first houses were built in {founded}."],
    "population": ["About {population} people live there.", "It has a population of about {population}.",
                   "Some {population} people call it home."],
    "known_for": ["{name} is known for {known_for}.", "Visitors come to {name} for {known_for}.",
                  "The town is famous for {known_for}."],
    "mayor": ["The mayor of {name} is {mayor}.", "{mayor} serves as the mayor.",
              "Its current mayor is {mayor}."],
    "landmarks": ["Its landmarks include {landmarks}.", "In the centre you will find {landmarks}."],
}
TOWN_QUESTIONS = {
    "identity": [("Which region is {name} in?", "region"), ("In which region does {name} lie?", "region")],
    "river": [("Which river flows through {name}?", "river"), ("On which river is {name} built?", "river")],
    "founded": [("When was {name} founded?", "founded"), ("In which year was {name} founded?", "founded")],
    "population": [("How many people live in {name}?", "population"), ("What is the population of {name}?", "population")],
    "known_for": [("What is {name} known for?", "known_for"), ("What is {name} famous for?", "known_for")],
    "mayor": [("Who is the mayor of {name}?", "mayor"), ("Who serves as mayor of {name}?", "mayor")],
}

SHOP_SENTENCES = {
    "identity": ["{name} is {a_kind} in {town}.", "{name} is {a_kind} that you will find in {town}.",
                 "In {town} stands {name}, {a_kind}."],
    "owner": ["It is run by {owner}.", "{owner} owns and runs it.", "The owner is {owner}."],
    "hours": ["It opens at {open} in the morning and closes at {close} in the evening.",
              "The doors open at {open} and close at {close} in the evening.",
              "Opening hours are from {open} until {close} in the evening."],
    "day_off": ["It is closed on {day_off}s.", "Every {day_off} the shop stays closed.",
                "On {day_off}s the shutters stay down."],
    "opened": ["It first opened in {opened}.", "The shop opened its doors in {opened}."],
    "products": ["It sells {products}.", "Among its goods are {products}.",
                 "Customers come for {products}."],
}
SHOP_QUESTIONS = {
    "identity": [("In which town is {name}?", "town"), ("Where is {name}?", "town"),
                 ("What kind of shop is {name}?", "kind")],
    "owner": [("Who runs {name}?", "owner"), ("Who owns {name}?", "owner")],
    "hours": [("What time does {name} open?", "open"), ("When does {name} close in the evening?", "close")],
    "day_off": [("On which day is {name} closed?", "day_off")],
    "opened": [("When did {name} open?", "opened"), ("In which year did {name} first open?", "opened")],
}

PRODUCT_SENTENCES = {
    "identity": ["The {name} is sold by {shop} in {town}.", "You can buy the {name} at {shop} in {town}.",
                 "{shop} in {town} sells the {name}."],
    "price": ["It costs {price}.", "Its price is {price}.", "It sells for {price}.",
              "The price is {price}."],
    "maker": ["It was made by {maker}.", "{maker} made it by hand.", "It is the work of {maker}."],
    "colour": ["It is {colour} in colour.", "It comes in {colour}.", "Its colour is {colour}."],
    "category": ["It belongs to the {category} range.", "The shop lists it under {category}.",
                 "It is filed under {category} in the shop's books."],
}
PRODUCT_QUESTIONS = {
    "identity": [("Which shop sells the {name}?", "shop"), ("Where can you buy the {name}?", "shop")],
    "price": [("How much does the {name} cost?", "price"), ("What is the price of the {name}?", "price")],
    "maker": [("Who made the {name}?", "maker")],
    "colour": [("What colour is the {name}?", "colour")],
    "category": [("Under which category is the {name} listed?", "category")],
}

EVENT_SENTENCES = {
    "identity": ["The {name} is held every year in {town} on {date}.",
                 "Every year on {date}, {town} holds the {name}.",
                 "The {name} takes place in {town} each year on {date}."],
    "first": ["It was first held in {first}.", "The first one took place in {first}.",
              "It has been held since {first}."],
    "organizer": ["It is organised by {organizer}.", "{organizer} organises it.",
                  "The organiser is {organizer}."],
    "activity": ["During the day, {activity}.", "On that day {activity}.", "Traditionally, {activity}."],
    "visitors": ["Last year about {visitors} visitors came.", "It drew some {visitors} visitors last year.",
                 "Around {visitors} people attended last year."],
}
EVENT_QUESTIONS = {
    "identity": [("Where is the {name} held?", "town"), ("On what date is the {name} held?", "date")],
    "first": [("When was the {name} first held?", "first"), ("Since when has the {name} been held?", "first")],
    "organizer": [("Who organises the {name}?", "organizer")],
    "visitors": [("How many visitors came to the {name} last year?", "visitors")],
}


def entity_slots(world: World, kind: str, e: dict) -> dict:
    if kind == "person":
        s = _p(e)
        s["Cap_a_job"] = cap(s["a_job"])
        return s
    if kind == "town":
        s = dict(e)
        s["population"] = f"{e['population']:,}"
        s["landmarks"] = join_and(e["landmarks"][:3])
        return s
    if kind == "shop":
        s = dict(e)
        s["a_kind"] = an(e["kind"])
        s["open"] = f"{e['open']} o'clock"
        s["close"] = f"{e['close']} o'clock"
        s["products"] = join_and(["the " + n for n in e["products"][:4]]) if e["products"] else "all sorts of goods"
        return s
    if kind == "product":
        s = dict(e)
        s["price"] = f"{e['price']} coins"
        return s
    if kind == "event":
        s = dict(e)
        s["date"] = world.date(e)
        return s
    raise ValueError(kind)


ENTITY_TEMPLATES = {
    "person": (PERSON_SENTENCES, PERSON_QUESTIONS),
    "town": (TOWN_SENTENCES, TOWN_QUESTIONS),
    "shop": (SHOP_SENTENCES, SHOP_QUESTIONS),
    "product": (PRODUCT_SENTENCES, PRODUCT_QUESTIONS),
    "event": (EVENT_SENTENCES, EVENT_QUESTIONS),
}


def entity_facets(kind: str, e: dict) -> list[str]:
    facets = list(ENTITY_TEMPLATES[kind][0])
    if kind == "person":
        if not e["pet"]:
            facets.remove("pet")
        if not e["shop"]:
            facets.remove("shop")
    if kind == "shop" and not e["products"]:
        facets.remove("products")
    return facets


def entity_doc(world: World, kind: str, e: dict, rng: random.Random, facets: list[str] | None = None) -> str:
    """A short encyclopedia paragraph about an entity; ``facets=None`` states every fact."""
    sentences, _ = ENTITY_TEMPLATES[kind]
    slots = entity_slots(world, kind, e)
    all_facets = entity_facets(kind, e)
    chosen = all_facets if facets is None else [f for f in all_facets if f in facets]
    rest = [f for f in chosen if f != "identity"]
    rng.shuffle(rest)
    order = (["identity"] if "identity" in chosen else []) + rest
    return " ".join(fmt(pick(rng, sentences[f]), **slots) for f in order)


def all_entities(world: World) -> list[tuple[str, dict]]:
    return ([("person", p) for p in world.people] + [("town", t) for t in world.towns] +
            [("shop", s) for s in world.shops] + [("product", p) for p in world.products] +
            [("event", e) for e in world.events])


def entity_title(kind: str, e: dict) -> str:
    return ("The " + e["name"]) if kind in ("product", "event") else e["name"]


# ---- dialogues (dialogsum, pretrain, icl, instructions) ---------------------------------------
TIMES = ["9 o'clock", "10 o'clock", "11 o'clock", "noon", "1 o'clock", "2 o'clock", "3 o'clock",
         "4 o'clock", "5 o'clock", "6 o'clock", "7 o'clock", "half past 8", "half past 10",
         "half past 2", "half past 4", "half past 6", "quarter past 3", "quarter to 5", "sunrise",
         "sunset"]
LOST_THINGS = ["blue umbrella", "house key", "leather purse", "pair of reading glasses", "silver ring",
               "woollen hat", "pocket watch", "red scarf", "notebook", "walking stick",
               "fishing rod", "basket of eggs", "shopping list", "brass compass", "lucky coin"]
PROBLEMS = {"lighting": ["the glass is cracked", "the handle came loose", "it smokes badly"],
            "kitchenware": ["the handle came loose", "it leaks", "the bottom is dented"],
            "tools": ["the head is loose", "the blade is blunt", "the handle split"],
            "clothing": ["a seam has split", "the colour ran in the wash", "a button fell off"],
            "food": ["it had gone stale", "the lid was broken", "it tasted sour"],
            "books": ["pages are missing", "the binding is torn", "the ink is smudged"],
            "toys": ["a piece is missing", "the paint is peeling", "it broke on the first day"],
            "garden": ["it leaks", "the handle split", "a wheel wobbles"],
            "music": ["a string snapped", "it is out of tune", "there is a crack in it"]}
REMEDIES = ["a full refund", "a new one", "a free repair", "half the money back",
            "a replacement by Friday", "store credit"]
ROLES = ["assistant", "apprentice", "clerk", "delivery runner", "night guard", "bookkeeper",
         "stock keeper", "helper"]
GREETINGS = [("Good morning!", "Morning! Lovely weather today."),
             ("Hello there!", "Hello! How have you been?"),
             ("Good afternoon.", "Good afternoon. Busy day?"),
             ("Hi! Cold today, isn't it?", "Freezing. The river has ice on it."),
             ("Evening!", "Evening. I was just about to close up."),
             ("Ah, hello again.", "Hello! Nice to see you."),
             ("Hey, long time no see!", "Far too long! How are things?")]
CHITCHAT = ["By the way, did you hear about the fair?", "Sorry, it's so noisy in here today.",
            "Is it still raining outside?", "Just a moment, let me find my glasses.",
            "Your garden looks very tidy today.", "My feet are sore from the walk.",
            "Have you tried the new bakery?", "I nearly forgot why I came!",
            "The market was packed this morning.", "Mind the dog, he's friendly."]
CHITCHAT_REPLY = ["Yes, everyone is talking about it.", "Don't worry about it.",
                  "Only a little.", "Take your time.", "Thank you, I weeded it yesterday.",
                  "Sit down for a minute if you like.", "Not yet, is it good?", "It happens to me too.",
                  "It always is on market day.", "Ha, he already likes you."]
GOODBYES = [("Thank you so much.", "You're welcome. Goodbye!"), ("Thanks, see you soon.", "Take care!"),
            ("That's all, thank you.", "Have a good day."), ("Bye for now.", "Bye!")]
EXTRA_LINES = ["I'll come along too, if that's all right.", "Don't forget we need bread as well.",
               "I can carry it home for you.", "Sorry to interrupt, but the cart is waiting outside.",
               "Can we hurry? It's getting late.", "I told you this would happen.",
               "That sounds like a good plan to me.", "I'll wait outside, then.",
               "Let me write that down so we don't forget.", "My cousin had the same problem last year."]


class Dialogue:
    """Turns (speaker index, text); speaker 0/1 are the main pair, 2/3 optional extras."""

    def __init__(self, people: list[dict]):
        self.people = people
        self.turns: list[tuple[int, str]] = []
        self.optional: list[tuple[int, list[tuple[int, str]]]] = []  # (insert position, turns)

    def say(self, who: int, text: str) -> None:
        self.turns.append((who, text))


def _two_people(world: World, rng: random.Random, n: int = 2, first: dict | None = None) -> list[dict]:
    chosen = [first] if first else []
    while len(chosen) < n:
        p = rng.choice(world.people)
        if all(p["first"] != q["first"] for q in chosen):
            chosen.append(p)
    return chosen


def _topic_buying(world, rng):
    shop = rng.choice([s for s in world.shops if s["products"]])
    keeper = world.person[shop["owner"]]
    cust = _two_people(world, rng, 2, keeper)[1]
    item = world.product[rng.choice(shop["products"])]
    price = item["price"]
    final = price
    d = Dialogue([cust, keeper])
    d.say(1, pick(rng, ["Welcome to {shop}! How can I help you?", "Good day, and welcome to {shop}.",
                        "Hello, this is {shop}. What can I get you?", "Come in, come in! {shop} is open."]).format(shop=shop["name"]))
    d.say(0, pick(rng, ["Hello, I'm {c}. I'm looking for {a}.", "My name is {c}, and I need {a}.",
                        "Hi, {c} here. Do you have {a}?", "I'd like to buy {a}, please. I'm {c}.",
                        "{c}, from across the river. Have you got {a}?"]).format(c=cust["name"], a=an(item["name"])))
    d.say(1, pick(rng, ["We do. This one costs {p} coins.", "Yes, the {i} is {p} coins.",
                        "Certainly. That will be {p} coins.", "Here it is: {p} coins, made by {m}.",
                        "We have one left. It's {p} coins."]).format(p=price, i=item["name"], m=item["maker"]))
    haggle = price >= 8 and rng.random() < 0.3
    if haggle:
        final = price - rng.randint(1, max(1, price // 4))
        d.say(0, pick(rng, ["That's a bit much. Would you take {f} coins?", "Hmm. Could you do {f} coins?",
                            "I only have {f} coins on me."]).format(f=final))
        d.say(1, pick(rng, ["All right, {f} coins it is.", "Fine, {f} coins, just for you.",
                            "Oh, very well. {f} coins."]).format(f=final))
    d.say(0, pick(rng, ["Good, I'll take it.", "Perfect, here are the coins.", "That's fair. Wrap it up, please.",
                        "Wonderful, I'll take it now."]))
    d.optional.append((len(d.turns), [(1, pick(rng, ["Thank you, {f}. Enjoy it!", "Pleasure doing business.",
                                                      "Come back any time."]).format(f=cust["first"]))]))
    slots = {"person": cust["name"], "item": item["name"], "price": f"{final} coins", "shop": shop["name"]}
    s = dict(slots, a=an(item["name"]), orig=f"{price} coins")
    if haggle:
        summ = pick(rng, ["{person} bargains at {shop} and buys {a} for {price}.",
                          "At {shop}, {person} talks the price of {a} down from {orig} to {price}.",
                          "{person} buys {a} at {shop}. The shopkeeper lowers the price to {price}."])
    else:
        summ = pick(rng, ["{person} buys {a} at {shop} for {price}.", "At {shop}, {person} pays {price} for {a}.",
                          "{person} goes to {shop} to buy {a}, which costs {price}.",
                          "{person} gets {a} from {shop} for {price}."])
    return "buying", d, summ.format(**s), slots


def _topic_booking(world, rng):
    inn = rng.choice(world.inns)
    guest, keeper = _two_people(world, rng)
    nights = rng.randint(2, 9)
    day = rng.choice(WEEKDAYS)
    d = Dialogue([guest, keeper])
    innname = cap(inn["name"])
    d.say(1, pick(rng, ["{inn}, good evening. How can I help?", "Hello, you've reached {inn} in {town}.",
                        "{inn} here. What can I do for you?"]).format(inn=innname, town=inn["town"]))
    d.say(0, pick(rng, ["Hello, this is {g}. I'd like to book a room for {n} nights.",
                        "I need a room for {n} nights, please. The name is {g}.",
                        "Good evening. {g} speaking. Have you got a room free for {n} nights?"]).format(g=guest["name"], n=nights))
    d.say(1, pick(rng, ["From which day?", "When will you arrive?", "Certainly. Starting when?"]))
    d.say(0, pick(rng, ["From {d}, if possible.", "I arrive on {d}.", "From {d} evening."]).format(d=day))
    d.optional.append((len(d.turns), [(1, pick(rng, ["That's fine. A room is {r} coins a night.",
                                                      "We have a quiet room at the back, {r} coins a night."]).format(r=inn["rate"])),
                                      (0, pick(rng, ["Great, please book it.", "That will do nicely."]))]))
    d.optional.append((len(d.turns), [(1, pick(rng, ["Done. See you on {d}.", "It's booked. Safe travels!"]).format(d=day))]))
    slots = {"person": guest["name"], "inn": innname, "nights": f"{nights} nights", "day": day}
    summ = pick(rng, ["{person} books a room at {inn} for {nights}, starting on {day}.",
                      "{person} calls {inn} and reserves a room for {nights} from {day}.",
                      "{person} will stay at {inn} for {nights}, arriving on {day}."])
    return "booking", d, summ.format(**slots), slots


def _topic_lost(world, rng):
    person, helper = _two_people(world, rng)
    town = world.towns[[t["name"] for t in world.towns].index(person["town"])]
    place = rng.choice(town["landmarks"])
    thing = rng.choice(LOST_THINGS + [person["fav"]])
    day = rng.choice(WEEKDAYS)
    found = rng.random() < 0.4
    d = Dialogue([person, helper])
    d.say(0, pick(rng, ["Excuse me, I'm {p}. I think I lost my {t}.", "Oh no! I'm {p}, and I can't find my {t} anywhere.",
                        "Hello, my name is {p}. Has anyone handed in {at}?"]).format(p=person["name"], t=thing, at=an(thing)))
    d.say(1, pick(rng, ["Where did you last have it?", "When did you last see it?", "Oh dear. Where were you?"]))
    d.say(0, pick(rng, ["Near {l} in {town}, on {d}.", "I had it by {l} in {town} on {d} morning.",
                        "On {d}, somewhere around {l} in {town}."]).format(l=place, town=town["name"], d=day))
    if found:
        d.say(1, pick(rng, ["Someone brought in {at} this morning! Is this it?", "Wait, is this your {t}? It was found there."]).format(t=thing, at=an(thing)))
        d.say(0, pick(rng, ["Yes, that's mine! Thank you!", "That's it! What a relief."]))
    else:
        d.say(1, pick(rng, ["I'll ask around and let you know.", "I'll keep an eye out for it.",
                            "Leave me your address and I'll send word if it turns up."]))
    slots = {"person": person["name"], "item": thing, "place": place, "town": town["name"], "day": day}
    summ = pick(rng, ["{person} lost {a} near {place} in {town} on {day}.",
                      "On {day}, {person} lost {a} around {place} in {town}.",
                      "{person} reports losing {a} by {place} in {town} on {day}."]).format(a=an(thing), **slots)
    summ += " " + (pick(rng, ["It has been found and is returned.", "Luckily it was handed in.", "It turns up at once."])
                   if found else pick(rng, ["Someone promises to look out for it.", "A neighbour promises to ask around.", "It has not been found yet."]))
    return "lost item", d, summ, slots


def _topic_meeting(world, rng):
    a, b = _two_people(world, rng)
    town = rng.choice(world.towns)
    place = rng.choice(town["landmarks"] + [s["name"] for s in world.shops if s["town"] == town["name"]])
    day, t = rng.choice(WEEKDAYS), rng.choice(TIMES)
    d = Dialogue([a, b])
    d.say(0, pick(rng, ["Hello {b}! It's {a}. Shall we meet this week?", "{b}, this is {a}. Are you free to meet?",
                        "Hi {b}, {a} here. We should talk about the plans."]).format(a=a["name"], b=b["name"]))
    d.say(1, pick(rng, ["Sure. When suits you?", "Of course. Which day?", "Good idea. When?"]))
    d.say(0, pick(rng, ["How about {d} at {t}?", "Is {d} at {t} all right?", "{d}, at {t}?"]).format(d=day, t=t))
    d.say(1, pick(rng, ["{d} works. Where?", "Fine by me. Where shall we meet?", "Yes. And where?"]).format(d=day))
    d.say(0, pick(rng, ["At {p} in {town}.", "Let's meet by {p} in {town}.", "Outside {p} in {town}."]).format(p=place, town=town["name"]))
    d.optional.append((len(d.turns), [(1, pick(rng, ["See you there.", "Perfect, I'll be there.", "Good, don't be late!"]))]))
    slots = {"person": a["name"], "other": b["name"], "day": day, "time": t, "place": place, "town": town["name"]}
    summ = pick(rng, ["{person} and {other} agree to meet at {place} in {town} on {day} at {time}.",
                      "{person} arranges to see {other} on {day} at {time} at {place} in {town}.",
                      "On {day} at {time}, {person} and {other} will meet at {place} in {town}."])
    return "meeting plans", d, summ.format(**slots), slots


def _topic_repair(world, rng):
    person, fixer = _two_people(world, rng)
    item = rng.choice(world.products)
    problem = rng.choice(PROBLEMS[item["category"]])
    price, day = rng.randint(2, 30), rng.choice(WEEKDAYS)
    d = Dialogue([person, fixer])
    d.say(0, pick(rng, ["Good day. I'm {p}. My {i} is broken: {pr}.", "Hello, {p} here. Can you fix my {i}? {Pr}.",
                        "Excuse me, I'm {p}, and {pr} on my {i}."]).format(p=person["name"], i=item["name"], pr=problem, Pr=cap(problem)))
    d.say(1, pick(rng, ["Let me see... Yes, I can fix that.", "Hmm, that's not too bad. I can mend it.",
                        "I've seen worse. It can be repaired."]))
    d.say(0, pick(rng, ["How much will it cost?", "What will that cost me?", "And the price?"]))
    d.say(1, pick(rng, ["{c} coins, and it will be ready on {d}.", "It will be {c} coins. Come back on {d}.",
                        "{c} coins. You can pick it up on {d}."]).format(c=price, d=day))
    d.optional.append((len(d.turns), [(0, pick(rng, ["Fine, thank you.", "Deal. See you then.", "That's cheaper than I feared."]))]))
    slots = {"person": person["name"], "item": item["name"], "price": f"{price} coins", "day": day}
    summ = pick(rng, ["{person} brings a broken {item} for repair; it will cost {price} and be ready on {day}.",
                      "The repairer will fix {person}'s {item} by {day} for {price}.",
                      "{person}'s {item} is broken. It will be mended for {price} and ready on {day}."])
    return "repair", d, summ.format(**slots), slots


def _topic_complaint(world, rng):
    shop = rng.choice([s for s in world.shops if s["products"]])
    keeper = world.person[shop["owner"]]
    person = _two_people(world, rng, 2, keeper)[1]
    item = world.product[rng.choice(shop["products"])]
    problem = rng.choice(PROBLEMS[item["category"]])
    remedy = rng.choice(REMEDIES)
    d = Dialogue([person, keeper])
    d.say(0, pick(rng, ["Hello, I'm {p}. I bought this {i} here at {s}, and {pr}.",
                        "I'm {p}. This {i} from {s} is no good: {pr}.",
                        "Excuse me. {p} is my name. I got this {i} at {s} last week and {pr}."]).format(
        p=person["name"], i=item["name"], s=shop["name"], pr=problem))
    d.say(1, pick(rng, ["I'm very sorry to hear that.", "Oh dear, let me have a look.", "That shouldn't happen. Let me see."]))
    d.say(0, pick(rng, ["What can you do about it?", "I'd like this sorted out, please.", "I want it put right."]))
    d.say(1, pick(rng, ["Of course. We will give you {r}.", "I can offer you {r}.", "Let me make it up to you with {r}."]).format(r=remedy))
    d.optional.append((len(d.turns), [(0, pick(rng, ["Thank you, that's fair.", "All right, I accept.", "Good, thank you."]))]))
    slots = {"person": person["name"], "item": item["name"], "shop": shop["name"], "remedy": remedy}
    summ = pick(rng, ["{person} returns a faulty {item} to {shop} and is offered {remedy}.",
                      "{person} complains to {shop} about {a}; the shop offers {remedy}.",
                      "Unhappy with {a} from {shop}, {person} gets {remedy}."])
    return "complaint", d, summ.format(a=an(item["name"]), **slots), slots


def _topic_directions(world, rng):
    person, local = _two_people(world, rng)
    shop = rng.choice(world.shops)
    town = world.towns[[t["name"] for t in world.towns].index(shop["town"])]
    l1, l2 = rng.sample(town["landmarks"], 2)
    side = rng.choice(["left", "right"])
    minutes = rng.choice([2, 5, 10, 15, 20])
    d = Dialogue([person, local])
    d.say(0, pick(rng, ["Excuse me, I'm {p}, new in {t}. How do I get to {s}?",
                        "Sorry to bother you. I'm {p}. Where is {s} in {t}?",
                        "Hello! {p} here, visiting {t}. Can you tell me the way to {s}?"]).format(p=person["name"], t=town["name"], s=shop["name"]))
    d.say(1, pick(rng, ["Go past {a}, then turn {x} at {b}.", "Walk past {a} and take a {x} at {b}.",
                        "Easy: past {a}, then {x} at {b}."]).format(a=l1, b=l2, x=side))
    d.optional.append((len(d.turns), [(0, pick(rng, ["Is it far?", "How long does it take?"])),
                                      (1, pick(rng, ["About {m} minutes on foot.", "No, {m} minutes at most."]).format(m=minutes))]))
    d.say(0, pick(rng, ["Thanks a lot!", "Thank you, that's very kind.", "Wonderful, thanks."]))
    slots = {"person": person["name"], "shop": shop["name"], "town": town["name"], "landmark": l1}
    summ = pick(rng, ["{person} asks the way to {shop} in {town}: past {landmark}, then {x} at {b}.",
                      "A local tells {person} that {shop} in {town} is past {landmark}, then {x} at {b}.",
                      "{person} is looking for {shop} in {town} and is told to go past {landmark} and turn {x} at {b}."])
    return "directions", d, summ.format(x=side, b=l2, **slots), slots


def _topic_job(world, rng):
    shop = rng.choice(world.shops)
    owner = world.person[shop["owner"]]
    person = _two_people(world, rng, 2, owner)[1]
    role = rng.choice(ROLES)
    wage, day = rng.randint(5, 40), rng.choice(WEEKDAYS)
    d = Dialogue([person, owner])
    d.say(1, pick(rng, ["Welcome to {s}. You're here about the job?", "Ah, you must be here for the job at {s}.",
                        "Hello. Is this about the notice in the window of {s}?"]).format(s=shop["name"]))
    d.say(0, pick(rng, ["Yes, I'm {p}. I'd like to work as your {r}.", "That's right. My name is {p}, and I'd like the {r} job.",
                        "Yes. {p}. I saw you need {ar}."]).format(p=person["name"], r=role, ar=an(role)))
    d.optional.append((len(d.turns), [(1, pick(rng, ["Do you have experience?", "Have you done this kind of work?"])),
                                      (0, pick(rng, ["I worked {n} years as {j} in {t}.", "Some. I was {j} in {t} for {n} years."]).format(
                                          n=rng.randint(2, 9), j=an(person["job"]), t=person["town"]))]))
    d.say(1, pick(rng, ["Good. The pay is {w} coins a week. Can you start on {d}?",
                        "You'll get {w} coins a week. Start on {d}?", "I can pay {w} coins a week, starting {d}."]).format(w=wage, d=day))
    d.say(0, pick(rng, ["Yes, {d} is perfect.", "I'll be there on {d}.", "Agreed. See you on {d}."]).format(d=day))
    slots = {"person": person["name"], "role": role, "shop": shop["name"], "wage": f"{wage} coins", "day": day}
    summ = pick(rng, ["{person} gets a job as {a} at {shop}, earning {wage} a week and starting on {day}.",
                      "{shop} hires {person} as {a} for {wage} a week; the job starts on {day}.",
                      "{person} will start work at {shop} on {day} as {a}, paid {wage} a week."])
    return "job", d, summ.format(a=an(role), **slots), slots


def _topic_invitation(world, rng):
    a, b = _two_people(world, rng)
    ev = rng.choice(world.events)
    food = rng.choice([p for p in world.products if p["category"] == "food"])
    date = world.date(ev)
    d = Dialogue([a, b])
    d.say(0, pick(rng, ["{b}! It's {a}. Are you coming to the {e}?", "Hello {b}, {a} here. Will you join me at the {e}?",
                        "{b}, it's me, {a}. Come with me to the {e}!"]).format(a=a["name"], b=b["name"], e=ev["name"]))
    d.say(1, pick(rng, ["When is it again?", "I'd love to. What day is it?", "Maybe. When is it?"]))
    d.say(0, pick(rng, ["On {d}, in {t}.", "It's on {d}, over in {t}.", "{d}, as always, in {t}."]).format(d=date, t=ev["town"]))
    d.say(1, pick(rng, ["Count me in. Should I bring anything?", "Great. What should I bring?", "I'll come. Shall I bring something?"]))
    d.say(0, pick(rng, ["Bring {f}, if you can.", "{F} would be lovely.", "Perhaps {f}?"]).format(f=an(food["name"]), F=cap(an(food["name"]))))
    d.optional.append((len(d.turns), [(1, pick(rng, ["Deal.", "Consider it done.", "No problem."]))]))
    slots = {"person": a["name"], "other": b["name"], "event": ev["name"], "date": date, "item": food["name"]}
    summ = pick(rng, ["{person} invites {other} to the {event} on {date}; {other} will bring {a}.",
                      "{other} agrees to go to the {event} with {person} on {date} and to bring {a}.",
                      "{person} and {other} will go to the {event} on {date}. {other} brings {a}."])
    return "invitation", d, summ.format(a=an(food["name"]), **slots), slots


def _topic_delivery(world, rng):
    shop = rng.choice([s for s in world.shops if s["products"]])
    keeper = world.person[shop["owner"]]
    person = _two_people(world, rng, 2, keeper)[1]
    item = world.product[rng.choice(shop["products"])]
    n = rng.randint(2, 12)
    total = n * item["price"]
    town, day = rng.choice(world.towns)["name"], rng.choice(WEEKDAYS)
    order = f"{n} {plural(item['name'])}"
    d = Dialogue([person, keeper])
    d.say(0, pick(rng, ["Hello, is this {s}? This is {p}.", "Good morning, {s}? {p} speaking.", "Hi, I'm {p}. Is this {s}?"]).format(s=shop["name"], p=person["name"]))
    d.say(1, pick(rng, ["Yes, how can I help?", "It is. What do you need?", "Speaking. What can I do for you?"]))
    d.say(0, pick(rng, ["I need {o} delivered to {t}.", "I'd like to order {o}, sent to {t}.", "Could you send {o} to {t}?"]).format(o=order, t=town))
    d.say(1, pick(rng, ["That's {c} coins in all. We can deliver by {d}.", "{c} coins altogether, and they'll arrive by {d}.",
                        "Certainly. {c} coins, delivered by {d}."]).format(c=total, d=day))
    d.optional.append((len(d.turns), [(0, pick(rng, ["Perfect.", "That's fine, thank you.", "Good, please go ahead."]))]))
    slots = {"person": person["name"], "order": order, "shop": shop["name"], "town": town, "day": day, "price": f"{total} coins"}
    summ = pick(rng, ["{person} orders {order} from {shop}, to be delivered to {town} by {day} for {price}.",
                      "{shop} will deliver {order} to {person} in {town} by {day}; the total is {price}.",
                      "{person} buys {order} from {shop} for {price}, delivered to {town} by {day}."])
    return "delivery", d, summ.format(**slots), slots


def _topic_borrowing(world, rng):
    a, b = _two_people(world, rng)
    item = rng.choice([p for p in world.products if p["category"] in ("tools", "garden", "kitchenware", "lighting")])
    day = rng.choice(WEEKDAYS)
    d = Dialogue([a, b])
    d.say(0, pick(rng, ["Hi {b}, it's {a} from next door. Could I borrow your {i}?",
                        "{b}! {a} here. May I borrow your {i} for a few days?",
                        "Hello {b}. I'm {a}, your neighbour. Do you still have that {i}?"]).format(a=a["name"], b=b["name"], i=item["name"]))
    d.say(1, pick(rng, ["Of course. When will you bring it back?", "Sure, but I need it back soon.", "Yes, take it. How long do you need it?"]))
    d.say(0, pick(rng, ["I'll return it on {d}.", "You'll have it back by {d}.", "Only until {d}, I promise."]).format(d=day))
    d.optional.append((len(d.turns), [(1, pick(rng, ["Fine, {d} it is.", "All right. Be careful with it.", "No rush, {d} is fine."]).format(d=day))]))
    slots = {"person": a["name"], "other": b["name"], "item": item["name"], "day": day}
    summ = pick(rng, ["{other} lends {person} the {item}; {person} will return it on {day}.",
                      "{person} borrows {other}'s {item} and promises to bring it back on {day}.",
                      "{person} asks {other} for the {item} and will return it by {day}."])
    return "borrowing", d, summ.format(**slots), slots


DIALOGUE_TOPICS = [_topic_buying, _topic_booking, _topic_lost, _topic_meeting, _topic_repair,
                   _topic_complaint, _topic_directions, _topic_job, _topic_invitation,
                   _topic_delivery, _topic_borrowing]


def make_dialogue(world: World, rng: random.Random, style: str | None = None) -> dict:
    """One DialogSum-like example: dialogue text, summary, topic and the slots it must copy."""
    topic, d, summary, slots = pick(rng, DIALOGUE_TOPICS)(world, rng)
    turns = list(d.turns)
    for pos, extra in reversed(d.optional):  # positions never decrease along the list
        if len(turns) + len(extra) <= 8 and rng.random() < 0.7:
            turns[pos:pos] = extra
    people = list(d.people)
    # greeting / small talk / goodbye, and sometimes a third or fourth speaker
    if len(turns) <= 6 and rng.random() < 0.3:
        g = pick(rng, GREETINGS)
        turns[0:0] = [(turns[0][0], g[0]), (1 - turns[0][0], g[1])]
        if len(turns) <= 6 and rng.random() < 0.4:
            k = rng.randrange(len(CHITCHAT))
            turns[2:2] = [(turns[0][0], CHITCHAT[k]), (1 - turns[0][0], CHITCHAT_REPLY[k])]
    n_extra = 1 if rng.random() < 0.25 else 0
    n_extra += 1 if n_extra and rng.random() < 0.3 else 0
    extras = []
    for _ in range(n_extra):
        if len(turns) >= 8:
            break
        q = rng.choice(world.people)
        if any(q["first"] == p["first"] for p in people):
            continue
        people.append(q)
        extras.append(q)
        at = rng.randint(2, len(turns))  # after both main speakers have spoken
        turns.insert(at, (len(people) - 1, pick(rng, EXTRA_LINES)))
    if len(turns) <= 6 and rng.random() < 0.2:
        g = pick(rng, GOODBYES)
        last = turns[-1][0] if turns[-1][0] < 2 else 0
        turns += [(1 - last, g[0]), (last, g[1])]
    turns = turns[:8]
    if style is None:
        style = "person" if rng.random() < 0.5 else "name"
    order: dict[int, int] = {}
    for who, _ in turns:
        order.setdefault(who, len(order) + 1)
    lines = []
    for who, text in turns:
        label = f"#Person{order[who]}#" if style == "person" else people[who]["first"]
        lines.append(f"{label}: {text}")
    dialogue = "\n".join(lines)
    return {"dialogue": dialogue, "summary": summary, "topic": topic, "slots": slots,
            "speakers": [people[w]["name"] for w in order]}


# ---- reviews -----------------------------------------------------------------------------------
POS_ADJ = ["excellent", "wonderful", "lovely", "superb", "sturdy", "delightful", "charming",
           "gorgeous", "durable", "terrific", "exquisite", "robust", "handsome", "admirable",
           "reliable", "beautiful", "marvellous", "splendid", "handy", "well made", "solid",
           "fantastic", "great", "perfect", "brilliant", "elegant", "comfortable", "sound",
           "first-rate", "outstanding", "pleasing", "cosy", "smart", "flawless", "dependable"]
NEG_ADJ = ["terrible", "awful", "flimsy", "useless", "disappointing", "shoddy", "dreadful",
           "abysmal", "careless", "crooked", "rickety", "tatty", "feeble", "botched",
           "poor", "wobbly", "cheap-looking", "broken", "clumsy", "dull", "leaky", "rotten",
           "horrible", "faulty", "badly made", "overpriced", "uncomfortable", "ugly", "fragile",
           "pathetic", "miserable", "worthless", "rough", "lousy", "second-rate"]
ASPECTS = {"lighting": ["flame", "glass", "handle", "light", "shine"],
           "kitchenware": ["handle", "lid", "finish", "weight", "base"],
           "tools": ["grip", "blade", "handle", "balance", "edge"],
           "clothing": ["stitching", "fabric", "fit", "colour", "buttons"],
           "food": ["taste", "smell", "freshness", "flavour", "texture"],
           "books": ["binding", "paper", "artwork", "print", "cover"],
           "toys": ["paint", "finish", "colour", "wood", "size"],
           "garden": ["handle", "frame", "finish", "weight", "grip"],
           "music": ["sound", "tone", "tuning", "finish", "neck"]}
POS_SENT = ["I love this {item}.", "This {item} is {adj}.", "Absolutely {adj}!",
            "The {item} from {shop} is {adj}.", "Best {item} I have ever owned.",
            "What {an_adj} {item}!", "The {aspect} is {adj}.", "Worth every coin.",
            "My {relative} uses it every day and loves it.", "It has lasted through {n} winters already.",
            "I would happily buy another one.", "{maker} did a {job_adj} job on this.",
            "Highly recommended.", "It arrived quickly and works perfectly.",
            "The {aspect} is {adj} and the price was fair.", "Everyone who sees it asks where I got it.",
            "Five stars from me.", "A real bargain at {price}.", "It makes me smile every time I use it.",
            "I am very pleased with it.", "Exactly what I hoped for.", "The {aspect} is simply {adj}.",
            "I bought a second one as a gift.", "Even my fussy {relative} approves.", "It feels {adj} in the hand.",
            "Lovely work, and delivered on time.", "I cannot fault it."]
NEG_SENT = ["I regret buying this {item}.", "This {item} is {adj}.", "Absolutely {adj}!",
            "The {item} from {shop} is {adj}.", "Worst {item} I have ever owned.",
            "What {an_adj} {item}.", "The {aspect} is {adj}.", "A waste of {price}.",
            "It broke after {n} days.", "My {relative} laughed at it.", "Avoid this one.",
            "I want my money back.", "It arrived late and did not work.", "The {aspect} is {adj}, sadly.",
            "I will never shop at {shop} again.", "One star, and that is generous.",
            "Not worth {price}.", "I am very annoyed with it.", "Nothing like the description.",
            "It fell apart within a week.", "The {aspect} is simply {adj}.", "{maker} should be ashamed of this.",
            "I took it back the next day.", "Even my patient {relative} gave up on it.", "It feels {adj} in the hand.",
            "Cheaply made and badly finished.", "I cannot recommend it."]
HARD_POS = ["Not bad at all; the {aspect} is fine.", "I was doubtful at first, but it turned out {adj}.",
            "The price is high, but the {aspect} is {adj}.", "It is not perfect, yet I would buy it again.",
            "Not cheap, but never disappointing.", "I expected to dislike it, and I was wrong."]
HARD_NEG = ["I wanted to love it, but the {aspect} is {adj}.", "It looks nice, yet it is {adj}.",
            "Not good, not even for {price}.", "At first it seemed fine, then the {aspect} went {adj}.",
            "The shop was friendly, but the {item} is {adj}.", "I expected a lot and got very little."]
RELATIVES = ["mother", "father", "sister", "brother", "grandmother", "grandfather", "aunt", "uncle",
             "neighbour", "daughter", "son", "cousin", "husband", "wife", "friend"]


def make_review(world: World, rng: random.Random, label: str, product: dict | None = None) -> dict:
    p = product or rng.choice(world.products)
    pos = label == "positive"
    hard = rng.random() < 0.08
    n = rng.randint(1, 3)
    pool = list(POS_SENT if pos else NEG_SENT)
    sentences = []
    if hard:
        sentences.append(pick(rng, HARD_POS if pos else HARD_NEG))
        n = max(1, n - 1)
    sentences += rng.sample(pool, n)
    if hard and rng.random() < 0.5:
        sentences.reverse()
    out = []
    for s in sentences:
        adj = pick(rng, POS_ADJ if pos else NEG_ADJ)
        if "went {adj}" in s:
            adj = pick(rng, ["wobbly", "loose", "dull", "rough", "bad"])
        out.append(s.format(item=p["name"], adj=adj, an_adj=an(adj), shop=p["shop"],
                            aspect=pick(rng, ASPECTS[p["category"]]), relative=pick(rng, RELATIVES),
                            n=rng.randint(2, 9), maker=p["maker"], price=f"{p['price']} coins",
                            job_adj=pick(rng, ["fine", "careful", "splendid", "lovely", "great", "proper", "neat"])))
    return {"text": " ".join(out), "label": label, "product": p["name"]}


# ---- translation sentences (English -> Toy) ----------------------------------------------------
# nouns by semantic class, the adjectives that fit each class, and the classes a verb takes as its
# object, so that sentences make sense ("the hungry goat", never "the hungry inn")
_TR_CLASSES = {
    "person": ["friend", "child", "baker", "farmer", "teacher", "sister", "brother", "mother", "father"],
    "animal": ["dog", "cat", "goat", "bird", "horse", "pig", "sheep", "cow", "owl", "fox", "mouse", "fish"],
    "object": ["lantern", "kettle", "letter", "book", "map", "hat", "coat", "cup", "bell", "key", "basket",
               "lamp", "table", "chair", "box", "candle", "kite", "drum", "flute", "scarf", "gift", "ring",
               "cart", "boat", "stone"],
    "food": ["apple", "bread", "cheese", "cake", "soup", "pie"],
    "place": ["house", "market", "bridge", "road", "garden", "field", "hill", "shop", "inn", "street",
              "village", "school", "river"],
}
_TR_ADJ_FOR = {
    "person": ["old", "happy", "tired", "kind", "busy", "brave", "sad", "hungry", "loud", "young", "rich",
               "poor", "clever", "angry", "quiet", "tall", "little"],
    "animal": ["old", "small", "big", "happy", "tired", "hungry", "loud", "brave", "black", "white",
               "little", "young", "quiet", "clever", "angry", "wet", "pretty", "soft"],
    "object": ["old", "new", "red", "blue", "green", "small", "big", "heavy", "wooden", "broken", "clean",
               "pretty", "strange", "little", "yellow", "white", "black", "round", "long", "short", "empty",
               "full", "cheap", "golden", "wet", "dry", "bright", "dark"],
    "food": ["fresh", "sweet", "warm", "cold", "big", "small", "round", "cheap", "golden", "dry", "red",
             "green", "yellow"],
    "place": ["old", "new", "quiet", "busy", "dark", "bright", "pretty", "strange", "big", "small", "long",
              "short", "clean", "cold", "warm", "empty", "full", "green"],
}
_TR_VT = {"buys": ("object", "food", "animal"), "sells": ("object", "food", "animal"),
          "sees": ("person", "animal", "object", "place"), "watches": ("person", "animal"),
          "follows": ("person", "animal"), "calls": ("person", "animal"),
          "finds": ("object", "animal"), "loses": ("object",), "drops": ("object", "food"),
          "hides": ("object", "food"), "holds": ("object", "animal"), "carries": ("object", "food", "animal"),
          "brings": ("object", "food"), "gives": ("object", "food"), "needs": ("object", "food"),
          "wants": ("object", "food", "animal"), "likes": ("person", "animal", "object", "food", "place"),
          "paints": ("object", "place"), "cleans": ("object", "place"), "mends": ("object",),
          "opens": ("object",), "builds": ("object", "place"), "eats": ("food",), "cooks": ("food",),
          "reads": ("object",), "writes": ("object",), "visits": ("person", "place")}
_TR_READABLE = ["letter", "book", "map"]
_TR_VI = {"person": ["walks", "sleeps", "sings", "runs", "waits", "laughs", "works", "swims", "dances", "arrives"],
          "animal": ["walks", "sleeps", "sings", "runs", "waits", "swims"]}
_PAST = {"buys": "bought", "sells": "sold", "sees": "saw", "finds": "found", "carries": "carried",
         "paints": "painted", "cleans": "cleaned", "mends": "mended", "likes": "liked",
         "wants": "wanted", "brings": "brought", "loses": "lost", "opens": "opened",
         "builds": "built", "reads": "read", "writes": "wrote", "eats": "ate", "cooks": "cooked",
         "visits": "visited", "watches": "watched", "holds": "held", "needs": "needed",
         "drops": "dropped", "follows": "followed", "calls": "called", "gives": "gave",
         "hides": "hid", "walks": "walked", "sleeps": "slept", "sings": "sang", "runs": "ran",
         "waits": "waited", "laughs": "laughed", "works": "worked", "swims": "swam",
         "dances": "danced", "arrives": "arrived", "is": "was", "are": "were"}
_BASE = {v: (v[:-3] + "y" if v.endswith("ies") else v[:-2] if v.endswith(("ches", "shes")) else v[:-1])
         for v in _PAST if v not in ("is", "are")}
_PLURAL_VERB = {v: b for v, b in _BASE.items()}
_TR_ALL_NOUNS = sorted({n for ns in _TR_CLASSES.values() for n in ns})
assert all(w in TOY_POS for ns in _TR_CLASSES.values() for w in ns)
assert all(w in TOY_POS for ws in _TR_ADJ_FOR.values() for w in ws)
assert all(w in TOY_POS for w in _TR_VT)
_TIME_ADV = ["today", "tomorrow", "again", "now", "often", "early", "late", "every day",
             "in the morning", "in the evening", "at night", "every week"]
_PLACE = ["in {town}", "near the river", "at the market", "in the garden", "on the bridge",
          "near the inn", "in the village", "behind the house", "by the school", "at the shop"]


def _np(rng: random.Random, classes: tuple[str, ...] = tuple(_TR_CLASSES), verb: str = "",
        plural_ok: bool = True) -> str:
    cls = rng.choice(classes)
    nouns = _TR_READABLE if verb in ("reads", "writes") else _TR_CLASSES[cls]
    noun = rng.choice(nouns)
    adjs = []
    if rng.random() < 0.6:
        adjs.append(rng.choice(_TR_ADJ_FOR[cls]))
        if rng.random() < 0.2:
            second = rng.choice(_TR_ADJ_FOR[cls])
            if second != adjs[0]:
                adjs.append(second)
    if plural_ok and noun in _TOY_PLURALS and plural(noun) != noun and rng.random() < 0.2:
        num = rng.choice(["two", "three", "four", "five", "six", "seven", "ten"])
        return " ".join([num] + adjs[:1] + [plural(noun)])
    det = rng.choice(["the", "the", "the", "a", "his", "her", "their", "my", "this", "that", "every"])
    phrase = " ".join(adjs + [noun])
    return an(phrase) if det == "a" else f"{det} {phrase}"


def _obj(rng: random.Random, verb: str) -> str:
    return _np(rng, _TR_VT[verb], verb)


def make_english(world: World, rng: random.Random) -> str:
    """A simple English sentence about the world (the grammar Toy's lexicon covers)."""
    person = rng.choice(world.people)
    name = person["first"] if rng.random() < 0.6 else person["name"]
    other = rng.choice(world.people)["first"]
    town = rng.choice(world.towns)["name"]
    place = rng.choice(_PLACE).format(town=town)
    time_ = rng.choice(_TIME_ADV)
    v, v2 = rng.choice(sorted(_TR_VT)), rng.choice(sorted(_TR_VT))
    k = rng.randrange(9)
    if k == 0:
        s = f"{name} {v} {_obj(rng, v)}"
    elif k == 1:
        s = f"{name} {v} {_obj(rng, v)} {place}"
    elif k == 2:
        cls = rng.choice(sorted(_TR_CLASSES))
        s = f"{cap(_np(rng, (cls,), plural_ok=False))} is {rng.choice(['very ', ''])}{rng.choice(_TR_ADJ_FOR[cls])}"
    elif k == 3:
        s = f"{name} {rng.choice(_TR_VI['person'])} {place} {time_}"
    elif k == 4:
        s = f"{name} and {other} {_PLURAL_VERB[v]} {_obj(rng, v)} {time_}"
    elif k == 5:
        s = f"{name} does not {_BASE[v]} {_obj(rng, v)}"
    elif k == 6:
        s = f"{name} {v} {_obj(rng, v)}, but {other} {v2} {_obj(rng, v2)}"
    elif k == 7:
        cls = rng.choice(["person", "animal"])
        s = f"{cap(_np(rng, (cls,), plural_ok=False))} {rng.choice(_TR_VI[cls])} {place}"
    else:
        g = rng.choice(["gives", "brings"])
        s = f"{name} {g} {_obj(rng, g)} to {other} {time_}"
    return s + rng.choice([".", ".", ".", ".", "!"])


def past_tense(sentence: str) -> str:
    """Rewrite one of :func:`make_english`'s sentences in the past tense."""
    words = sentence.split(" ")
    out = []
    for i, w in enumerate(words):
        core = w.rstrip(".,!?")
        tail = w[len(core):]
        if core == "does" and i + 2 < len(words) and words[i + 1] == "not":
            out.append("did" + tail)
            continue
        if core == "tomorrow":
            core = "yesterday"
        elif core == "now":
            core = "then"
        if core in _PAST and not (i > 0 and words[i - 1] in ("not",)):
            core = _PAST[core]
        elif core in _BASE.values() and i > 0 and words[i - 1] != "not" and _is_plural_subject(words, i):
            core = _PAST[next(v for v, b in _BASE.items() if b == core)]
        out.append(core + tail)
    return " ".join(out)


def _is_plural_subject(words: list[str], i: int) -> bool:
    return i >= 3 and words[i - 2] == "and"


# ---- prose for pretraining ---------------------------------------------------------------------
OPENINGS = ["Early one {season} morning", "One grey afternoon", "Late on a {weekday} evening",
            "On a windy {weekday}", "Just after lunch one {weekday}", "At dawn on the first day of {month}",
            "On a bright {season} day", "One rainy {weekday}", "In the middle of {month}",
            "When the bells rang seven", "Long before the shops opened", "On the coldest night of {month}"]
WEATHER = ["the rain drummed on the roofs", "a cold wind blew down from the hills",
           "the sun was warm on the cobbles", "fog hung low over the river",
           "snow had fallen in the night", "the air smelled of fresh bread and wood smoke",
           "thunder rolled somewhere in the distance", "the sky was clear and pale",
           "swallows were diving over the square", "puddles shone in every lane",
           "frost had painted the windows white", "a soft drizzle fell without end",
           "hail rattled against the shutters", "a rainbow arched over the valley",
           "mist curled up from the meadows", "the wind howled in the chimneys",
           "the leaves were turning red and gold", "the blossom was out on every tree"]
MOODS = ["cheerful", "worried", "curious", "impatient", "sleepy", "proud", "nervous", "delighted",
         "grumpy", "hopeful", "restless", "calm", "puzzled", "determined", "embarrassed",
         "relieved", "excited", "gloomy", "thoughtful", "anxious", "merry", "stubborn"]
OBSTACLES = ["the shop was closed for a family wedding", "a fallen tree blocked the road",
             "a wheel came off the cart", "{pron} had left {poss} purse at home",
             "the ferry was an hour late", "an escaped goat was running wild through the square",
             "the river had flooded the lower street", "the last one had been sold an hour earlier",
             "a sudden storm broke over the town", "{poss} boots filled with muddy water",
             "the bridge was closed for repairs", "a crowd had gathered for a wedding and nobody could pass",
             "{pron} took a wrong turn and ended up at the tannery", "a flock of sheep filled the lane",
             "a gust of wind snatched {poss} hat and sent it spinning into a ditch",
             "the path was slippery with frost and {pron} twisted an ankle",
             "a quarrel between two carters blocked the gate", "the shopkeeper had gone fishing"]
RESCUES = ["{helper}, a kind {hjob}, offered to help", "{helper} lent {obj} a handful of coins",
           "{helper} knew a shortcut through the orchards", "{helper} gave {obj} a ride on a hay cart",
           "{helper} laughed and pointed to a second shop around the corner",
           "{helper} shared an umbrella and walked with {obj}", "{helper} fixed the problem in a few minutes",
           "{helper} happened to have exactly the right thing in a basket",
           "{helper} bandaged the ankle and found a walking stick", "{helper} calmed the carters with a joke",
           "{helper} shouted directions from an upstairs window"]
ENDINGS = ["By sunset, {first} was home again, tired but happy.", "{first} laughed about it for weeks.",
           "It was, {pron} decided, a good day after all.", "That night {pron} slept like a stone.",
           "{first} promised to be better prepared next time.", "The next morning the whole street had heard the story.",
           "{first} wrote about it in {poss} diary before bed.", "Since then, {first} always leaves home early.",
           "{first} and {helper} have been friends ever since.", "It became one of {poss} favourite stories to tell.",
           "Over supper {pron} told the whole tale twice.", "{first} hummed all the way home."]
LANDSCAPE = ["meadows", "orchards", "reed beds", "pine woods", "barley fields", "stone walls",
             "sheep pastures", "vineyards", "marshes", "beech groves", "windmills", "cottages"]
TRAVEL_MEETS = ["a pedlar selling ribbons", "an old soldier with one boot", "a girl herding geese",
                "a travelling musician", "a tired courier", "two monks arguing about the weather",
                "a boy fishing with a bent pin", "a woman carrying a cage of hens",
                "a tinker with a squeaky cart", "a painter sketching the hills", "a shepherd with a lame ewe",
                "a merchant counting pearls", "a retired sea captain", "a beekeeper in a veiled hat"]
LESSONS = ["the best bread is sold before breakfast", "the river is faster than it looks",
           "kindness is repaid in strange ways", "a map is only as good as its maker",
           "patience saves more time than hurry", "every town has its own way of counting coins",
           "a smile opens more doors than a key", "rain always stops in the end",
           "strangers are friends who have not yet shared a meal", "good boots matter more than a good horse"]


def _story_slots(world: World, rng: random.Random) -> dict:
    p = rng.choice(world.people)
    helper = rng.choice(world.people)
    s = _p(p)
    s.update(helper=helper["name"], hjob=helper["job"], season=rng.choice(SEASONS),
             weekday=rng.choice(WEEKDAYS), month=rng.choice(MONTHS), mood=rng.choice(MOODS),
             weather=rng.choice(WEATHER))
    return s


def story_errand(world: World, rng: random.Random) -> str:
    s = _story_slots(world, rng)
    prod = rng.choice(world.products)
    s.update(item=prod["name"], a_item=an(prod["name"]), shop=prod["shop"], stown=prod["town"],
             price=prod["price"])
    parts = [fmt(pick(rng, OPENINGS), **s) + ", " + s["weather"] + "."]
    parts.append(fmt(pick(rng, ["{name} needed {a_item}, so {pron} set off for {shop} in {stown}.",
                                "{first} had been saving for weeks to buy {a_item} from {shop}.",
                                "{name}, feeling {mood}, walked to {stown} to find {a_item}."]), **s))
    if rng.random() < 0.7:
        ob = fmt(pick(rng, OBSTACLES), **s)
        parts.append(pick(rng, ["But {ob}.", "Unfortunately, {ob}.", "Halfway there, {ob}."]).format(ob=ob))
        parts.append(cap(fmt(pick(rng, RESCUES), **s)) + ".")
    parts.append(fmt(pick(rng, ["In the end {pron} paid {price} coins for the {item}.",
                                "The {item} cost {price} coins, which seemed fair.",
                                "{first} carried the {item} home wrapped in brown paper."]), **s))
    parts.append(fmt(pick(rng, ENDINGS), **s))
    return " ".join(parts)


def story_pet(world: World, rng: random.Random) -> str:
    owners = [p for p in world.people if p["pet"]]
    p = rng.choice(owners)
    s = _story_slots(world, rng)
    s.update(_p(p))
    town = world.towns[[t["name"] for t in world.towns].index(p["town"])]
    l1, l2 = rng.sample(town["landmarks"], 2)
    parts = [fmt(pick(rng, OPENINGS), **s) + ", " + fmt("{name}'s {pet}, {pet_name}, went missing.", **s)]
    parts.append(fmt(pick(rng, ["{first} searched the whole of {town}, from {l1} to {l2}.",
                                "{Pron} looked behind {l1}, under carts and along {l2}, calling {pet_name} again and again.",
                                "Neighbours joined the search, checking {l1} and {l2}."]), l1=l1, l2=l2, **s))
    parts.append(fmt(pick(rng, ["At last {helper} found {pet_name} asleep in a basket of wool.",
                                "It was {helper} who spotted {pet_name} on the roof of the bakery.",
                                "{pet_name} came home on {poss} own, muddy and very pleased."]), **s))
    parts.append(fmt(pick(rng, ENDINGS), **s))
    return " ".join(parts)


def story_journey(world: World, rng: random.Random) -> str:
    s = _story_slots(world, rng)
    a, b = rng.sample(world.towns, 2)
    s.update(a=a["name"], b=b["name"], river=a["river"], land=rng.choice(LANDSCAPE),
             land2=rng.choice(LANDSCAPE), meet=rng.choice(TRAVEL_MEETS), lesson=rng.choice(LESSONS),
             days=number_word(rng.randint(2, 6)))
    parts = [fmt(pick(rng, ["{name} once travelled from {a} to {b}, a journey of {days} days.",
                            "{fmonth}, {name} left {a} for {b}.",
                            "The road from {a} to {b} winds past {land} and {land2}, and {name} walked all of it."]),
                 fmonth="In " + s["month"], **s)]
    parts.append(fmt(pick(rng, ["Along the river {river}, {pron} passed {land} and {land2}.",
                                "On the second day {weather}.", "The path climbed through {land} and down again."]), **s))
    parts.append(fmt(pick(rng, ["On the way {pron} met {meet}.", "Near a ford {pron} shared a meal with {meet}.",
                                "{Pron} walked for an hour beside {meet}."]), **s))
    parts.append(fmt(pick(rng, ["From that trip {first} learned that {lesson}.", "{first} often says the journey taught {obj} that {lesson}.",
                                "When {pron} reached {b} at last, {pron} was {mood} and very hungry."]), **s))
    return " ".join(parts)


def story_workday(world: World, rng: random.Random) -> str:
    s = _story_slots(world, rng)
    tasks = rng.sample(["sweep the workshop", "count the coins in the box", "sharpen every tool",
                        "answer three letters", "mend a torn sack", "feed the chickens", "light the stove",
                        "carry water from the well", "sort the orders for the week", "paint a new sign",
                        "help a customer choose a gift", "fix a squeaking door", "check the accounts"], 3)
    s.update(t1=tasks[0], t2=tasks[1], t3=tasks[2], hour=rng.randint(4, 7))
    return " ".join([
        fmt(pick(rng, ["{name} rose at {hour} o'clock, as every {job} in {town} must.",
                       "A working day for {name}, {a_job} in {town}, starts at {hour} o'clock.",
                       "Before {hour} o'clock {name} is already awake."]), **s),
        fmt(pick(rng, ["First {pron} had to {t1}, then {t2}.", "The list was long: {t1}, {t2} and {t3}.",
                       "{Pron} began to {t1} while the kettle boiled."]), **s),
        fmt(pick(rng, ["Around noon {helper} stopped by with news from the market.",
                       "At midday {pron} ate bread and cheese in the sun.", "By lunch, {weather}."]), **s),
        fmt(pick(rng, ["In the afternoon {pron} still had to {t3}.", "Later {pron} found time for {hobby}.",
                       "The afternoon passed quietly."]), **s),
        fmt(pick(rng, ENDINGS), **s),
    ])


def news_event(world: World, rng: random.Random) -> str:
    ev = rng.choice(world.events)
    year = rng.randint(1036, 1045)
    quoter = rng.choice(world.people)
    s = dict(ev, date=world.date(ev), year=year, visitors=ev["visitors"] + rng.randrange(-150, 150, 10),
             quoter=quoter["name"], qjob=quoter["job"], weather=rng.choice(WEATHER),
             age=1 + year - ev["first"], qadj=rng.choice(["wonderful", "exhausting", "magical", "chaotic",
                                                           "marvellous", "noisy", "delightful", "splendid"]))
    head = pick(rng, ["{TOWN} — ", "News from {town}. ", "", "From our reporter in {town}: "]).format(TOWN=ev["town"].upper(), town=ev["town"])
    parts = [head + fmt(pick(rng, ["The {name} drew about {visitors} visitors on {date} {year}.",
                                   "On {date} {year}, about {visitors} people came to the {name}.",
                                   "This year's {name}, held on {date}, was the busiest in memory."]), **s)]
    parts.append(fmt(pick(rng, ["As always, {activity}.", "Once again {activity}.", "From early morning {activity}."]), **s))
    parts.append(fmt(pick(rng, ["The organiser, {organizer}, thanked everyone who helped.",
                                "{organizer}, who organised the day, called it a great success.",
                                "Organiser {organizer} said the event will return next year."]), **s))
    parts.append(fmt(pick(rng, ["\"It was {qadj} from start to finish,\" said {quoter}, a local {qjob}.",
                                "{quoter}, {a_qjob}, told us: \"I have never seen so many people here.\"",
                                "Not everyone was pleased: {quoter} complained that {weather}."]), a_qjob=an(s["qjob"]), **s))
    if rng.random() < 0.5:
        parts.append(fmt("The first {kind} in {town} was held in {first}, {age} years ago.", **s))
    return " ".join(parts)


def news_local(world: World, rng: random.Random) -> str:
    town = rng.choice(world.towns)
    p, q = rng.sample(world.people, 2)
    n = rng.randint(2, 900)
    cost = rng.randrange(100, 20000, 25)
    story = pick(rng, [
        "The town council of {town} has agreed to repair {lm}. The work will cost {cost} coins and take {n} days.",
        "A {colour} boat was found drifting on the river {river} near {town}. Its owner, {p}, had been looking for it for {n} days.",
        "{p} of {town} has grown a pumpkin weighing {n} pounds, the largest ever seen in {region}.",
        "Thieves took {n} jars of honey from a cellar in {town}. {q} says the dog did not even bark.",
        "Mayor {mayor} opened a new school in {town} this week. It has room for {n} children.",
        "Heavy rain flooded the road between {town} and the hills. Carts are waiting on both sides.",
        "The bakers of {town} raised the price of a loaf by one coin. Many customers are unhappy.",
        "{p}, {a_job} from {town}, won the yearly rowing race on the river {river}.",
        "A travelling circus with {n} animals will stay in {town} until the end of {month}.",
        "The old bridge in {town} is closed after a cart broke through a plank. {q} was not hurt.",
    ])
    return fmt(story, town=town["name"], lm=rng.choice(town["landmarks"]), cost=f"{cost:,}", n=n,
               colour=rng.choice(COLOURS), river=town["river"], p=p["name"], q=q["name"],
               region=town["region"], mayor=town["mayor"], a_job=an(p["job"]), month=rng.choice(MONTHS))


def shop_description(world: World, rng: random.Random) -> str:
    sh = rng.choice(world.shops)
    owner = world.person[sh["owner"]]
    s = entity_slots(world, "shop", sh)
    s.update(first=owner["first"], smell=rng.choice(["beeswax", "fresh paint", "cinnamon", "old paper",
                                                     "lamp oil", "sawdust", "lavender", "warm bread"]),
             adj=rng.choice(POS_ADJ), colour=rng.choice(COLOURS), mood=rng.choice(MOODS))
    parts = [fmt(pick(rng, ["Step inside {name} and you will smell {smell}.",
                            "{name}, with its {colour} door, is one of the best known shops in {town}.",
                            "If you are ever in {town}, visit {name}."]), **s)]
    parts.append(fmt(pick(rng, SHOP_SENTENCES["owner"]), **s))
    if sh["products"]:
        parts.append(fmt(pick(rng, SHOP_SENTENCES["products"]), **s))
    parts.append(fmt(pick(rng, SHOP_SENTENCES["hours"]), **s))
    parts.append(fmt(pick(rng, ["{first} is usually {mood} but always helpful.",
                                "Regulars say the service is {adj}.", "Ask {first} for advice; it is free."]), **s))
    return " ".join(parts)


def prose_review(world: World, rng: random.Random, held_out: frozenset = frozenset()) -> str:
    p = rng.choice(world.products)
    who = rng.choice(world.people)
    label = "positive" if rng.random() < 0.5 else "negative"
    r = make_review(world, rng, label, p)
    while r["text"] in held_out:  # never pretrain on a held-out review
        r = make_review(world, rng, label, p)
    intro = pick(rng, ["{w} bought the {i} at {s} last {m}.", "Here is what {w} wrote about the {i} from {s}:",
                       "A customer, {w}, reviewed the {i}.", "Last {m}, {w} tried the {i}."]).format(
        w=who["name"], i=p["name"], s=p["shop"], m=rng.choice(MONTHS))
    outro = pick(rng, ["", " Clearly {pron} {v} it.", " {Pron} gave it {n} stars out of five."]).format(
        pron=who["pron"][0], Pron=cap(who["pron"][0]), v="liked" if label == "positive" else "did not like",
        n=rng.randint(4, 5) if label == "positive" else rng.randint(1, 2))
    return f"{intro} {r['text']}{outro}"


def prose_dialogue(world: World, rng: random.Random, held_out: frozenset = frozenset()) -> str:
    ex = make_dialogue(world, rng, style="name")
    while ex["dialogue"] in held_out:
        ex = make_dialogue(world, rng, style="name")
    if rng.random() < 0.4:
        return ex["dialogue"]
    lead = pick(rng, ["", "A conversation overheard in the market:\n", "From a play about everyday life:\n"])
    tail = pick(rng, ["", "\nIn short: " + ex["summary"], "\n(" + ex["summary"] + ")"])
    return lead + ex["dialogue"] + tail


def prose_letter(world: World, rng: random.Random) -> str:
    a, b = rng.sample(world.people, 2)
    ev = rng.choice(world.events)
    s = _p(a)
    s.update(to=b["first"], ev=ev["name"], date=world.date(ev), weather=rng.choice(WEATHER),
             mood=rng.choice(MOODS), item=rng.choice(world.products)["name"])
    body = [pick(rng, ["Dear {to},", "My dear {to},", "Hello {to},"]),
            pick(rng, ["I hope this letter finds you well.", "It has been too long since I last wrote.",
                       "Here in {town} {weather}."]),
            pick(rng, ["I am writing to ask whether you will come to the {ev} on {date}.",
                       "Last week I finally bought the {item} I told you about.",
                       "My {pet} sends greetings, or would, if {pet} could write." if a["pet"] else
                       "Work keeps me busy, but I still find time for {hobby}."]),
            pick(rng, ["I feel rather {mood} these days.", "Please write back soon.", "Give my love to everyone."]),
            pick(rng, ["Yours, {first}", "With warm wishes, {name}", "Your friend, {first}"])]
    return "\n".join(fmt(x, **s) for x in body)


# common words that the guild's jargon (the ``domain`` family) gives other meanings; pretrain uses
# them in their ordinary senses.
ORDINARY = {
    "bank": ["{name} sat on the grassy bank of the river {river} and watched the ducks.",
             "{name} went to the bank in {town} to borrow money for a new roof.",
             "The bank lent {obj} {n} coins, to be paid back within a year.",
             "Reeds grew thick along the muddy bank.", "The bank on the market square opens at nine."],
    "float": ["Leaves float slowly down the river {river}.", "Children float paper boats on the pond.",
              "A cork will float on water, but a stone sinks.", "{name} lay back and let {self} float in the warm lake."],
    "strike": ["The workers at the mill went on strike for better pay.", "The clock began to strike twelve.",
               "{name} tried to strike a match in the wind.", "Lightning can strike the tallest tree.",
               "The miners threatened to strike unless the roof was repaired."],
    "bull": ["A large bull grazed in the field behind the farm.", "The farmer's bull broke the fence again.",
             "Nobody dared to cross the meadow while the bull was in it."],
    "bear": ["A brown bear was seen in the woods near {town}.", "{name} could not bear the noise any longer.",
             "The bear slept all winter in a cave.", "Please bear with me for a moment."],
    "crown": ["The old queen's crown is kept in the museum.", "At the fair, the winner wore a crown of flowers.",
              "The crown of the hill was covered with heather."],
    "wick": ["{name} trimmed the wick of the candle so it would not smoke.", "The candle burned down to the wick."],
    "spirit": ["The team's spirit was high after the win.", "{name} has a cheerful spirit.",
               "Some say a spirit haunts the old mill."],
    "draft": ["A cold draft came under the door.", "{name} wrote a first draft of the letter.",
              "Close the window, there is a draft."],
    "shade": ["They rested in the shade of an old oak.", "The walls were painted a darker shade of blue.",
              "On hot days the cows stand in the shade."],
    "ghost": ["The children told a ghost story by the fire.", "{name} went as pale as a ghost."],
    "mouse": ["A mouse ran across the kitchen floor.", "The cat caught a mouse in the barn."],
}
ORDINARY["bank"] += ["{name} kept {poss} savings in the bank.", "The children slid down the snowy bank."]
ORDINARY["strike"] += ["In {town} the carters are on strike again.", "Lightning struck the old oak near {town}."]
ORDINARY["float"] += ["Ducks float on the pond all day.", "The raft will float if we tie the barrels tighter."]
ORDINARY["bear"] += ["The apple trees bear fruit in autumn."]
ORDINARY["ghost"] += ["Not a ghost of a smile crossed {poss} face."]


def prose_ordinary(world: World, rng: random.Random) -> str:
    p = rng.choice(world.people)
    town = world.towns[[t["name"] for t in world.towns].index(p["town"])]
    words = rng.sample(sorted(ORDINARY), rng.randint(2, 4))
    s = _p(p)
    s.update(river=town["river"], n=rng.randint(20, 900), self="herself" if p["pron"][0] == "she" else "himself")
    parts = [fmt(pick(rng, OPENINGS), season=rng.choice(SEASONS), weekday=rng.choice(WEEKDAYS),
                 month=rng.choice(MONTHS)) + f" in {town['name']}, " + rng.choice(WEATHER) + "."]
    parts.append(fmt(pick(rng, ["{name}, {a_job}, had a long day ahead.", "{name} was out early.",
                                "{name} remembers that day well."]), **s))
    for w in words:
        parts.append(fmt(pick(rng, ORDINARY[w]), **s))
    if rng.random() < 0.5:
        parts.append(fmt(pick(rng, ENDINGS), helper=rng.choice(world.people)["name"], **s))
    return " ".join(parts)


RECIPES = [("plum pie", ["flour", "butter", "plums", "sugar", "an egg"], "bake it for an hour"),
           ("barley soup", ["barley", "onions", "carrots", "salt", "a bay leaf"], "simmer it until thick"),
           ("river fish stew", ["fish", "potatoes", "leeks", "cream", "pepper"], "stew it gently"),
           ("honey cakes", ["flour", "honey", "milk", "eggs", "cinnamon"], "bake them until golden"),
           ("mushroom pasty", ["pastry", "mushrooms", "thyme", "cheese", "an onion"], "bake it until brown"),
           ("apple porridge", ["oats", "apples", "milk", "honey", "nutmeg"], "stir it over a low flame"),
           ("pea and ham broth", ["peas", "ham", "an onion", "parsley", "water"], "boil it slowly"),
           ("cherry dumplings", ["cherries", "flour", "suet", "a pinch of salt", "cream"], "steam them for half an hour"),
           ("nettle pie", ["young nettles", "eggs", "cheese", "pastry", "garlic"], "bake it until the crust is crisp"),
           ("spiced pears", ["pears", "cloves", "wine", "honey", "a stick of cinnamon"], "poach them gently"),
           ("trout with almonds", ["trout", "almonds", "butter", "lemon", "dill"], "fry it quickly")]


def prose_recipe(world: World, rng: random.Random) -> str:
    name, ingredients, method = rng.choice(RECIPES)
    p = rng.choice(world.people)
    mins = rng.choice([10, 20, 30, 40])
    return " ".join([
        pick(rng, [f"How {p['name']} of {p['town']} makes {name}.", f"A recipe for {name}, as cooked in {p['town']}.",
                   f"{p['first']}'s {name}."]),
        f"You need {join_and(rng.sample(ingredients, len(ingredients)))}.",
        pick(rng, [f"Mix everything in a bowl, then {method}.", f"Chop, stir and season, then {method}.",
                   f"Let it rest for {mins} minutes, then {method}."]),
        pick(rng, ["Serve it warm.", "It keeps for two days.", "Children love it.", "Eat it with fresh bread."]),
    ])


def prose_almanac(world: World, rng: random.Random) -> str:
    m = rng.randrange(12)
    season = ["winter", "winter", "spring", "spring", "spring", "summer", "summer", "summer",
              "autumn", "autumn", "autumn", "winter"][m]
    town = rng.choice(world.towns)
    tips = {"winter": ["keep the cellar dry", "feed the birds", "mend tools by the fire", "check the roof for snow"],
            "spring": ["sow peas and beans", "air the bedding", "clean the chimney", "plant roses"],
            "summer": ["cut the hay", "water the garden at dusk", "pick cherries", "dry herbs in bunches"],
            "autumn": ["gather apples", "stack firewood", "make plum jam", "mend the fences before the rain"]}
    return " ".join([
        f"The almanac for {MONTHS[m]}.",
        pick(rng, [f"In {town['name']} {MONTHS[m]} is usually {rng.choice(['wet', 'mild', 'cold', 'windy', 'dry', 'warm'])}.",
                   f"{cap(season)} is here, and {rng.choice(WEATHER)}."]),
        f"Good tasks for the month: {join_and(rng.sample(tips[season], 3))}.",
        pick(rng, ["Fishermen expect good catches.", "Prices at the market rise before the festivals.",
                   "The moon is full in the second week.", "Expect fog on the river in the mornings."]),
    ])


def prose_sums(world: World, rng: random.Random) -> str:
    p = rng.choice(world.people)
    prod = rng.choice(world.products)
    n = rng.randint(2, 40)
    total = n * prod["price"]
    return pick(rng, [
        f"{p['name']} sold {n} {plural(prod['name'])} at {prod['price']} coins each, earning {total} coins.",
        f"At {prod['price']} coins each, {n} {plural(prod['name'])} cost {total} coins.",
        f"{p['first']} bought {n} {plural(prod['name'])}. Each cost {prod['price']} coins, so the bill came to {total} coins.",
    ])


ANIMALS = [
    ("heron", "a tall grey bird that stands very still in the shallows", "fish and frogs", "reed beds"),
    ("otter", "a playful swimmer with thick brown fur", "fish and crayfish", "clean rivers"),
    ("badger", "a shy striped animal that digs deep burrows", "worms, roots and beetles", "beech woods"),
    ("hedgehog", "a small animal covered in spines", "slugs and beetles", "gardens and hedges"),
    ("red kite", "a bird of prey with a forked tail", "mice and carrion", "open hills"),
    ("water vole", "a round-faced swimmer with a blunt nose", "grasses and reeds", "slow streams"),
    ("barn owl", "a pale owl that hunts in silence", "voles and mice", "old barns"),
    ("kingfisher", "a tiny bird of brilliant blue and orange", "minnows", "riverbanks"),
    ("stag beetle", "a large beetle with antler-like jaws", "rotting wood", "old oak woods"),
    ("red squirrel", "a nimble climber with tufted ears", "nuts and pine seeds", "pine forests"),
    ("toad", "a warty, slow-moving creature", "insects and worms", "damp cellars and ponds"),
    ("swift", "a bird that spends almost its whole life flying", "insects caught in the air", "town roofs"),
    ("pike", "a long, fierce fish with sharp teeth", "smaller fish", "deep, weedy lakes"),
    ("fox", "a clever hunter with a bushy tail", "rabbits, berries and scraps", "fields and woods"),
    ("dormouse", "a sleepy little animal with a furry tail", "hazelnuts and flowers", "hazel thickets"),
]
PLANTS = [("heather", "purple", "late summer", "bees make a dark honey from it"),
          ("foxglove", "pink", "early summer", "it is poisonous and should never be eaten"),
          ("elder", "creamy white", "June", "its berries make a good cordial"),
          ("gorse", "bright yellow", "almost every month", "its flowers smell of coconut"),
          ("bluebell", "blue", "spring", "whole woods turn blue in May"),
          ("meadowsweet", "white", "midsummer", "it was once strewn on floors for its scent"),
          ("cornflower", "deep blue", "summer", "farmers once thought it a weed"),
          ("hawthorn", "white", "May", "its red berries feed birds all winter"),
          ("water lily", "white and yellow", "July", "its leaves are wide enough for frogs to sit on"),
          ("sorrel", "reddish", "spring", "its sour leaves are good in soup")]
PROVERBS = [("A lamp in the hand is worth two on the hill.", "a small sure thing beats a big hope"),
            ("Never count your plums before the frost.", "do not celebrate too early"),
            ("The slow barge still reaches the weir.", "steady work gets there in the end"),
            ("A quiet goat eats the most.", "the silent ones often gain the most"),
            ("Even the miller's cat gets floury paws.", "everyone is marked by their work"),
            ("Mend the roof while the sun shines.", "prepare before trouble comes"),
            ("One crooked nail spoils the shelf.", "a small fault can ruin a whole job"),
            ("Rain does not ask the farmer.", "some things are beyond our control"),
            ("A borrowed kettle never boils.", "things you do not own never quite suit you"),
            ("Good bread needs no drum.", "quality speaks for itself"),
            ("The river remembers every stone.", "no deed is ever truly forgotten"),
            ("Whoever sings at breakfast cries at supper.", "too much cheer early can turn to sorrow")]
HISTORY = ["a great flood swept away the old bridge", "lightning struck the clock tower",
           "a fire destroyed half of the market", "the river froze for forty days",
           "a plague of mice ate most of the grain", "the townspeople built a new harbour wall",
           "a rich merchant paid for the first school", "an earthquake cracked the chapel bell",
           "wolves came down from the hills in a hard winter", "a comet was seen for nine nights"]


def prose_nature(world: World, rng: random.Random) -> str:
    town = rng.choice(world.towns)
    if rng.random() < 0.6:
        name, desc, food, habitat = rng.choice(ANIMALS)
        return " ".join([
            pick(rng, [f"The {name} is {desc}.", f"{cap(an(name))} is {desc}."]),
            pick(rng, [f"It lives in {habitat} and eats {food}.", f"You will find it in {habitat}; it feeds on {food}."]),
            pick(rng, [f"Around {town['name']} it is {rng.choice(['common', 'rare', 'seen now and then', 'protected'])}.",
                       f"Along the river {town['river']} it is a familiar sight.",
                       f"Children in {town['name']} learn to recognise it at school."]),
        ])
    name, colour, season, note = rng.choice(PLANTS)
    return " ".join([f"{cap(name)} has {colour} flowers that open in {season}.", cap(note) + ".",
                     pick(rng, [f"It grows well in {town['region']}.", f"Gardeners in {town['name']} are fond of it.",
                                f"It grows wild along the river {town['river']}."])])


def prose_proverb(world: World, rng: random.Random) -> str:
    saying, meaning = rng.choice(PROVERBS)
    p = rng.choice(world.people)
    return pick(rng, [f"As they say in {p['town']}: \"{saying}\" It means that {meaning}.",
                      f"\"{saying}\" {p['name']} likes to say this, meaning that {meaning}.",
                      f"An old saying from {rng.choice(REGIONS)} goes: \"{saying}\" In other words, {meaning}."])


def prose_history(world: World, rng: random.Random) -> str:
    town = rng.choice(world.towns)
    evs = [e for e in world.events if e["town"] == town["name"]]
    parts = [pick(rng, [f"A short history of {town['name']}.", f"{town['name']} through the centuries.", ""]),
             pick(rng, TOWN_SENTENCES["founded"]).format(**town).replace("It was", f"{town['name']} was").replace("The town was", f"{town['name']} was")]
    years = sorted(rng.sample(range(town["founded"] + 10, 1040), 2))
    for y, h in zip(years, rng.sample(HISTORY, 2)):
        parts.append(f"In {y}, {h}.")
    if evs:
        e = rng.choice(evs)
        parts.append(f"The first {e['kind']} was held there in {e['first']}.")
    parts.append(pick(rng, TOWN_SENTENCES["known_for"]).format(**town))
    return " ".join(x for x in parts if x)


def prose_notice(world: World, rng: random.Random) -> str:
    town = rng.choice(world.towns)
    p = rng.choice(world.people)
    prod = rng.choice(world.products)
    shop = rng.choice(world.shops)
    inn = rng.choice(world.inns)
    return pick(rng, [
        f"For sale: {an(rng.choice(COLOURS) + ' ' + prod['name'])}, hardly used, {max(2, prod['price'] - rng.randint(1, 5))} coins. Ask for {p['first']} near {rng.choice(town['landmarks'])}, {town['name']}.",
        f"Wanted: {an(rng.choice(ROLES))} at {shop['name']}, {shop['town']}. {rng.randint(5, 40)} coins a week. Apply to {shop['owner']}.",
        f"Lost: {an(rng.choice(LOST_THINGS))} near {rng.choice(town['landmarks'])} in {town['name']}. Reward: {rng.randint(2, 30)} coins. Please return it to {p['name']}.",
        f"Rooms to let at {inn['name']}, {inn['town']}: {inn['rate']} coins a night, breakfast included.",
        f"Notice: {shop['name']} will be closed on {rng.choice(WEEKDAYS)} for stocktaking. {shop['owner']} apologises to all customers.",
        f"Market prices in {town['name']} this week: " + ", ".join(
            f"{q['name']} {q['price'] + rng.randint(-2, 3)} coins" for q in rng.sample(world.products, 3)) + ".",
    ])


JOB_DESC = {
    "baker": "kneads dough before dawn and sells loaves, buns and pies",
    "blacksmith": "heats iron in the forge and hammers it into horseshoes, hinges and nails",
    "ferryman": "poles a flat boat across the river for a copper or two",
    "tailor": "measures, cuts and stitches coats, breeches and gowns",
    "carpenter": "saws, planes and joins timber into doors, beams and cupboards",
    "fisher": "casts nets at dawn and mends them in the afternoon",
    "weaver": "works a loom, turning spun wool into cloth and blankets",
    "potter": "throws wet clay on a wheel and fires the bowls in a kiln",
    "miller": "grinds wheat and barley into flour between two great stones",
    "shepherd": "guards the flock on the hills and shears the sheep in summer",
    "glassblower": "blows molten glass into bottles, lamp chimneys and beads",
    "teacher": "teaches children to read, write and count",
    "healer": "sets broken bones and brews remedies from roots and leaves",
    "scribe": "copies documents and writes letters for those who cannot",
    "innkeeper": "keeps rooms, pours ale and cooks stew for travellers",
    "cobbler": "repairs worn soles and stitches new boots from leather",
    "farmer": "ploughs the fields, sows seed and brings in the harvest",
    "lanternwright": "tends the street lamps of a town and keeps them burning",
    "beekeeper": "keeps hives, gathers honey and sells beeswax",
    "mapmaker": "surveys roads and rivers and draws careful maps",
    "clockmaker": "builds and repairs clocks with tiny springs and gears",
    "brewer": "brews ale and cider in great copper vats",
    "mason": "cuts and lays stone for walls, bridges and chimneys",
    "boatwright": "builds and caulks boats from planks of oak",
    "herbalist": "grows and dries herbs and mixes them into teas and ointments",
    "musician": "plays at weddings, fairs and funerals",
    "painter": "paints signs, portraits and the walls of houses",
    "courier": "carries letters and parcels between towns",
    "gardener": "digs, weeds and prunes other people's gardens",
    "librarian": "looks after books, catalogues them and lends them out",
    "cook": "roasts, boils and bakes meals for a large household",
    "merchant": "buys goods cheaply in one town and sells them dearly in another",
    "chandler": "makes candles and soap from tallow and wax",
    "ropemaker": "twists hemp into ropes and cords on a long rope walk",
    "tanner": "soaks and scrapes hides until they become leather",
    "dyer": "colours cloth in vats of woad, madder and weld",
    "bookbinder": "sews pages together and binds them in leather or cloth",
    "jeweller": "sets stones in rings and mends broken chains",
    "locksmith": "makes keys and locks and opens doors that are stuck",
    "barber": "cuts hair, trims beards and pulls the odd tooth",
    "midwife": "helps mothers bring babies into the world",
    "cheesemaker": "curdles milk, presses the curds and ages the cheeses in a cellar",
    "stonecutter": "splits blocks from the quarry with wedges and mallets",
    "woodcutter": "fells trees and splits logs for firewood",
    "goatherd": "drives the goats to high pastures and milks them at night",
    "basket weaver": "weaves willow and rush into baskets and chairs",
    "toymaker": "carves and paints toys, puppets and spinning tops",
    "bell founder": "casts bells in bronze and tunes them by ear",
    "candlemaker": "dips wicks in hot wax again and again",
    "net mender": "repairs torn fishing nets with a wooden needle",
    "shopkeeper": "keeps a shop, orders stock and serves customers",
}


def prose_trade(world: World, rng: random.Random) -> str:
    workers = [p for p in world.people if p["job"] in JOB_DESC]
    p = rng.choice(workers)
    job = p["job"]
    others = [q["name"] for q in world.people if q["job"] == job and q is not p]
    parts = [pick(rng, [f"{cap(an(job))} {JOB_DESC[job]}.", f"What does {an(job)} do? {cap(an(job))} {JOB_DESC[job]}.",
                        f"The work of {an(job)} is simple to describe: {an(job)} {JOB_DESC[job]}."])]
    parts.append(pick(rng, [f"In {p['town']}, {p['name']} is one.", f"{p['name']} of {p['town']} has done this work for years.",
                            f"Ask {p['name']} in {p['town']} and you will hear all about it."]))
    if others:
        parts.append(pick(rng, [f"So is {rng.choice(others)}.", f"{rng.choice(others)} does the same work."]))
    parts.append(pick(rng, ["It is hard work, but honest.", "The pay is modest.", "Apprentices train for several years.",
                            "It is a trade that is passed from parent to child.", "Few young people learn it nowadays."]))
    return " ".join(parts)


PRETRAIN_KINDS = [(entity_doc, 18), (story_errand, 9), (story_pet, 5), (story_journey, 6),
                  (story_workday, 5), (news_event, 8), (news_local, 6), (shop_description, 6),
                  (prose_review, 8), (prose_dialogue, 12), (prose_letter, 4), (prose_ordinary, 8),
                  (prose_recipe, 2), (prose_almanac, 2), (prose_sums, 3), (prose_nature, 3),
                  (prose_proverb, 2), (prose_history, 3), (prose_notice, 4), (prose_trade, 4)]


def pretrain_doc(world: World, rng: random.Random, entities: list[tuple[str, dict]],
                 held_out: frozenset = frozenset()) -> str:
    fns, weights = zip(*PRETRAIN_KINDS)
    fn = rng.choices(fns, weights=weights)[0]
    if fn in (prose_review, prose_dialogue):
        return fn(world, rng, held_out)
    if fn is entity_doc:
        kind, e = rng.choice(entities)
        facets = entity_facets(kind, e)
        rest = [f for f in facets if f != "identity"]
        keep = ["identity"] + rng.sample(rest, rng.randint(1, len(rest)))
        return entity_doc(world, kind, e, rng, facets=keep)
    return fn(world, rng)


# ---- the Lanternwrights' Guild: a domain with its own jargon -----------------------------------
GLOSSARY = {
    "bank": "a sealed underground vault where the guild stores lamp oil",
    "float": "the reserve of oil held in a shade's lamps between deliveries",
    "strike": "the evening round on which every lamp of a shade is lit",
    "bull": "the large brass lamp that stands at a crossroads",
    "bear": "a lamp that burns smoky and must be cleaned",
    "crown": "the glass top of a lamp, which lets out the heat",
    "wick": "a first-year apprentice of the guild",
    "spirit": "refined lamp oil of the highest grade",
    "draft": "the air setting of a lamp's vent",
    "shade": "the district that one lanternwright is responsible for",
    "ghost": "a lamp left unlit on a lit street",
    "mouse": "a small hand lamp carried on the strike",
}


def _guild_slots(world: World, rng: random.Random) -> dict:
    town = rng.choice(world.towns)
    a, b, c = rng.sample(world.people, 3)
    return {"town": town["name"], "a": a["name"], "b": b["name"], "c": c["name"], "af": a["first"],
            "lm": rng.choice(town["landmarks"]), "lm2": rng.choice(town["landmarks"]),
            "n": rng.randint(2, 9), "lamps": rng.randint(20, 160), "gal": rng.randint(40, 900),
            "gal2": rng.randint(5, 120), "day": rng.choice(WEEKDAYS), "month": rng.choice(MONTHS),
            "date": f"{rng.randint(1, 28)} {rng.choice(MONTHS)}", "year": rng.randint(1030, 1045),
            "bankname": pick(rng, ["north", "south", "hill", "old", "market", "east", "west", "chapel"]),
            "draft": pick(rng, ["a quarter", "half", "three quarters", "full"]),
            "hour": pick(rng, ["dusk", "the sixth bell", "the seventh bell", "sunset", "the first star"]),
            "weather": rng.choice(WEATHER)}


DOMAIN_TEMPLATES = {
    "report": [
        "Strike report, {town} shade, {date}. The strike began at {hour}. {lamps} lamps lit, {n} bears found and cleaned, no ghosts. The float stood at {gal2} gallons; {gal} gallons were drawn from the {bankname} bank.",
        "{town} shade, {day} strike. Lanternwright {a} reports {n} ghosts near {lm}, all lit before midnight. Two wicks carried mice. The bull at {lm2} needs a new crown.",
        "Night log of {a}, shade of {town}: the strike was late because {weather}. The float fell to {gal2} gallons. Drafts set to {draft} on all bulls. {n} bears reported.",
        "Report to the guild master: during the {day} strike in {town}, {n} crowns cracked in the frost. The wick {b} replaced them. Spirit used: {gal2} gallons from the {bankname} bank.",
        "{town}, {date}. Strike complete by the second bell. The bull at {lm} burned as a bear and was cleaned twice. A ghost on the lane behind {lm2} was lit by {b}, a wick.",
    ],
    "manual": [
        "From the Lanternwright's Manual, chapter {n}. Before the strike, check the float of your shade. If it is below {gal2} gallons, draw spirit from the nearest bank. Never burn common oil in a bull.",
        "Manual, on bears: a lamp that burns smoky is a bear. Lower the draft to {draft}, clean the crown and trim the flame. A bear left alone becomes a ghost by morning.",
        "Manual, on wicks: every wick carries a mouse and a ladder on the strike. A wick may light ordinary lamps but never a bull. After {n} months a wick may ask to be examined.",
        "Manual, on banks: a bank is opened only by two guild members. Record every gallon of spirit drawn. The float of each shade must be written in the ledger before the strike.",
        "Manual, on crowns: a cracked crown lets the draft run wild. Replace it before the strike, and never fit a crown to a hot lamp.",
        "Manual, on ghosts: a ghost on a lit street is a danger to carts. Any ghost must be reported and lit before midnight, or the shade's lanternwright pays a fine of {n} coins.",
    ],
    "minutes": [
        "Minutes of the Lanternwrights' Guild of {town}, {date} {year}. Present: {a}, {b}, {c}. The master reported that the {bankname} bank holds {gal} gallons of spirit. It was agreed to raise the float of every shade to {gal2} gallons before winter.",
        "Guild meeting, {month} {year}. {a} asked for {n} new wicks for the {town} shade. {b} complained that the strike runs late because of bears on the bulls. Decision: drafts to be checked weekly.",
        "Minutes, {date}. {c} was made a full lanternwright after three years as a wick. The guild thanked {a} for cleaning {n} bears in one strike. Next meeting after the spring strike.",
    ],
    "exam": [
        "Wick's examination. Q: What is a bull? A: The large brass lamp at a crossroads. Q: What do you do with a bear? A: Lower the draft, clean the crown, report it. Q: Where is spirit kept? A: In a bank.",
        "Examination of the wick {b}, {date}. Asked what the float is, {b} answered: the oil held in the shade's lamps. Asked what a ghost is: an unlit lamp on a lit street. Passed.",
        "Questions for wicks: When does the strike begin? At {hour}. Who may open a bank? Two guild members. What is carried on the strike? A mouse, a ladder and a can of spirit.",
    ],
    "ledger": [
        "Ledger of the {bankname} bank, {month} {year}. Opening stock {gal} gallons of spirit. Drawn for the {town} shade {gal2} gallons. Float after the strike: {n} gallons per bull.",
        "Spirit ledger: {date}. {a} and {b} opened the {bankname} bank and drew {gal2} gallons. The bank now holds {gal} gallons. Signed by both.",
    ],
    "letter": [
        "To the master of the guild. Sir, the {town} shade has had {n} ghosts this week, and the float is down to {gal2} gallons. I ask for spirit from the {bankname} bank before the next strike. Your servant, {a}.",
        "Dear {af}, the bull at {lm} is a bear again. Please send a wick with a new crown and set the draft to {draft}. The strike tonight starts at {hour}. {b}.",
    ],
    "glossary": ["Guild glossary. {w1}: {d1}. {w2}: {d2}. {w3}: {d3}."],
    "story": [
        "{a} had been a wick for only a week when the great strike came. With a mouse in one hand and a ladder on {poss} shoulder, {pron} climbed to the crown of the bull at {lm}. The draft was wrong and the lamp was a bear, but {pron} cleaned it before the bell.",
        "The night the {bankname} bank ran dry, every lanternwright in {town} counted the float. {a} found {gal2} gallons of spirit in an old cask, and not one ghost was left on the streets.",
    ],
}


def domain_doc(world: World, rng: random.Random) -> str:
    kind = rng.choices(list(DOMAIN_TEMPLATES), weights=[6, 5, 3, 2, 2, 2, 1, 2])[0]
    s = _guild_slots(world, rng)
    p = world.person[s["a"]]
    s.update(pron=p["pron"][0], poss=p["pron"][2])
    words = rng.sample(sorted(GLOSSARY), 3)
    for i, w in enumerate(words, 1):
        s[f"w{i}"], s[f"d{i}"] = cap(w), GLOSSARY[w]
    text = fmt(pick(rng, DOMAIN_TEMPLATES[kind]), **s)
    if rng.random() < 0.3:  # chain a second short piece
        s2 = _guild_slots(world, rng)
        s2.update(pron=p["pron"][0], poss=p["pron"][2], w1=s["w1"], d1=s["d1"], w2=s["w2"], d2=s["d2"], w3=s["w3"], d3=s["d3"])
        text += "\n" + fmt(pick(rng, DOMAIN_TEMPLATES[rng.choice(["report", "ledger", "manual"])]), **s2)
    return text


# ---- the family registry -----------------------------------------------------------------------
FAMILIES: dict[str, Callable[[World, random.Random], dict[str, list[dict]]]] = {}


def family(name: str):
    """Register ``gen(world, rng) -> {split: rows}`` as the data family ``name``."""
    def register(fn):
        if name in FAMILIES:
            raise ValueError(f"family {name!r} is already registered")
        FAMILIES[name] = fn
        return fn
    return register


def fill_splits(make: Callable[[str, int], dict | None], sizes: dict[str, int],
                key: Callable[[dict], str], seen: set[str] | None = None) -> dict[str, list[dict]]:
    """Draw rows split by split, skipping any whose ``key`` was already drawn (in any split), so
    no validation/test input duplicates a train input."""
    seen = set() if seen is None else seen
    out: dict[str, list[dict]] = {}
    for split, n in sizes.items():
        rows: list[dict] = []
        tries = 0
        while len(rows) < n:
            tries += 1
            if tries > 50 * n + 1000:
                raise RuntimeError(f"could not draw {n} distinct rows for split {split!r}")
            row = make(split, len(rows))
            if row is None:
                continue
            k = key(row)
            if k in seen:
                continue
            seen.add(k)
            rows.append(row)
        out[split] = rows
    return out


def _ids(prefix: str, splits: dict[str, list[dict]]) -> dict[str, list[dict]]:
    for split, rows in splits.items():
        for i, r in enumerate(rows):
            r["id"] = f"{prefix}-{split}-{i:05d}"
    return splits


@family("pretrain")
def gen_pretrain(world: World, rng: random.Random) -> dict[str, list[dict]]:
    entities = all_entities(world)
    held_out = frozenset(r[key] for fam, key in (("reviews", "text"), ("dialogsum", "dialogue"))
                         for split in ("validation", "test") for r in world.family(fam)[split])
    return fill_splits(lambda split, i: {"text": pretrain_doc(world, rng, entities, held_out)},
                       SIZES["pretrain"], key=lambda r: r["text"])


@family("dialogsum")
def gen_dialogsum(world: World, rng: random.Random) -> dict[str, list[dict]]:
    def make(split, i):
        ex = make_dialogue(world, rng)
        return {"dialogue": ex["dialogue"], "summary": ex["summary"], "topic": ex["topic"], "slots": ex["slots"]}
    splits = fill_splits(make, SIZES["dialogsum"], key=lambda r: r["dialogue"])
    return _ids("dialogsum", splits)


@family("reviews")
def gen_reviews(world: World, rng: random.Random) -> dict[str, list[dict]]:
    def make(split, i):
        return make_review(world, rng, "positive" if i % 2 == 0 else "negative")
    splits = fill_splits(make, SIZES["reviews"], key=lambda r: r["text"])
    for rows in splits.values():
        rng.shuffle(rows)
    return _ids("reviews", splits)


@family("translation")
def gen_translation(world: World, rng: random.Random) -> dict[str, list[dict]]:
    def make(split, i):
        en = make_english(world, rng)
        return {"en": en, "toy": to_toy(en)}
    splits = fill_splits(make, SIZES["translation"], key=lambda r: r["en"])
    return _ids("translation", splits)


@family("facts")
def gen_facts(world: World, rng: random.Random) -> dict[str, list[dict]]:
    docs, questions = [], []
    for kind, e in all_entities(world):
        text = entity_doc(world, kind, e, rng)
        docs.append({"id": e["id"], "title": entity_title(kind, e), "text": text})
        slots = entity_slots(world, kind, e)
        for facet, qs in ENTITY_TEMPLATES[kind][1].items():
            if facet not in entity_facets(kind, e):
                continue
            q_template, field = pick(rng, qs)
            answer = str(slots[field])
            assert answer in text, (answer, text)
            questions.append({"question": fmt(q_template, **slots), "answer": answer, "doc_id": e["id"]})
    rng.shuffle(questions)
    # each fact is asked about in one split only; held-out splits are drawn first
    out, start = {"docs": docs}, 0
    for split in ("test", "validation", "train"):
        n = SIZES["facts"][split]
        out[split] = questions[start:start + n]
        start += n
    for split in SPLITS:
        for i, q in enumerate(out[split]):
            q["id"] = f"facts-{split}-{i:05d}"
    return {"docs": docs, "train": out["train"], "validation": out["validation"], "test": out["test"]}


@family("domain")
def gen_domain(world: World, rng: random.Random) -> dict[str, list[dict]]:
    return fill_splits(lambda split, i: {"text": domain_doc(world, rng)},
                       SIZES["domain"], key=lambda r: r["text"])


# in-context learning: "bursty" documents holding several examples of one task in one format.
# (template, separator): a multi-line example is always followed by a blank line, a one-line
# example by a newline, so splitting a document on "\n\n" (if present) else "\n" gives its examples.
SENTIMENT_FORMATS = [
    ("Classify this review: {x}\nSentiment: {y}", "\n\n"),   # canonical
    ("Review: {x}\nLabel: {y}", "\n\n"),
    ("{x} => {y}", "\n"),
    ("Input: {x}\nOutput: {y}", "\n\n"),
    ("Text: {x} | Verdict: {y}", "\n"),
    ("{x}\nAnswer: {y}", "\n\n"),
    ("Customer says: \"{x}\"\nMood: {y}", "\n\n"),
    ("Q: {x}\nA: {y}", "\n\n"),
]
LABEL_PAIRS = [("positive", "negative", False), ("good", "bad", False), ("yes", "no", False),
               ("happy", "sad", False), ("great", "awful", False), ("like", "dislike", False),
               ("pleased", "annoyed", False), ("A", "B", True), ("blue", "red", True), ("1", "0", True),
               ("foo", "bar", True)]
SUMMARIZE_FORMATS = [
    ("Summarize the dialogue:\n{x}\nSummary: {y}", "\n\n"),  # canonical
    ("Dialogue:\n{x}\nTL;DR: {y}", "\n\n"),
    ("{x}\nIn short: {y}", "\n\n"),
    ("Conversation:\n{x}\n---\nWhat happened: {y}", "\n\n"),
    ("### Dialogue\n{x}\n### Summary\n{y}", "\n\n"),
    ("Read the chat and sum it up.\n{x}\nSum-up: {y}", "\n\n"),
]
TRANSLATE_FORMATS = [
    ("Translate to Toy: {x}\nToy: {y}", "\n\n"),  # canonical
    ("English: {x}\nToy: {y}", "\n\n"),
    ("{x} = {y}", "\n"),
    ("en: {x}\ntoy: {y}", "\n\n"),
    ("In Toy, \"{x}\" is \"{y}\".", "\n"),
]
CANONICAL = {"sentiment": SENTIMENT_FORMATS[0][0], "summarize": SUMMARIZE_FORMATS[0][0],
             "translate": TRANSLATE_FORMATS[0][0]}


def _fill(template: str, x: str, y: str) -> str:
    return template.replace("{x}", x).replace("{y}", y)


def icl_doc(world: World, rng: random.Random, task: str, pools: dict[str, list[dict]]) -> dict:
    if task == "sentiment":
        template, sep = pick(rng, SENTIMENT_FORMATS)
        pos, neg, neutral = pick(rng, LABEL_PAIRS)
        if neutral and rng.random() < 0.5:
            pos, neg = neg, pos
        k = rng.randint(3, 7)
        exs = rng.sample(pools["reviews"], k)
        if len({e["label"] for e in exs}) < 2:  # show both labels
            other = rng.choice(pools["reviews"])
            while other["label"] == exs[0]["label"]:
                other = rng.choice(pools["reviews"])
            exs[rng.randrange(k)] = other
        items = [_fill(template, e["text"], pos if e["label"] == "positive" else neg) for e in exs]
    elif task == "summarize":
        template, sep = pick(rng, SUMMARIZE_FORMATS)
        exs = rng.sample(pools["dialogsum"], 3)
        items = [_fill(template, e["dialogue"], e["summary"]) for e in exs]
    else:
        template, sep = pick(rng, TRANSLATE_FORMATS)
        exs = rng.sample(pools["translation"], rng.randint(3, 7))
        items = [_fill(template, e["en"], e["toy"]) for e in exs]
    return {"text": sep.join(items), "task": task}


@family("icl")
def gen_icl(world: World, rng: random.Random) -> dict[str, list[dict]]:
    pools = {f: world.family(f)["train"] for f in ("reviews", "dialogsum", "translation")}
    pools["dialogsum"] = [r for r in pools["dialogsum"] if len(r["dialogue"]) <= 300]
    tasks, weights = ["sentiment", "summarize", "translate"], [4, 2, 3]
    return fill_splits(lambda split, i: icl_doc(world, rng, rng.choices(tasks, weights)[0], pools),
                       SIZES["icl"], key=lambda r: r["text"])


# instruction tuning: the first phrasing of each task is the canonical one used elsewhere
INSTRUCTIONS = {
    "summarize": ["Summarize the dialogue:", "Write a short summary of this conversation.",
                  "Give the key facts of the dialogue in one or two sentences.",
                  "What happens in this dialogue? Summarize it.", "Sum up the following chat."],
    "sentiment": ["Classify this review:", "Is this review positive or negative?",
                  "Decide the sentiment of the review (positive or negative).",
                  "Did the customer like the product? Answer positive or negative.",
                  "Label the review as positive or negative."],
    "translate": ["Translate to Toy:", "Translate this sentence into Toy.", "How do you say this in Toy?",
                  "Render the English sentence in the Toy language.", "Give the Toy translation."],
    "qa": ["Answer the question:", "Answer briefly.", "Reply with a short answer.",
           "Use the text to answer the question.", "Give a short answer to the question."],
    "rewrite": ["Rewrite the sentence in the past tense:", "Put this sentence in the past tense.",
                "Change the sentence so it happened in the past.", "Rewrite in the past tense."],
    "extract": ["List the facts in the dialogue:", "Extract the key facts as field: value lines.",
                "Which names, places, times and prices appear in the dialogue? List them.",
                "Fill in the facts of this conversation, one per line."],
}


def instruction_rows(world: World, rng: random.Random, split: str, sizes: dict[str, int]) -> list[dict]:
    src = split  # validation/test rows come from the other families' validation/test splits
    docs = {d["id"]: d for d in world.family("facts")["docs"]}
    rows = []

    def add(task, inp, out):
        rows.append({"instruction": pick(rng, INSTRUCTIONS[task]), "input": inp, "output": out, "task": task})

    for e in rng.sample(world.family("dialogsum")[src], sizes["summarize"]):
        add("summarize", e["dialogue"], e["summary"])
    for e in rng.sample(world.family("reviews")[src], sizes["sentiment"]):
        add("sentiment", e["text"], e["label"])
    for e in rng.sample(world.family("translation")[src], sizes["translate"]):
        add("translate", e["en"], e["toy"])
    for e in rng.sample(world.family("facts")[src], sizes["qa"]):
        if rng.random() < 0.5:
            rows.append({"instruction": INSTRUCTIONS["qa"][3] if rng.random() < 0.5 else pick(rng, INSTRUCTIONS["qa"]),
                         "input": f"Text: {docs[e['doc_id']]['text']}\nQuestion: {e['question']}",
                         "output": e["answer"], "task": "qa"})
        else:
            add("qa", e["question"], e["answer"])
    for e in rng.sample(world.family("translation")[src], sizes["rewrite"]):
        add("rewrite", e["en"], past_tense(e["en"]))
    for e in rng.sample(world.family("dialogsum")[src], sizes["extract"]):
        add("extract", e["dialogue"], "\n".join(f"{k}: {v}" for k, v in e["slots"].items()))
    rng.shuffle(rows)
    return rows


@family("instructions")
def gen_instructions(world: World, rng: random.Random) -> dict[str, list[dict]]:
    share = {"summarize": 0.15, "sentiment": 0.24, "translate": 0.24, "qa": 0.24, "rewrite": 0.09, "extract": 0.04}
    out = {}
    for split, n in SIZES["instructions"].items():
        counts = {t: int(round(n * f)) for t, f in share.items()}
        counts["qa"] += n - sum(counts.values())
        out[split] = instruction_rows(world, rng, split, counts)
    return out


# ---- build, verify, check ----------------------------------------------------------------------
def default_data_dir() -> Path:
    from llmlab.config import data_dir
    return Path(data_dir())


def generate(families: Iterable[str] | None = None, seed: int = SEED) -> dict[str, bytes]:
    """All files of the requested families: ``{"dialogsum/train.jsonl": bytes, ...}`` (no manifest)."""
    names = sorted(FAMILIES) if families is None else list(families)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown family {unknown[0]!r}; known: {', '.join(sorted(FAMILIES))}")
    world = World(seed)
    files = {}
    for name in sorted(set(names)):
        for split, rows in world.family(name).items():
            files[f"{name}/{split}.jsonl"] = dump_rows(rows)
    return files


def manifest_bytes(files: dict[str, bytes], seed: int = SEED) -> bytes:
    entries = {path: {"rows": data.count(b"\n"), "bytes": len(data),
                      "sha256": hashlib.sha256(data).hexdigest()} for path, data in sorted(files.items())}
    return (json.dumps({"seed": seed, "version": VERSION, "files": entries}, indent=1, sort_keys=True)
            + "\n").encode("utf-8")


def _disk_files(data_dir: Path) -> dict[str, Path]:
    """The family files under data_dir (``<family>/<split>.jsonl``)."""
    return {f"{p.parent.name}/{p.name}": p for p in sorted(data_dir.glob("*/*.jsonl"))}


def build(out_dir: str | os.PathLike | None = None, families: Iterable[str] | None = None,
          seed: int = SEED, quiet: bool = True) -> dict:
    """Generate families and write them with ``manifest.json`` into ``out_dir`` (default: data/).

    Files are written to a temporary folder first and moved into place only once everything was
    generated, so a failure never leaves a half-written data/. Building a subset of families
    replaces only their folders; the manifest then lists every family folder present.
    """
    out = Path(out_dir) if out_dir is not None else default_data_dir()
    t0 = time.perf_counter()
    files = generate(families, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tinyworld-", dir=out.parent))
    try:
        new = tmp / "new"
        for rel, data in files.items():
            (new / rel).parent.mkdir(parents=True, exist_ok=True)
            (new / rel).write_bytes(data)
        out.mkdir(parents=True, exist_ok=True)
        old_manifest = {}
        if (out / "manifest.json").exists():
            try:
                old_manifest = json.loads((out / "manifest.json").read_text())
            except ValueError:
                old_manifest = {}
        built = sorted({rel.split("/")[0] for rel in files})
        stale = set()
        if families is None:  # a full build drops families that no longer exist
            stale = {rel.split("/")[0] for rel in old_manifest.get("files", {})} - set(built)
        for fam in built + sorted(stale):
            if (out / fam).exists():
                (out / fam).rename(tmp / f"old-{fam}")
            if fam in built:
                (new / fam).rename(out / fam)
        if old_manifest.get("seed", seed) != seed or old_manifest.get("version", VERSION) != VERSION:
            for fam in {rel.split("/")[0] for rel in old_manifest.get("files", {})} - set(built):
                if (out / fam).exists():
                    (out / fam).rename(tmp / f"old-{fam}")
        known = set(built) | {rel.split("/")[0] for rel in old_manifest.get("files", {})}
        present = {rel: p.read_bytes() for rel, p in _disk_files(out).items() if rel.split("/")[0] in known}
        present.update(files)
        (tmp / "manifest.json").write_bytes(manifest_bytes(present, seed))
        os.replace(tmp / "manifest.json", out / "manifest.json")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    manifest = json.loads((out / "manifest.json").read_text())
    if not quiet:
        total = sum(len(d) for d in files.values())
        print(f"wrote {len(files)} files ({total / 1e6:.2f} MB) to {out} in {time.perf_counter() - t0:.1f} s")
    return manifest


def verify(data_dir: str | os.PathLike | None = None) -> list[str]:
    """Problems of data_dir against its manifest (missing/extra files, wrong size or sha256)."""
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    mpath = d / "manifest.json"
    if not mpath.exists():
        return [f"{mpath} is missing; run `{BUILD_HINT}`"]
    manifest = json.loads(mpath.read_text())
    problems = []
    for rel, info in sorted(manifest["files"].items()):
        path = d / rel
        if not path.exists():
            problems.append(f"{rel}: missing")
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != info["sha256"] or len(data) != info["bytes"]:
            problems.append(f"{rel}: sha256/size differs from manifest.json")
        elif data.count(b"\n") != info["rows"]:
            problems.append(f"{rel}: row count differs from manifest.json")
    for rel in _disk_files(d):
        if rel not in manifest["files"]:
            problems.append(f"{rel}: not listed in manifest.json")
    return problems


def check(data_dir: str | os.PathLike | None = None, seed: int = SEED) -> list[str]:
    """Regenerate every family and compare byte-for-byte with data_dir; [] when identical."""
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    files = generate(None, seed)
    files["manifest.json"] = manifest_bytes(files, seed)
    problems = []
    for rel, data in sorted(files.items()):
        path = d / rel
        if not path.exists():
            problems.append(f"{rel}: missing")
        elif path.read_bytes() != data:
            problems.append(f"{rel}: differs from a fresh generation")
    for rel in _disk_files(d):
        if rel not in files:
            problems.append(f"{rel}: not produced by the generator")
    return problems


WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def _strings(obj) -> Iterable[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k in sorted(obj):
            if k not in ("id", "doc_id"):
                yield from _strings(obj[k])
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def stats(data_dir: str | os.PathLike | None = None) -> dict:
    """Rows, bytes and distinct words per file, and distinct words overall."""
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    out, vocab = {}, set()
    for rel, path in _disk_files(d).items():
        words = set()
        rows = 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                rows += 1
                for s in _strings(json.loads(line)):
                    words.update(w.lower() for w in WORD.findall(s))
        vocab |= words
        out[rel] = {"rows": rows, "bytes": path.stat().st_size, "words": len(words)}
    return {"files": out, "distinct_words": len(vocab)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m llmlab.world", description="Build and check the TinyWorld data sets.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="generate data/ (or --out DIR)")
    b.add_argument("--out", default=None)
    b.add_argument("--families", default=None, help="comma-separated subset (default: all)")
    for name, help_ in (("check", "regenerate and compare with data/"), ("verify", "compare data/ with its manifest"),
                        ("stats", "rows per split and distinct words")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("--data", default=None)
    args = ap.parse_args(argv)
    if args.cmd == "build":
        fams = args.families.split(",") if args.families else None
        build(args.out, fams, quiet=False)
        return 0
    if args.cmd in ("check", "verify"):
        d = Path(args.data) if args.data else default_data_dir()
        problems = check(d) if args.cmd == "check" else verify(d)
        if problems:
            print(f"{d} is out of date with the TinyWorld generator ({len(problems)} problems):", file=sys.stderr)
            for p in problems[:20]:
                print("  " + p, file=sys.stderr)
            fix = BUILD_HINT if not args.data else f"{BUILD_HINT} --out {d}"
            print(f"Fix: run `{fix}` (and commit data/).", file=sys.stderr)
            return 1
        print(f"{d}: OK ({'identical to a fresh generation' if args.cmd == 'check' else 'matches manifest.json'})")
        return 0
    st = stats(args.data)
    for rel, info in st["files"].items():
        print(f"{rel:36s} {info['rows']:6d} rows {info['bytes'] / 1e3:9.1f} kB {info['words']:6d} words")
    total = sum(i["bytes"] for i in st["files"].values())
    print(f"total {total / 1e6:.2f} MB, distinct words overall: {st['distinct_words']}")
    return 0


if __name__ == "__main__":
    # run through the importable module, so families registered by other modules (which import
    # llmlab.world) land in the same registry as the CLI's
    from llmlab import world as _world
    sys.exit(_world.main())
