"""A noisy web crawl made from TinyWorld text, and the pipeline that cleans it (Lab 03).

Real pretraining corpora start as crawls (Common Crawl) that are mostly junk: copies of the same page,
pages that differ by a date or a footer, navigation menus and cookie banners, spam, broken encodings,
fragments, other languages. ``make_crawl`` plants each kind of junk, labelled, among TinyWorld's
clean ``pretrain`` documents, so the lab can *measure* what a cleaning pipeline removes::

    docs = crawl.make_crawl(seed=0)          # list[Doc]: text + the planted kind (for scoring only)
    result = crawl.clean(docs)                # quality filters, exact dedup, MinHash/LSH near-dedup
    result.counts                             # {"too_short": 180, ..., "near_duplicate": 544, "kept": 5875}
    crawl.confusion(result)                   # planted kind x what the pipeline did

The pipeline never looks at the planted labels. Its pieces are the classic ones, written out:
heuristic quality filters in the spirit of Gopher's (Rae et al. 2021: length, symbol ratio, stop
words, repetition), exact deduplication by hashing normalised text, and near-duplicate detection
with MinHash signatures and locality-sensitive hashing (Broder 1997; Lee et al. 2022), verified
against the real Jaccard similarity of word shingles.
"""
from __future__ import annotations

import hashlib
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from llmlab import tinyworld

# ---- the crawl -------------------------------------------------------------------------------
KINDS = ("clean", "exact_duplicate", "near_duplicate", "spam", "boilerplate", "garbled", "too_short",
         "foreign")


@dataclass(frozen=True)
class Doc:
    id: int
    text: str
    kind: str               # planted kind (KINDS): used to score the pipeline, never by it
    source: int | None = None   # for planted duplicates: the id of the document copied


# how many of each kind of junk, per clean document
DEFAULT_MIX = {"exact_duplicate": 0.10, "near_duplicate": 0.07, "spam": 0.03, "boilerplate": 0.03,
               "garbled": 0.03, "too_short": 0.03, "foreign": 0.03}

SPAM_WORDS = ["cheap", "free", "best price", "discount", "winner", "bonus", "deal", "offer", "sale"]
SPAM_TEMPLATES = [
    "BUY {item} NOW!!! {w} {item} {w} {item} {w} {item}!!! Click here for the {w2}. {w} {item} {w} {item}.",
    "{w2} {w2} {w2}! {item} {item} {item} at the {w} price. Click here, click here, click here. Limited {w2}!",
    "Congratulations, you are a {w2}! Claim your {w} {item} today. {w} {item}, {w} {item}, {w} {item}. Click here.",
    "{item} {item} {item} {w} {w} {w}. Best {item} deal. Best {item} offer. Best {item} price. Click here now.",
]
BOILERPLATE = [
    "Home | About us | Contact | Privacy policy | Terms of use | Cookie settings | Sitemap",
    "This site uses cookies to improve your experience. Accept all cookies | Reject | Manage preferences",
    "Subscribe to our newsletter. Enter your email address. Sign up | Log in | Forgot password?",
    "Copyright (c) The Tickwell Courier. All rights reserved. | Privacy | Terms | Advertise with us",
    "Share this page: Facebook | Twitter | Email | Print | Back to top",
    "Page {n} of {m} | Next page >> | << Previous page | Back to index | Skip to content",
    "Loading comments... | Sort by: newest | oldest | Report abuse | Log in to reply",
]
FRAGMENTS = ["Read more", "Next page", "Loading...", "Back to top", "Home", "Page {n}", "Continue reading",
             "{w} {w2}", "Posted by admin", "Tags: {w}, {w2}", "Click to expand"]
GARBLE_CHARS = "#$%&@*~^<>{}|\\/=+0123456789\ufffd\u00c3\u00a9\u00e2\u0080"


