import functools
from typing import Annotated

from fastapi import Depends

from app.progress.adapter import Adapter


@functools.cache
def current_adapter() -> Adapter:
    """The adaptation rules, loaded once per process (they are data files of the release)."""
    return Adapter.load()


AdapterDep = Annotated[Adapter, Depends(current_adapter)]
