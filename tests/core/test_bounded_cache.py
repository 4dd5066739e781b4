from app.core.bounded_cache import ENTRY_OVERHEAD, ByteBoundedCache


def test_the_least_recently_used_go_first_when_the_bytes_run_out() -> None:
    cache: ByteBoundedCache[str, bytes] = ByteBoundedCache(max_bytes=3 * (ENTRY_OVERHEAD + 100))
    for key in "abc":
        cache.put(key, key.encode(), 100)
    assert cache.get("a") == b"a"  # now the most recently used

    cache.put("d", b"d", 100)

    assert cache.get("b") is None
    assert [cache.get(key) for key in "acd"] == [b"a", b"c", b"d"]
    assert cache.size == 3 * (ENTRY_OVERHEAD + 100)


def test_a_large_entry_pushes_out_as_many_as_it_needs() -> None:
    cache: ByteBoundedCache[str, bytes] = ByteBoundedCache(max_bytes=4 * (ENTRY_OVERHEAD + 100))
    for key in "abcd":
        cache.put(key, b"", 100)

    cache.put("big", b"", 2 * ENTRY_OVERHEAD + 200)

    assert len(cache) == 2
    assert cache.get("big") is not None
    assert cache.get("d") is not None
    assert cache.size <= cache.max_bytes


def test_an_entry_larger_than_the_bound_is_not_kept_and_replaces_nothing_silently() -> None:
    cache: ByteBoundedCache[str, bytes] = ByteBoundedCache(max_bytes=ENTRY_OVERHEAD + 100)
    cache.put("a", b"old", 10)

    cache.put("a", b"new", 10_000)

    assert cache.get("a") is None  # the stale value is not left behind either
    assert cache.size == 0


def test_putting_a_key_again_charges_it_once() -> None:
    cache: ByteBoundedCache[str, bytes] = ByteBoundedCache(max_bytes=10_000)
    cache.put("a", b"1", 100)
    cache.put("a", b"2", 200)

    assert cache.get("a") == b"2"
    assert cache.size == ENTRY_OVERHEAD + 200