def make_crawl(seed: int = 0, n_clean: int | None = None, mix: dict[str, float] | None = None) -> list[Doc]:
    """TinyWorld's ``pretrain`` training documents with planted junk, shuffled (fixed ``seed``).

    Exact duplicates are copies, some with changed case or spacing ("exact after normalising");
    near duplicates are copies with one small edit (a word, a number, a footer); spam repeats
    selling words; boilerplate is navigation and cookie text; garbled documents are clean ones with
    a third of their characters broken; fragments are a few words; foreign documents are TinyWorld's
    invented Toy language.
    """
    rng = random.Random(seed)
    clean = [r["text"] for r in tinyworld.rows("pretrain", "train")]
    if n_clean is not None:
        clean = clean[:n_clean]
    toy = [r["toy"] for r in tinyworld.rows("translation", "train")]
    items = sorted({w for t in clean[:500] for w in re.findall(r"[a-z]{5,}", t)})[:200]
    mix = dict(DEFAULT_MIX, **(mix or {}))
    planted: list[tuple[str, str, int | None]] = [(t, "clean", i) for i, t in enumerate(clean)]
    n = {kind: int(round(share * len(clean))) for kind, share in mix.items()}
    for _ in range(n["exact_duplicate"]):
        i = rng.randrange(len(clean))
        planted.append((_respell(clean[i], rng), "exact_duplicate", i))
    for _ in range(n["near_duplicate"]):
        i = rng.randrange(len(clean))
        planted.append((_near_copy(clean[i], rng), "near_duplicate", i))
    for _ in range(n["spam"]):
        t = rng.choice(SPAM_TEMPLATES)
        planted.append((t.format(item=rng.choice(items), w=rng.choice(SPAM_WORDS),
                                 w2=rng.choice(SPAM_WORDS)), "spam", None))
    for _ in range(n["boilerplate"]):
        lines = rng.sample(BOILERPLATE, rng.randint(2, 4))
        planted.append(("\n".join(x.format(n=rng.randint(2, 9), m=rng.randint(10, 40)) for x in lines),
                        "boilerplate", None))
    for _ in range(n["garbled"]):
        planted.append((_garble(rng.choice(clean), rng), "garbled", None))
    for _ in range(n["too_short"]):
        planted.append((rng.choice(FRAGMENTS).format(n=rng.randint(2, 99), w=rng.choice(items),
                                                      w2=rng.choice(items)), "too_short", None))
    for _ in range(n["foreign"]):
        planted.append((" ".join(rng.sample(toy, rng.randint(2, 5))), "foreign", None))
    order = list(range(len(planted)))
    rng.shuffle(order)
    # a crawler meets the original first: within each group, move the source to the group's first slot
    first_slot: dict[int, int] = {}
    for pos, old in enumerate(order):
        src = old if planted[old][1] == "clean" else planted[old][2]
        if planted[old][1] in ("clean", "exact_duplicate", "near_duplicate"):
            first_slot.setdefault(src, pos)
    where = {old: pos for pos, old in enumerate(order)}
    for src, pos in first_slot.items():
        here = where[src]
        if here != pos:
            other = order[pos]
            order[pos], order[here] = src, other
            where[src], where[other] = pos, here
    new_id = {old: new for new, old in enumerate(order)}
    docs = []
    for old in order:
        text, kind, src = planted[old]
        source = new_id[src] if kind in ("exact_duplicate", "near_duplicate") else None
        docs.append(Doc(new_id[old], text, kind, source))
    return docs


def _respell(text: str, rng: random.Random) -> str:
    """An exact copy, or one that differs only in case and whitespace."""
    r = rng.random()
    if r < 0.4:
        return text
    if r < 0.7:
        return "  " + re.sub(r" ", "  ", text, count=3) + "\n"
    return text.upper() if r < 0.8 else text.lower()


def _near_copy(text: str, rng: random.Random) -> str:
    """A copy with one small edit: a changed number, a dropped word, a typo or an added footer."""
    words = text.split(" ")
    edit = rng.choice(["number", "drop", "typo", "footer"])
    nums = [i for i, w in enumerate(words) if re.fullmatch(r"\d+[.,]?", w)]
    if edit == "number" and nums:
        i = rng.choice(nums)
        words[i] = re.sub(r"\d+", str(rng.randint(2, 999)), words[i])
    elif edit in ("drop", "number") and len(words) > 12:
        del words[rng.randrange(1, len(words) - 1)]
    elif edit == "typo":
        i = rng.choice([j for j, w in enumerate(words) if len(w) > 3] or [0])
        w = words[i]
        k = rng.randrange(1, len(w) - 1) if len(w) > 2 else 0
        words[i] = w[:k] + w[k + 1:]
    else:
        words.append(rng.choice(["(Read more.)", "- Tickwell Courier", "[updated]", "Share this."]))
    return " ".join(words)


