"""Pretraining prose, part 1: short stories, news items and shop descriptions, and their word lists."""
from __future__ import annotations

import random

from llmlab.tinyworld.encyclopedia import SHOP_SENTENCES, _p, entity_slots
from llmlab.tinyworld.reviews import POS_ADJ
from llmlab.tinyworld.words import COLOURS, MONTHS, SEASONS, WEEKDAYS, an, cap, fmt, number_word, pick
from llmlab.tinyworld.world import World

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
           "{first} promised to be better prepared next time.",
           "The next morning the whole street had heard the story.",
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
                                ("{Pron} looked behind {l1}, under carts and along {l2}, "
                                 "calling {pet_name} again and again."),
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
                                "On the second day {weather}.",
                                "The path climbed through {land} and down again."]), **s))
    parts.append(fmt(pick(rng, ["On the way {pron} met {meet}.", "Near a ford {pron} shared a meal with {meet}.",
                                "{Pron} walked for an hour beside {meet}."]), **s))
    parts.append(fmt(pick(rng, ["From that trip {first} learned that {lesson}.",
                                "{first} often says the journey taught {obj} that {lesson}.",
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
    head = pick(rng, ["{TOWN} — ", "News from {town}. ", "", "From our reporter in {town}: "]).format(
        TOWN=ev["town"].upper(), town=ev["town"])
    parts = [head + fmt(pick(rng, ["The {name} drew about {visitors} visitors on {date} {year}.",
                                   "On {date} {year}, about {visitors} people came to the {name}.",
                                   "This year's {name}, held on {date}, was the busiest in memory."]), **s)]
    parts.append(fmt(pick(rng, ["As always, {activity}.", "Once again {activity}.",
                                "From early morning {activity}."]), **s))
    parts.append(fmt(pick(rng, ["The organiser, {organizer}, thanked everyone who helped.",
                                "{organizer}, who organised the day, called it a great success.",
                                "Organiser {organizer} said the event will return next year."]), **s))
    parts.append(fmt(pick(rng, ["\"It was {qadj} from start to finish,\" said {quoter}, a local {qjob}.",
                                "{quoter}, {a_qjob}, told us: \"I have never seen so many people here.\"",
                                "Not everyone was pleased: {quoter} complained that {weather}."]),
                     a_qjob=an(s["qjob"]), **s))
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
        ("A {colour} boat was found drifting on the river {river} near {town}. "
         "Its owner, {p}, had been looking for it for {n} days."),
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
