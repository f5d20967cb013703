"""Whole DialogSum-like dialogues (small talk, extra speakers, labels): :func:`make_dialogue`, ``dialogsum``."""
from __future__ import annotations

import random

from llmlab.tinyworld.dialogue_topics import DIALOGUE_TOPICS
from llmlab.tinyworld.registry import SIZES, _ids, family, fill_splits
from llmlab.tinyworld.words import pick
from llmlab.tinyworld.world import World

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


@family("dialogsum")
def gen_dialogsum(world: World, rng: random.Random) -> dict[str, list[dict]]:
    def make(split, i):
        ex = make_dialogue(world, rng)
        return {"dialogue": ex["dialogue"], "summary": ex["summary"], "topic": ex["topic"], "slots": ex["slots"]}
    splits = fill_splits(make, SIZES["dialogsum"], key=lambda r: r["dialogue"])
    return _ids("dialogsum", splits)
