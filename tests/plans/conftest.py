"""The catalogue as the plan tests read it: the repository's content, as a snapshot."""

import pytest

from app.catalogue.content import Content
from app.catalogue.snapshot import CatalogueSnapshot


@pytest.fixture(scope="module")
def catalogue(content: Content) -> CatalogueSnapshot:
    return CatalogueSnapshot(
        version=content.version, exercises=content.exercises, guidance=content.guidance
    )
