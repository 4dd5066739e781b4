from typing import Annotated

from fastapi import Depends, Request

from app.progress.adapter import Adapter


async def current_adapter(request: Request) -> Adapter:
    adapter: Adapter = request.app.state.adapter
    return adapter


AdapterDep = Annotated[Adapter, Depends(current_adapter)]
