from typing import Annotated

from fastapi import Depends, Request

from app.assessments.service import Assessments
from app.assessments.tokens import ResultTokens


async def current_assessments(request: Request) -> Assessments:
    assessments: Assessments = request.app.state.assessments
    return assessments


AssessmentsDep = Annotated[Assessments, Depends(current_assessments)]


async def current_result_tokens(request: Request) -> ResultTokens:
    tokens: ResultTokens = request.app.state.result_tokens
    return tokens


ResultTokensDep = Annotated[ResultTokens, Depends(current_result_tokens)]
