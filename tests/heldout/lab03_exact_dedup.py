"""Held-out student variants for Lab 03, Exercise 1: exact_dedup(texts) -> list[int]."""
import hashlib
import unicodedata

import numpy as np


def _norm(text: str) -> str:
    """crawl.normalize: lower-case, whitespace collapsed."""
    return " ".join(text.lower().split())


def _sha1(s: str) -> str:
    return hashlib.sha1(s.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- correct
def c_reference(texts: list[str]) -> list[int]:
    seen, keep = set(), []
    for i, t in enumerate(texts):
        h = _sha1(_norm(t))
        if h not in seen:
            seen.add(h)
            keep.append(i)
    return keep


def c_dict_setdefault(texts: list[str]) -> list[int]:
    first: dict[bytes, int] = {}
    for i, t in enumerate(texts):
        first.setdefault(hashlib.sha1(" ".join(t.lower().split()).encode()).digest(), i)
    return sorted(first.values())


def c_numpy_unique(texts: list[str]) -> list[int]:
    if not texts:
        return []
    digests = np.array([_sha1(_norm(t)) for t in texts])
    _, first = np.unique(digests, return_index=True)
    return [int(i) for i in np.sort(first)]


# ---------------------------------------------------------------- wrong
def _dedup_with(key, texts):
    seen, keep = set(), []
    for i, t in enumerate(texts):
        h = key(t)
        if h not in seen:
            seen.add(h)
            keep.append(i)
    return keep


def w_no_normalisation(texts):
    return _dedup_with(lambda t: _sha1(t), texts)


def w_lower_only(texts):
    return _dedup_with(lambda t: _sha1(t.lower()), texts)


def w_strip_only(texts):
    return _dedup_with(lambda t: _sha1(t.strip().lower()), texts)   # inner whitespace runs not collapsed


def w_split_on_space(texts):
    return _dedup_with(lambda t: _sha1(" ".join(t.lower().split(" "))), texts)   # tabs/newlines/double spaces kept


def w_keeps_last(texts):
    last = {}
    for i, t in enumerate(texts):
        last[_sha1(_norm(t))] = i
    return sorted(last.values())


def w_ordered_by_hash(texts):
    first = {}
    for i, t in enumerate(texts):
        first.setdefault(_sha1(_norm(t)), i)
    return [first[h] for h in sorted(first)]             # not in increasing index order


def w_drops_all_copies(texts):
    counts = {}
    hashes = [_sha1(_norm(t)) for t in texts]
    for h in hashes:
        counts[h] = counts.get(h, 0) + 1
    return [i for i, h in enumerate(hashes) if counts[h] == 1]   # originals of duplicated texts removed too


def w_prefix_only(texts):
    return _dedup_with(lambda t: _sha1(_norm(t)[:100]), texts)   # documents sharing a 100-char prefix merge


def w_latin1_encoding(texts):
    return _dedup_with(lambda t: hashlib.sha1(_norm(t).encode("latin-1")).hexdigest(), texts)   # non-Latin text crashes


def w_ascii_ignore(texts):
    return _dedup_with(lambda t: hashlib.sha1(_norm(t).encode("ascii", "ignore")).hexdigest(), texts)


def w_one_based(texts):
    return [i + 1 for i in c_reference(texts)]


def w_returns_texts(texts):
    return [texts[i] for i in c_reference(texts)]


def w_skips_last(texts):
    seen, keep = set(), []
    for i in range(len(texts) - 1):                      # off by one: the last document is never kept
        h = _sha1(_norm(texts[i]))
        if h not in seen:
            seen.add(h)
            keep.append(i)
    return keep


def w_casefold(texts):
    return _dedup_with(lambda t: _sha1(" ".join(t.casefold().split())), texts)   # "ß" == "ss"


def w_removes_all_whitespace(texts):
    return _dedup_with(lambda t: _sha1("".join(t.lower().split())), texts)   # "a bc" == "ab c"


def w_empty_input(texts):
    keep, seen = [0], {_sha1(_norm(texts[0]))} if texts else set()
    for i in range(1, len(texts)):
        h = _sha1(_norm(texts[i]))
        if h not in seen:
            seen.add(h)
            keep.append(i)
    return keep                                          # [0] for an empty list


def w_adjacent_only(texts):
    keep, prev = [], None
    for i, t in enumerate(texts):
        h = _sha1(_norm(t))
        if h != prev:                                    # like `uniq`: only consecutive copies removed
            keep.append(i)
        prev = h
    return keep


def w_nfkc(texts):
    return _dedup_with(lambda t: _sha1(" ".join(unicodedata.normalize("NFKC", t).lower().split())), texts)


def w_returns_set(texts):
    return set(c_reference(texts))


def w_python_hash_of_length(texts):
    return _dedup_with(lambda t: (len(_norm(t)), hash(_norm(t)[:16])), texts)   # "a hash" of length + start


CORRECT = {
    "reference: sha1 of normalised text, set of digests, first index kept": c_reference,
    "dict.setdefault on raw sha1 digests, sorted values": c_dict_setdefault,
    "np.unique(return_index=True) on hex digests": c_numpy_unique,
}

WRONG = {
    "no normalisation": w_no_normalisation,
    "lower-case only, whitespace not collapsed": w_lower_only,
    "strip + lower, inner whitespace not collapsed": w_strip_only,
    "split(' ') instead of split()": w_split_on_space,
    "keeps the last of each group": w_keeps_last,
    "indices returned in hash order": w_ordered_by_hash,
    "drops every member of a duplicated group": w_drops_all_copies,
    "hashes only the first 100 characters": w_prefix_only,
    "latin-1 encoding (crashes on other scripts)": w_latin1_encoding,
    "ascii encoding with errors='ignore' (non-ASCII differences vanish)": w_ascii_ignore,
    "1-based indices": w_one_based,
    "returns the texts, not the indices": w_returns_texts,
    "never keeps the last document": w_skips_last,
    "casefold instead of lower": w_casefold,
    "removes all whitespace": w_removes_all_whitespace,
    "returns [0] for an empty crawl": w_empty_input,
    "only removes adjacent duplicates": w_adjacent_only,
    "NFKC normalisation on top of lower/whitespace": w_nfkc,
    "returns a set": w_returns_set,
    "keys on length + hash of the first 16 characters": w_python_hash_of_length,
}
