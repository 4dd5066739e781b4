from typing import Annotated

from fastapi import Depends, Request

from app.assessments.service import Assessments


async def current_assessments(request: Request) -> Assessments:
    assessments: Assessments = request.app.state.assessments
    return assessments


AssessmentsDep = Annotated[Assessments, Depends(current_assessments)]
