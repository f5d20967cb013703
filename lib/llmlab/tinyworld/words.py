"""Shared helpers (stable seeds, articles, plurals, lists) and the general word lists of TinyWorld."""
from __future__ import annotations

import hashlib
import random


# ---- determinism helpers ---------------------------------------------------------------------
def stable_seed(*parts: object) -> int:
    """A 64-bit seed from a SHA-256 of the parts (never Python's salted ``hash()``)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


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
