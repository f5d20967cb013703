"""The :class:`World`: people, towns, shops, products, events and inns drawn from a seed, with invented names."""
from __future__ import annotations

import random
import re
from collections.abc import Callable

from llmlab.tinyworld.registry import FAMILIES, SEED
from llmlab.tinyworld.toy import TOY_LEXICON_WORDS, TOY_RESERVED
from llmlab.tinyworld.words import (
    ADJ_SHOP,
    CATEGORIES,
    COLOURS,
    EVENT_KINDS,
    HOBBIES,
    INN_NOUNS,
    JOBS,
    KNOWN_FOR,
    LANDMARKS,
    MONTHS,
    NOUN_SHOP,
    PETS,
    REGIONS,
    SHOP_KINDS,
    TOWN_SIZES,
    WEEKDAYS,
    cap,
    stable_seed,
)

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
