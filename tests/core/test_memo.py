from app.core.memo import BytesMemo


def test_repeat_key_reuses_the_bytes_without_making_them_again() -> None:
    memo = BytesMemo(max_entries=2)
    made: list[str] = []

    def make(name: str) -> bytes:
        made.append(name)
        return name.encode()

    assert memo.get_or_make("a", lambda: make("a")) == b"a"
    assert memo.get_or_make("a", lambda: make("a")) == b"a"

    assert made == ["a"]


def test_least_recently_used_entry_is_dropped_past_the_bound() -> None:
    memo = BytesMemo(max_entries=2)
    made: list[str] = []

    def make(name: str) -> bytes:
        made.append(name)
        return name.encode()

    for key in ("a", "b", "a", "c", "a", "b"):
        memo.get_or_make(key, lambda key=key: make(key))  # type: ignore[misc]

    # "b" was least recently used when "c" arrived, so only it had to be made again.
    assert made == ["a", "b", "c", "b"]


def test_get_answers_only_what_was_made() -> None:
    memo = BytesMemo(max_entries=2)

    assert memo.get("a") is None
    memo.get_or_make("a", lambda: b"A")
    assert memo.get("a") == b"A"