def _garble(text: str, rng: random.Random) -> str:
    return "".join(rng.choice(GARBLE_CHARS) if c != " " and rng.random() < 0.35 else c for c in text)


# ---- quality filters ---------------------------------------------------------------------------
WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
# frequent English function words: an English document uses several (Gopher keeps a document only if it
# holds at least two of "the, be, to, of, and, that, have, with"; our short documents need a wider list)
STOP_WORDS = frozenset("""the a an and or but of to in on at by for from with as is are was were be been
have has had do does did it its he she his her him they them their we our you your i me my this that
these those there here not so if than when while who which what each every one all some""".split())
BLOCKLIST = ("click here", "buy now", "cookie", "subscribe", "newsletter", "privacy policy", "log in",
             "all rights reserved", "terms of use", "sign up", "next page", "back to top")


@dataclass(frozen=True)
class Filters:
    """Thresholds of the quality filters (each documented where it is applied)."""
    min_words: int = 6               # whitespace-separated words: fragments, one-line menus
    max_odd_chars: float = 0.10      # share of characters that are not letters, digits, punctuation
    min_stop_ratio: float = 0.06     # share of words that are English function words
    max_blocklist: int = 0           # boilerplate / spam phrases allowed
    max_dup_trigram_ratio: float = 0.30   # share of word trigrams repeating an earlier one


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


ODD_CHAR = re.compile(r"[^A-Za-z0-9.,;:!?'\"()\-\s]")


def odd_char_ratio(text: str) -> float:
    """Share of the characters (spaces excluded) that are not letters, digits or ordinary punctuation."""
    n = len(text) - sum(c.isspace() for c in text)
    return len(ODD_CHAR.findall(text)) / max(1, n)


def stop_ratio(ws: Sequence[str]) -> float:
    return sum(w in STOP_WORDS for w in ws) / max(1, len(ws))


def dup_trigram_ratio(ws: Sequence[str]) -> float:
    """Share of word trigrams that repeat an earlier trigram of the same document (spam repeats)."""
    grams = list(zip(ws, ws[1:], ws[2:]))
    return (len(grams) - len(set(grams))) / max(1, len(grams))


def quality_reason(text: str, f: Filters = Filters()) -> str | None:
    """Why a document fails the quality filters (None if it passes). The order is the pipeline's."""
    if len(text.split()) < f.min_words:
        return "too_short"
    lower = text.lower()
    if sum(lower.count(p) for p in BLOCKLIST) > f.max_blocklist:
        return "boilerplate" if ("|" in text or "cookie" in lower) else "spam"
    if odd_char_ratio(text) > f.max_odd_chars:
        return "garbled"
    ws = words(text)
    if dup_trigram_ratio(ws) > f.max_dup_trigram_ratio:
        return "spam"
    if stop_ratio(ws) < f.min_stop_ratio:
        return "foreign"
    return None


# ---- exact deduplication -----------------------------------------------------------------------
def normalize(text: str) -> str:
    """Case and whitespace do not make a new document."""
    return " ".join(text.lower().split())


def exact_dedup(texts: Sequence[str]) -> list[int]:
    """Indices of the documents to keep: the first of each group with the same normalised text."""
    seen: set[str] = set()
    keep = []
    for i, t in enumerate(texts):
        h = hashlib.sha1(normalize(t).encode("utf-8")).hexdigest()   # a digest, not the text, is stored
        if h not in seen:
            seen.add(h)
            keep.append(i)
    return keep


# ---- near-duplicate detection: shingles, MinHash, LSH --------------------------------------------
PRIME = (1 << 31) - 1   # Mersenne prime: hash values live in [0, PRIME); a·x + b stays below 2^63


def shingles(text: str, k: int = 5) -> set[str]:
    """The set of character k-grams of a document after normalising ("the b", "he ba", ...).

    Characters rather than words: a typo or a changed number then spoils about k shingles of a
    document's hundreds, where it would spoil a large share of a short document's word n-grams.
    """
    t = normalize(text)
    if len(t) <= k:
        return {t}
    return {t[i:i + k] for i in range(len(t) - k + 1)}


