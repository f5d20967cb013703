"""Held-out student variants for Lab 03, Exercise 2: minhash(ids, a, b) -> (P,) signature."""
import numpy as np

PRIME = (1 << 31) - 1   # crawl.PRIME


# ---------------------------------------------------------------- correct
def c_reference(ids: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a[:, None] * ids[None, :] + b[:, None]) % PRIME).min(axis=1)


def c_transposed_broadcast(ids: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    table = (np.outer(ids, a) + b) % PRIME               # (S, P)
    return table.min(axis=0)


def c_python_ints(ids: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    xs = [int(x) for x in ids]
    return np.array([min((int(aj) * x + int(bj)) % PRIME for x in xs) for aj, bj in zip(a, b)], dtype=np.int64)


# ---------------------------------------------------------------- wrong
def w_float64(ids, a, b):
    h = (a[:, None].astype(np.float64) * ids[None, :] + b[:, None]) % PRIME   # a*x ~ 2^62 loses bits
    return h.min(axis=1).astype(np.int64)


def w_int32(ids, a, b):
    h = (a[:, None].astype(np.int32) * ids[None, :].astype(np.int32) + b[:, None].astype(np.int32)) % PRIME
    return h.min(axis=1).astype(np.int64)                # overflow


def w_uint32(ids, a, b):
    h = (a[:, None].astype(np.uint32) * ids[None, :].astype(np.uint32) + b[:, None].astype(np.uint32)) % PRIME
    return h.min(axis=1).astype(np.int64)                # wraps modulo 2^32 before the mod


def w_min_over_shingles_axis(ids, a, b):
    return ((a[:, None] * ids[None, :] + b[:, None]) % PRIME).min(axis=0)   # (S,) not (P,)


def w_argmin(ids, a, b):
    return ((a[:, None] * ids[None, :] + b[:, None]) % PRIME).argmin(axis=1)


def w_no_mod(ids, a, b):
    return (a[:, None] * ids[None, :] + b[:, None]).min(axis=1)


def w_mod_after_min(ids, a, b):
    return (a[:, None] * ids[None, :] + b[:, None]).min(axis=1) % PRIME


def w_max(ids, a, b):
    return ((a[:, None] * ids[None, :] + b[:, None]) % PRIME).max(axis=1)


def w_ignores_b(ids, a, b):
    return ((a[:, None] * ids[None, :]) % PRIME).min(axis=1)


def w_mod_2_31(ids, a, b):
    return ((a[:, None] * ids[None, :] + b[:, None]) % (1 << 31)).min(axis=1)


def w_hash_of_min_id(ids, a, b):
    return (a * ids.min() + b) % PRIME                   # h(min x) is not min h(x)


def w_global_min(ids, a, b):
    return ((a[:, None] * ids[None, :] + b[:, None]) % PRIME).min()   # one number


def w_b_broadcast_wrong(ids, a, b):
    return ((a[:, None] * ids[None, :] + b[None, :]) % PRIME).min(axis=1)   # crashes unless S == P


def w_elementwise(ids, a, b):
    return (a * ids + b) % PRIME                          # no (P, S) table: crashes or pairs a_j with x_j


def w_mod_inside_only(ids, a, b):
    return ((a[:, None] * ids[None, :]) % PRIME + b[:, None]).min(axis=1)   # the sum can exceed PRIME


def w_truncates_shingles(ids, a, b):
    ids = ids[:len(a)]                                   # only the first P shingles
    return ((a[:, None] * ids[None, :] + b[:, None]) % PRIME).min(axis=1)


def w_skips_first_shingle(ids, a, b):
    return ((a[:, None] * ids[None, 1:] + b[:, None]) % PRIME).min(axis=1)


def w_returns_list(ids, a, b):
    return ((a[:, None] * ids[None, :] + b[:, None]) % PRIME).min(axis=1).tolist()


def w_a_b_swapped(ids, a, b):
    return ((b[:, None] * ids[None, :] + a[:, None]) % PRIME).min(axis=1)


def w_parenthesis(ids, a, b):
    return ((a[:, None] * (ids[None, :] + b[:, None])) % PRIME).min(axis=1)   # a(x + b) instead of a x + b


def w_python_hash(ids, a, b):
    return np.array([min(hash((int(aj), int(x))) % PRIME for x in ids) for aj in a], dtype=np.int64)


CORRECT = {
    "reference: (P, S) table by broadcasting, min over axis 1": c_reference,
    "np.outer (S, P) table, min over axis 0": c_transposed_broadcast,
    "pure Python ints, one hash function at a time": c_python_ints,
}

WRONG = {
    "float64 arithmetic (loses low bits of a*x)": w_float64,
    "int32 arithmetic (overflow)": w_int32,
    "uint32 arithmetic (wraps mod 2^32)": w_uint32,
    "min over the shingles axis wrong (axis=0)": w_min_over_shingles_axis,
    "argmin instead of min": w_argmin,
    "no mod PRIME": w_no_mod,
    "mod taken after the min": w_mod_after_min,
    "max instead of min": w_max,
    "ignores b": w_ignores_b,
    "mod 2^31 instead of PRIME = 2^31 - 1": w_mod_2_31,
    "hashes the smallest id only": w_hash_of_min_id,
    "global min: a scalar": w_global_min,
    "b broadcast along the shingles axis": w_b_broadcast_wrong,
    "elementwise a*ids + b without a table": w_elementwise,
    "mod before adding b only": w_mod_inside_only,
    "only the first P shingles": w_truncates_shingles,
    "skips the first shingle": w_skips_first_shingle,
    "returns a Python list": w_returns_list,
    "a and b swapped": w_a_b_swapped,
    "a*(x + b) instead of a*x + b": w_parenthesis,
    "Python hash() of (a, x) instead of the given hash family": w_python_hash,
}
