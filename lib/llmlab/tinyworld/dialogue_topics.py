"""The dialogue scenarios (buying, booking, lost item, ...): turns, a summary and the slots it copies."""
from __future__ import annotations

import random

from llmlab.tinyworld.words import WEEKDAYS, an, cap, pick, plural
from llmlab.tinyworld.world import World

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
                        "Hello, this is {shop}. What can I get you?", "Come in, come in! {shop} is open."]).format(
        shop=shop["name"]))
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
                        "Good evening. {g} speaking. Have you got a room free for {n} nights?"]).format(
        g=guest["name"], n=nights))
    d.say(1, pick(rng, ["From which day?", "When will you arrive?", "Certainly. Starting when?"]))
    d.say(0, pick(rng, ["From {d}, if possible.", "I arrive on {d}.", "From {d} evening."]).format(d=day))
    d.optional.append((len(d.turns), [(1, pick(rng, ["That's fine. A room is {r} coins a night.",
                                                      "We have a quiet room at the back, {r} coins a night."]).format(
                                                          r=inn["rate"])),
                                      (0, pick(rng, ["Great, please book it.", "That will do nicely."]))]))
    d.optional.append((len(d.turns), [(1, pick(rng, ["Done. See you on {d}.",
                                                      "It's booked. Safe travels!"]).format(d=day))]))
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
    d.say(0, pick(rng, ["Excuse me, I'm {p}. I think I lost my {t}.",
                        "Oh no! I'm {p}, and I can't find my {t} anywhere.",
                        "Hello, my name is {p}. Has anyone handed in {at}?"]).format(
        p=person["name"], t=thing, at=an(thing)))
    d.say(1, pick(rng, ["Where did you last have it?", "When did you last see it?", "Oh dear. Where were you?"]))
    d.say(0, pick(rng, ["Near {l} in {town}, on {d}.", "I had it by {l} in {town} on {d} morning.",
                        "On {d}, somewhere around {l} in {town}."]).format(l=place, town=town["name"], d=day))
    if found:
        d.say(1, pick(rng, ["Someone brought in {at} this morning! Is this it?",
                            "Wait, is this your {t}? It was found there."]).format(t=thing, at=an(thing)))
        d.say(0, pick(rng, ["Yes, that's mine! Thank you!", "That's it! What a relief."]))
    else:
        d.say(1, pick(rng, ["I'll ask around and let you know.", "I'll keep an eye out for it.",
                            "Leave me your address and I'll send word if it turns up."]))
    slots = {"person": person["name"], "item": thing, "place": place, "town": town["name"], "day": day}
    summ = pick(rng, ["{person} lost {a} near {place} in {town} on {day}.",
                      "On {day}, {person} lost {a} around {place} in {town}.",
                      "{person} reports losing {a} by {place} in {town} on {day}."]).format(a=an(thing), **slots)
    summ += " " + (pick(rng, ["It has been found and is returned.", "Luckily it was handed in.",
                              "It turns up at once."])
                   if found else pick(rng, ["Someone promises to look out for it.",
                                            "A neighbour promises to ask around.", "It has not been found yet."]))
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
    d.say(0, pick(rng, ["At {p} in {town}.", "Let's meet by {p} in {town}.", "Outside {p} in {town}."]).format(
        p=place, town=town["name"]))
    d.optional.append((len(d.turns), [(1, pick(rng, ["See you there.", "Perfect, I'll be there.",
                                                      "Good, don't be late!"]))]))
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
                        "Excuse me, I'm {p}, and {pr} on my {i}."]).format(
        p=person["name"], i=item["name"], pr=problem, Pr=cap(problem)))
    d.say(1, pick(rng, ["Let me see... Yes, I can fix that.", "Hmm, that's not too bad. I can mend it.",
                        "I've seen worse. It can be repaired."]))
    d.say(0, pick(rng, ["How much will it cost?", "What will that cost me?", "And the price?"]))
    d.say(1, pick(rng, ["{c} coins, and it will be ready on {d}.", "It will be {c} coins. Come back on {d}.",
                        "{c} coins. You can pick it up on {d}."]).format(c=price, d=day))
    d.optional.append((len(d.turns), [(0, pick(rng, ["Fine, thank you.", "Deal. See you then.",
                                                      "That's cheaper than I feared."]))]))
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
    d.say(1, pick(rng, ["I'm very sorry to hear that.", "Oh dear, let me have a look.",
                        "That shouldn't happen. Let me see."]))
    d.say(0, pick(rng, ["What can you do about it?", "I'd like this sorted out, please.", "I want it put right."]))
    d.say(1, pick(rng, ["Of course. We will give you {r}.", "I can offer you {r}.",
                        "Let me make it up to you with {r}."]).format(r=remedy))
    d.optional.append((len(d.turns), [(0, pick(rng, ["Thank you, that's fair.", "All right, I accept.",
                                                      "Good, thank you."]))]))
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
                        "Hello! {p} here, visiting {t}. Can you tell me the way to {s}?"]).format(
        p=person["name"], t=town["name"], s=shop["name"]))
    d.say(1, pick(rng, ["Go past {a}, then turn {x} at {b}.", "Walk past {a} and take a {x} at {b}.",
                        "Easy: past {a}, then {x} at {b}."]).format(a=l1, b=l2, x=side))
    d.optional.append((len(d.turns), [(0, pick(rng, ["Is it far?", "How long does it take?"])),
                                      (1, pick(rng, ["About {m} minutes on foot.", "No, {m} minutes at most."]).format(
                                          m=minutes))]))
    d.say(0, pick(rng, ["Thanks a lot!", "Thank you, that's very kind.", "Wonderful, thanks."]))
    slots = {"person": person["name"], "shop": shop["name"], "town": town["name"], "landmark": l1}
    summ = pick(rng, ["{person} asks the way to {shop} in {town}: past {landmark}, then {x} at {b}.",
                      "A local tells {person} that {shop} in {town} is past {landmark}, then {x} at {b}.",
                      ("{person} is looking for {shop} in {town} and is told to go past {landmark} "
                       "and turn {x} at {b}.")])
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
    d.say(0, pick(rng, ["Yes, I'm {p}. I'd like to work as your {r}.",
                        "That's right. My name is {p}, and I'd like the {r} job.",
                        "Yes. {p}. I saw you need {ar}."]).format(p=person["name"], r=role, ar=an(role)))
    d.optional.append((len(d.turns), [(1, pick(rng, ["Do you have experience?", "Have you done this kind of work?"])),
                                      (0, pick(rng, ["I worked {n} years as {j} in {t}.",
                                                      "Some. I was {j} in {t} for {n} years."]).format(
                                          n=rng.randint(2, 9), j=an(person["job"]), t=person["town"]))]))
    d.say(1, pick(rng, ["Good. The pay is {w} coins a week. Can you start on {d}?",
                        "You'll get {w} coins a week. Start on {d}?",
                        "I can pay {w} coins a week, starting {d}."]).format(w=wage, d=day))
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
    d.say(0, pick(rng, ["{b}! It's {a}. Are you coming to the {e}?",
                        "Hello {b}, {a} here. Will you join me at the {e}?",
                        "{b}, it's me, {a}. Come with me to the {e}!"]).format(a=a["name"], b=b["name"], e=ev["name"]))
    d.say(1, pick(rng, ["When is it again?", "I'd love to. What day is it?", "Maybe. When is it?"]))
    d.say(0, pick(rng, ["On {d}, in {t}.", "It's on {d}, over in {t}.", "{d}, as always, in {t}."]).format(
        d=date, t=ev["town"]))
    d.say(1, pick(rng, ["Count me in. Should I bring anything?", "Great. What should I bring?",
                        "I'll come. Shall I bring something?"]))
    d.say(0, pick(rng, ["Bring {f}, if you can.", "{F} would be lovely.", "Perhaps {f}?"]).format(
        f=an(food["name"]), F=cap(an(food["name"]))))
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
    d.say(0, pick(rng, ["Hello, is this {s}? This is {p}.", "Good morning, {s}? {p} speaking.",
                        "Hi, I'm {p}. Is this {s}?"]).format(s=shop["name"], p=person["name"]))
    d.say(1, pick(rng, ["Yes, how can I help?", "It is. What do you need?", "Speaking. What can I do for you?"]))
    d.say(0, pick(rng, ["I need {o} delivered to {t}.", "I'd like to order {o}, sent to {t}.",
                        "Could you send {o} to {t}?"]).format(o=order, t=town))
    d.say(1, pick(rng, ["That's {c} coins in all. We can deliver by {d}.",
                        "{c} coins altogether, and they'll arrive by {d}.",
                        "Certainly. {c} coins, delivered by {d}."]).format(c=total, d=day))
    d.optional.append((len(d.turns), [(0, pick(rng, ["Perfect.", "That's fine, thank you.",
                                                      "Good, please go ahead."]))]))
    slots = {"person": person["name"], "order": order, "shop": shop["name"], "town": town, "day": day,
             "price": f"{total} coins"}
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
                        "Hello {b}. I'm {a}, your neighbour. Do you still have that {i}?"]).format(
        a=a["name"], b=b["name"], i=item["name"]))
    d.say(1, pick(rng, ["Of course. When will you bring it back?", "Sure, but I need it back soon.",
                        "Yes, take it. How long do you need it?"]))
    d.say(0, pick(rng, ["I'll return it on {d}.", "You'll have it back by {d}.", "Only until {d}, I promise."]).format(
        d=day))
    d.optional.append((len(d.turns), [(1, pick(rng, ["Fine, {d} it is.", "All right. Be careful with it.",
                                                      "No rush, {d} is fine."]).format(d=day))]))
    slots = {"person": a["name"], "other": b["name"], "item": item["name"], "day": day}
    summ = pick(rng, ["{other} lends {person} the {item}; {person} will return it on {day}.",
                      "{person} borrows {other}'s {item} and promises to bring it back on {day}.",
                      "{person} asks {other} for the {item} and will return it by {day}."])
    return "borrowing", d, summ.format(**slots), slots


DIALOGUE_TOPICS = [_topic_buying, _topic_booking, _topic_lost, _topic_meeting, _topic_repair,
                   _topic_complaint, _topic_directions, _topic_job, _topic_invitation,
                   _topic_delivery, _topic_borrowing]
