"""Pretraining prose, part 2: reviews and dialogues as prose, letters, recipes, nature notes, notices, trades."""
from __future__ import annotations

import random

from llmlab.tinyworld.dialogue_topics import LOST_THINGS, ROLES
from llmlab.tinyworld.dialogues import make_dialogue
from llmlab.tinyworld.encyclopedia import TOWN_SENTENCES, _p
from llmlab.tinyworld.reviews import make_review
from llmlab.tinyworld.stories import ENDINGS, MOODS, OPENINGS, WEATHER
from llmlab.tinyworld.words import COLOURS, MONTHS, REGIONS, SEASONS, WEEKDAYS, an, cap, fmt, join_and, pick, plural
from llmlab.tinyworld.world import World


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
              "A cork will float on water, but a stone sinks.",
              "{name} lay back and let {self} float in the warm lake."],
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
           ("cherry dumplings", ["cherries", "flour", "suet", "a pinch of salt", "cream"],
            "steam them for half an hour"),
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
        pick(rng, [(f"In {town['name']} {MONTHS[m]} is usually "
                    f"{rng.choice(['wet', 'mild', 'cold', 'windy', 'dry', 'warm'])}."),
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
        (f"{p['first']} bought {n} {plural(prod['name'])}. "
         f"Each cost {prod['price']} coins, so the bill came to {total} coins."),
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
            pick(rng, [f"It lives in {habitat} and eats {food}.",
                       f"You will find it in {habitat}; it feeds on {food}."]),
            pick(rng, [(f"Around {town['name']} it is "
                        f"{rng.choice(['common', 'rare', 'seen now and then', 'protected'])}."),
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
             pick(rng, TOWN_SENTENCES["founded"]).format(**town)
             .replace("It was", f"{town['name']} was").replace("The town was", f"{town['name']} was")]
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
        (f"For sale: {an(rng.choice(COLOURS) + ' ' + prod['name'])}, hardly used, "
         f"{max(2, prod['price'] - rng.randint(1, 5))} coins. "
         f"Ask for {p['first']} near {rng.choice(town['landmarks'])}, {town['name']}."),
        (f"Wanted: {an(rng.choice(ROLES))} at {shop['name']}, {shop['town']}. "
         f"{rng.randint(5, 40)} coins a week. Apply to {shop['owner']}."),
        (f"Lost: {an(rng.choice(LOST_THINGS))} near {rng.choice(town['landmarks'])} in {town['name']}. "
         f"Reward: {rng.randint(2, 30)} coins. Please return it to {p['name']}."),
        f"Rooms to let at {inn['name']}, {inn['town']}: {inn['rate']} coins a night, breakfast included.",
        (f"Notice: {shop['name']} will be closed on {rng.choice(WEEKDAYS)} for stocktaking. "
         f"{shop['owner']} apologises to all customers."),
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
    parts.append(pick(rng, [f"In {p['town']}, {p['name']} is one.",
                            f"{p['name']} of {p['town']} has done this work for years.",
                            f"Ask {p['name']} in {p['town']} and you will hear all about it."]))
    if others:
        parts.append(pick(rng, [f"So is {rng.choice(others)}.", f"{rng.choice(others)} does the same work."]))
    parts.append(pick(rng, ["It is hard work, but honest.", "The pay is modest.",
                            "Apprentices train for several years.",
                            "It is a trade that is passed from parent to child.",
                            "Few young people learn it nowadays."]))
    return " ".join(parts)
