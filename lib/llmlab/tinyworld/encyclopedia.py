"""Encyclopedia paragraphs and questions about the world's entities; the ``facts`` family."""
from __future__ import annotations

import random

from llmlab.tinyworld.registry import SIZES, SPLITS, family
from llmlab.tinyworld.words import an, cap, fmt, join_and, pick
from llmlab.tinyworld.world import World


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
    "population": [("How many people live in {name}?", "population"),
                   ("What is the population of {name}?", "population")],
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
