"""The Lanternwrights' Guild: a domain whose jargon gives common words new meanings; the ``domain`` family."""
from __future__ import annotations

import random

from llmlab.tinyworld.registry import SIZES, family, fill_splits
from llmlab.tinyworld.stories import WEATHER
from llmlab.tinyworld.words import MONTHS, WEEKDAYS, cap, fmt, pick
from llmlab.tinyworld.world import World

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
        ("Strike report, {town} shade, {date}. The strike began at {hour}. "
         "{lamps} lamps lit, {n} bears found and cleaned, no ghosts. "
         "The float stood at {gal2} gallons; {gal} gallons were drawn from the {bankname} bank."),
        ("{town} shade, {day} strike. Lanternwright {a} reports {n} ghosts near {lm}, all lit before midnight. "
         "Two wicks carried mice. The bull at {lm2} needs a new crown."),
        ("Night log of {a}, shade of {town}: the strike was late because {weather}. The float fell to {gal2} gallons. "
         "Drafts set to {draft} on all bulls. {n} bears reported."),
        ("Report to the guild master: during the {day} strike in {town}, {n} crowns cracked in the frost. "
         "The wick {b} replaced them. Spirit used: {gal2} gallons from the {bankname} bank."),
        ("{town}, {date}. Strike complete by the second bell. "
         "The bull at {lm} burned as a bear and was cleaned twice. "
         "A ghost on the lane behind {lm2} was lit by {b}, a wick."),
    ],
    "manual": [
        ("From the Lanternwright's Manual, chapter {n}. Before the strike, check the float of your shade. "
         "If it is below {gal2} gallons, draw spirit from the nearest bank. Never burn common oil in a bull."),
        ("Manual, on bears: a lamp that burns smoky is a bear. "
         "Lower the draft to {draft}, clean the crown and trim the flame. "
         "A bear left alone becomes a ghost by morning."),
        ("Manual, on wicks: every wick carries a mouse and a ladder on the strike. "
         "A wick may light ordinary lamps but never a bull. After {n} months a wick may ask to be examined."),
        ("Manual, on banks: a bank is opened only by two guild members. Record every gallon of spirit drawn. "
         "The float of each shade must be written in the ledger before the strike."),
        ("Manual, on crowns: a cracked crown lets the draft run wild. "
         "Replace it before the strike, and never fit a crown to a hot lamp."),
        ("Manual, on ghosts: a ghost on a lit street is a danger to carts. "
         "Any ghost must be reported and lit before midnight, or the shade's lanternwright pays a fine of {n} coins."),
    ],
    "minutes": [
        ("Minutes of the Lanternwrights' Guild of {town}, {date} {year}. Present: {a}, {b}, {c}. "
         "The master reported that the {bankname} bank holds {gal} gallons of spirit. "
         "It was agreed to raise the float of every shade to {gal2} gallons before winter."),
        ("Guild meeting, {month} {year}. {a} asked for {n} new wicks for the {town} shade. "
         "{b} complained that the strike runs late because of bears on the bulls. "
         "Decision: drafts to be checked weekly."),
        ("Minutes, {date}. {c} was made a full lanternwright after three years as a wick. "
         "The guild thanked {a} for cleaning {n} bears in one strike. Next meeting after the spring strike."),
    ],
    "exam": [
        ("Wick's examination. Q: What is a bull? A: The large brass lamp at a crossroads. "
         "Q: What do you do with a bear? A: Lower the draft, clean the crown, report it. "
         "Q: Where is spirit kept? A: In a bank."),
        ("Examination of the wick {b}, {date}. Asked what the float is, {b} answered: "
         "the oil held in the shade's lamps. Asked what a ghost is: an unlit lamp on a lit street. Passed."),
        ("Questions for wicks: When does the strike begin? At {hour}. Who may open a bank? Two guild members. "
         "What is carried on the strike? A mouse, a ladder and a can of spirit."),
    ],
    "ledger": [
        ("Ledger of the {bankname} bank, {month} {year}. Opening stock {gal} gallons of spirit. "
         "Drawn for the {town} shade {gal2} gallons. Float after the strike: {n} gallons per bull."),
        ("Spirit ledger: {date}. {a} and {b} opened the {bankname} bank and drew {gal2} gallons. "
         "The bank now holds {gal} gallons. Signed by both."),
    ],
    "letter": [
        ("To the master of the guild. Sir, the {town} shade has had {n} ghosts this week, "
         "and the float is down to {gal2} gallons. I ask for spirit from the {bankname} bank before the next strike. "
         "Your servant, {a}."),
        ("Dear {af}, the bull at {lm} is a bear again. "
         "Please send a wick with a new crown and set the draft to {draft}. The strike tonight starts at {hour}. {b}."),
    ],
    "glossary": ["Guild glossary. {w1}: {d1}. {w2}: {d2}. {w3}: {d3}."],
    "story": [
        ("{a} had been a wick for only a week when the great strike came. "
         "With a mouse in one hand and a ladder on {poss} shoulder, {pron} climbed to the crown of the bull at {lm}. "
         "The draft was wrong and the lamp was a bear, but {pron} cleaned it before the bell."),
        ("The night the {bankname} bank ran dry, every lanternwright in {town} counted the float. "
         "{a} found {gal2} gallons of spirit in an old cask, and not one ghost was left on the streets."),
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
        s2.update(pron=p["pron"][0], poss=p["pron"][2], w1=s["w1"], d1=s["d1"], w2=s["w2"], d2=s["d2"],
                  w3=s["w3"], d3=s["d3"])
        text += "\n" + fmt(pick(rng, DOMAIN_TEMPLATES[rng.choice(["report", "ledger", "manual"])]), **s2)
    return text


@family("domain")
def gen_domain(world: World, rng: random.Random) -> dict[str, list[dict]]:
    return fill_splits(lambda split, i: {"text": domain_doc(world, rng)},
                       SIZES["domain"], key=lambda r: r["text"])
