"""The compiled BLAKE2b of the hasher equals hashlib's, so token hashes never change."""

import hashlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsereg._hashing import hash_uniques
from sparsereg._strhash import blake2b_64_many


def reference(b):
    return int.from_bytes(hashlib.blake2b(b, digest_size=8).digest(), "little")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=600), max_size=30))
def test_blake2b_64_equals_hashlib_for_any_bytes(items):
    # lengths around the 128-byte block (0, 127, 128, 129, 256...) are where it could slip
    items = items + [bytes(n) for n in (0, 1, 127, 128, 129, 255, 256, 257)]
    offsets = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in items], out=offsets[1:])
    out = np.empty(len(items), dtype=np.uint64)
    blake2b_64_many(np.frombuffer(b"".join(items), dtype=np.uint8), offsets, out)
    assert out.tolist() == [reference(b) for b in items]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec=None, exclude_categories=())), max_size=20))
def test_string_tokens_equal_their_hashlib_definition(strings):
    """Tokens of str values (lone surrogates, emoji and empty strings included)."""
    from sparsereg._hashing import KIND_STR, fmix64, kind_salt

    hashes, missing = hash_uniques(strings)
    payloads = np.array(
        [reference(s.encode("utf-8", "surrogatepass")) for s in strings], dtype=np.uint64
    ) ^ np.uint64(kind_salt(KIND_STR))
    assert missing is None
    assert hashes.tolist() == fmix64(payloads).tolist()
