"""Toy, the invented language of the translation family: its lexicon and :func:`to_toy`."""
from __future__ import annotations

import random
import re

from llmlab.tinyworld.words import plural, stable_seed

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
