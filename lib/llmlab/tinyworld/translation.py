"""Simple English sentences that Toy's lexicon covers, their past tense, and the ``translation`` family."""
from __future__ import annotations

import random

from llmlab.tinyworld.registry import SIZES, _ids, family, fill_splits
from llmlab.tinyworld.toy import _TOY_PLURALS, TOY_POS, to_toy
from llmlab.tinyworld.words import an, cap, plural
from llmlab.tinyworld.world import World

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


@family("translation")
def gen_translation(world: World, rng: random.Random) -> dict[str, list[dict]]:
    def make(split, i):
        en = make_english(world, rng)
        return {"en": en, "toy": to_toy(en)}
    splits = fill_splits(make, SIZES["translation"], key=lambda r: r["en"])
    return _ids("translation", splits)
