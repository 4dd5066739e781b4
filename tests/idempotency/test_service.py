"""Claiming a key, inside one session's transaction."""

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session

from app.idempotency import service
from app.idempotency.service import KeySlot, StoredResponse
from app.tenants import service as tenants

TTL = timedelta(hours=24)


@pytest.fixture
def slot(session: Session) -> KeySlot:
    organisation = tenants.create_organisation(session, "Claims")
    return KeySlot(organisation_id=organisation.id, key="k-1")


def test_a_claim_is_replayed_once_completed(session: Session, slot: KeySlot) -> None:
    claimed = service.claim(session, slot, request_fingerprint="a", ttl=TTL)
    assert not isinstance(claimed, StoredResponse)
    response = StoredResponse(status_code=201, body=b"{}", media_type="application/json")
    service.complete(session, claimed, response)
    assert service.claim(session, slot, request_fingerprint="a", ttl=TTL) == response
    with pytest.raises(service.KeyReused):
        service.claim(session, slot, request_fingerprint="b", ttl=TTL)


def test_a_key_whose_winner_vanished_asks_for_a_retry(
    session: Session, slot: KeySlot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Losing the race to insert twice, with no committed record to replay in between (the
    winner's patient was erased meanwhile), is a 409 to retry, not a loop."""
    inserts: list[uuid.UUID] = []

    def lose(*_args: object) -> None:
        inserts.append(uuid.uuid4())

    monkeypatch.setattr(service, "_insert", lose)
    with pytest.raises(service.KeyInProgress):
        service.claim(session, slot, request_fingerprint="a", ttl=TTL)
    assert len(inserts) == 2