def jaccard(a: set, b: set) -> float:
    """|A ∩ B| / |A ∪ B|: the similarity MinHash estimates."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def shingle_ids(text: str, k: int = 5) -> np.ndarray:
    """The distinct character k-shingles of a document as integers in [0, PRIME), shape (S,), int64.

    A polynomial rolling hash of each k-character window of the normalised text, computed for all windows
    at once with numpy (the same windows as ``shingles``; two different shingles collide with probability
    about 1 / PRIME).
    """
    t = normalize(text)
    c = np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)   # code points, (L,)
    if len(c) < k:
        c = np.concatenate([c, np.zeros(k - len(c), dtype=np.int64)])
    h = np.zeros(len(c) - k + 1, dtype=np.int64)
    for j in range(k):                        # h = Σ_j c[i + j] · 1,000,003^(k-1-j)  (mod PRIME)
        h = (h * 1_000_003 + c[j:len(c) - k + 1 + j]) % PRIME
    return np.unique(h)


def jaccard_ids(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sets given as arrays of distinct integers."""
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def hash_params(num_perm: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``num_perm`` random hash functions h_j(x) = (a_j·x + b_j) mod PRIME: arrays a, b of shape (P,)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, PRIME, size=num_perm, dtype=np.int64)
    b = rng.integers(0, PRIME, size=num_perm, dtype=np.int64)
    return a, b


