import sys
import threading

import pytest

from app.core.bounded_cache import ENTRY_OVERHEAD, ByteBoundedCache, ThreadSafeByteBoundedCache

both_kinds = pytest.mark.parametrize("kind", [ByteBoundedCache, ThreadSafeByteBoundedCache])


@both_kinds
def test_the_least_recently_used_go_first_when_the_bytes_run_out(
    kind: type[ByteBoundedCache[str, bytes]],
) -> None:
    cache: ByteBoundedCache[str, bytes] = kind(max_bytes=3 * (ENTRY_OVERHEAD + 100))
    for key in "abc":
        cache.put(key, key.encode(), 100)
    assert cache.get("a") == b"a"  # now the most recently used

    cache.put("d", b"d", 100)

    assert cache.get("b") is None
    assert [cache.get(key) for key in "acd"] == [b"a", b"c", b"d"]
    assert cache.size == 3 * (ENTRY_OVERHEAD + 100)


@both_kinds
def test_a_large_entry_pushes_out_as_many_as_it_needs(
    kind: type[ByteBoundedCache[str, bytes]],
) -> None:
    cache: ByteBoundedCache[str, bytes] = kind(max_bytes=4 * (ENTRY_OVERHEAD + 100))
    for key in "abcd":
        cache.put(key, b"", 100)

    cache.put("big", b"", 2 * ENTRY_OVERHEAD + 200)

    assert len(cache) == 2
    assert cache.get("big") is not None
    assert cache.get("d") is not None
    assert cache.size <= cache.max_bytes


@both_kinds
def test_an_entry_larger_than_the_bound_is_not_kept_and_replaces_nothing_silently(
    kind: type[ByteBoundedCache[str, bytes]],
) -> None:
    cache: ByteBoundedCache[str, bytes] = kind(max_bytes=ENTRY_OVERHEAD + 100)
    cache.put("a", b"old", 10)

    cache.put("a", b"new", 10_000)

    assert cache.get("a") is None  # the stale value is not left behind either
    assert cache.size == 0


@both_kinds
def test_putting_a_key_again_charges_it_once(kind: type[ByteBoundedCache[str, bytes]]) -> None:
    cache: ByteBoundedCache[str, bytes] = kind(max_bytes=10_000)
    cache.put("a", b"1", 100)
    cache.put("a", b"2", 200)

    assert cache.get("a") == b"2"
    assert cache.size == ENTRY_OVERHEAD + 200


def test_the_thread_safe_kind_keeps_its_bound_and_its_books_under_threads() -> None:
    """Plan rendering puts and gets from the thread pool: the charged size must stay the sum
    of what the entries were charged, within the bound. Threads switch every microsecond here:
    the plain kind fails this in most runs."""
    cache: ThreadSafeByteBoundedCache[int, bytes] = ThreadSafeByteBoundedCache(
        max_bytes=20 * (ENTRY_OVERHEAD + 100)
    )

    def churn(offset: int) -> None:
        for n in range(2_000):
            cache.put((offset + n) % 50, b"", 100)
            cache.get((offset + n * 7) % 50)

    threads = [threading.Thread(target=churn, args=(offset,)) for offset in range(8)]
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)
    assert cache.size == len(cache) * (ENTRY_OVERHEAD + 100) <= cache.max_bytes
