from typing import Annotated

from fastapi import Depends, Request

from app.plans.service import Planner


async def current_planner(request: Request) -> Planner:
    planner: Planner = request.app.state.planner
    return planner


PlannerDep = Annotated[Planner, Depends(current_planner)]