def minhash(ids: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signature, shape (P,): for each hash function, the smallest hash over the shingles.

    Two sets agree on a signature entry with probability equal to their Jaccard similarity.
    """
    hashed = (a[:, None] * ids[None, :] + b[:, None]) % PRIME   # (P, S)
    return hashed.min(axis=1)                                   # (P,)


def lsh_candidates(signatures: np.ndarray, bands: int) -> set[tuple[int, int]]:
    """Pairs (i < j) whose signatures agree on all rows of at least one band.

    ``signatures``: (n_docs, P) with P divisible by ``bands``. With r = P / bands rows per band, a pair
    of Jaccard similarity s becomes a candidate with probability 1 − (1 − s^r)^bands: an S-curve whose
    threshold is about (1 / bands)^(1 / r).
    """
    n, P = signatures.shape
    if P % bands:
        raise ValueError(f"{P} hash functions do not split into {bands} bands")
    r = P // bands
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        rows = np.ascontiguousarray(signatures[:, band * r:(band + 1) * r])
        for i in range(n):
            buckets[rows[i].tobytes()].append(i)
        for members in buckets.values():
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    pairs.add((members[x], members[y]))
    return pairs


def lsh_probability(s: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """Probability that a pair with Jaccard ``s`` shares at least one band."""
    return 1 - (1 - np.asarray(s, dtype=float) ** rows) ** bands


@dataclass
class NearDupResult:
    keep: list[int]                           # indices kept (the first of each cluster)
    duplicate_of: dict[int, int]              # removed index -> the kept index of its cluster
    candidates: int                           # pairs LSH proposed
    verified: int                             # of those, pairs whose real Jaccard passed the threshold


MinHashFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def near_pairs(texts: Sequence[str], threshold: float = 0.8, num_perm: int = 128, bands: int = 32, k: int = 5,
               seed: int = 0, minhash_fn: MinHashFn = minhash) -> tuple[set[tuple[int, int]], int]:
    """Pairs (i < j) with shingle Jaccard ≥ ``threshold``, found with MinHash + LSH: (verified pairs, candidates).

    LSH proposes candidate pairs in about linear time; each candidate is then verified with the exact
    Jaccard of the two shingle sets (cheap: there are few). ``minhash_fn`` lets the lab plug in its own.
    """
    ids = [shingle_ids(t, k) for t in texts]
    a, b = hash_params(num_perm, seed)
    sig = np.stack([np.asarray(minhash_fn(x, a, b), dtype=np.int64) for x in ids]) \
        if ids else np.zeros((0, num_perm), dtype=np.int64)                                    # (n, P)
    cands = lsh_candidates(sig, bands)
    return {(i, j) for i, j in cands if jaccard_ids(ids[i], ids[j]) >= threshold}, len(cands)


def near_dedup(texts: Sequence[str], threshold: float = 0.8, num_perm: int = 128, bands: int = 32,
               k: int = 5, seed: int = 0, minhash_fn: MinHashFn = minhash) -> NearDupResult:
    """Cluster near duplicates (character k-shingle Jaccard ≥ ``threshold``; pairs from ``near_pairs``)
    with union-find, and keep the earliest document of each cluster."""
    pairs, n_cands = near_pairs(texts, threshold, num_perm, bands, k, seed, minhash_fn)
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in sorted(pairs):
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)   # the earliest document represents the cluster
    keep = [i for i in range(len(texts)) if root(i) == i]
    dup = {i: root(i) for i in range(len(texts)) if root(i) != i}
    return NearDupResult(keep, dup, n_cands, len(pairs))


def brute_force_pairs(texts: Sequence[str], threshold: float, k: int = 5) -> set[tuple[int, int]]:
    """Every pair (i < j) with shingle Jaccard ≥ threshold, by comparing all pairs: O(n²), the reference."""
    sets = [shingles(t, k) for t in texts]
    return {(i, j) for i in range(len(sets)) for j in range(i + 1, len(sets))
            if jaccard(sets[i], sets[j]) >= threshold}


# ---- the pipeline --------------------------------------------------------------------------------
STAGES = ("too_short", "boilerplate", "spam", "garbled", "foreign", "exact_duplicate", "near_duplicate")


@dataclass
class CleanResult:
    kept: list[Doc]
    removed: dict[str, list[Doc]] = field(default_factory=dict)   # reason -> documents
    near: NearDupResult | None = None
    near_of: dict[int, Doc] = field(default_factory=dict)          # removed near duplicate's id -> kept doc

    @property
    def counts(self) -> dict[str, int]:
        out = {reason: len(self.removed.get(reason, [])) for reason in STAGES}
        out["kept"] = len(self.kept)
        return out

    @property
    def survival(self) -> float:
        total = len(self.kept) + sum(len(v) for v in self.removed.values())
        return len(self.kept) / max(1, total)

    def texts(self) -> list[str]:
        return [d.text for d in self.kept]


def clean(docs: Sequence[Doc], filters: Filters = Filters(), *, threshold: float = 0.8, num_perm: int = 128,
          bands: int = 32, dedup_fn: Callable[[Sequence[str]], list[int]] = exact_dedup,
          minhash_fn: MinHashFn = minhash) -> CleanResult:
    """Quality filters, then exact dedup, then near dedup; every removal is kept with its reason."""
    removed: dict[str, list[Doc]] = defaultdict(list)
    passing = []
    for d in docs:
        reason = quality_reason(d.text, filters)
        if reason:
            removed[reason].append(d)
        else:
            passing.append(d)
    keep = set(dedup_fn([d.text for d in passing]))
    removed["exact_duplicate"] = [d for i, d in enumerate(passing) if i not in keep]
    unique = [d for i, d in enumerate(passing) if i in keep]
    near = near_dedup([d.text for d in unique], threshold, num_perm, bands, minhash_fn=minhash_fn)
    kept_idx = set(near.keep)
    removed["near_duplicate"] = [d for i, d in enumerate(unique) if i not in kept_idx]
    near_of = {unique[i].id: unique[j] for i, j in near.duplicate_of.items()}
    return CleanResult([d for i, d in enumerate(unique) if i in kept_idx], dict(removed), near, near_of)


def confusion(result: CleanResult) -> dict[str, dict[str, int]]:
    """Planted kind -> {what happened to it: count}: how well the pipeline did, per kind of junk."""
    table: dict[str, Counter] = {kind: Counter() for kind in KINDS}
    for d in result.kept:
        table[d.kind]["kept"] += 1
    for reason, ds in result.removed.items():
        for d in ds:
            table[d.kind][reason] += 1
    return {kind: dict(c) for kind, c in table.items() if c}


def scores(result: CleanResult) -> dict[str, float]:
    """Share of each planted kind of junk that was removed, and of clean documents lost (false positives)."""
    kept_kinds = Counter(d.kind for d in result.kept)
    planted = kept_kinds + Counter(d.kind for ds in result.removed.values() for d in ds)
    out = {f"{k}_removed": 1 - kept_kinds[k] / planted[k] for k in KINDS if k != "clean" and planted[k]}
    out["clean_lost"] = 1 - kept_kinds["clean"] / max(1, planted["clean"])
    return out
