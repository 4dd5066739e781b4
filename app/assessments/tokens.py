"""Result tokens: a scored result the server can trust when a client hands it back.

``POST /v1/assessments/score`` stores nothing, yet an app may plan later from the result it was
given. Handing back bare triage and findings would let any client assert ``self_care``; a
result token cannot be forged or edited: it is the result's triage, finding codes and pain,
signed with an HMAC under a key derived from the server secret (``itsdangerous``), and bound
to the ruleset and dataset versions that produced it. Tokens carry no timestamp, so the same
answers give the same token (and the scoring endpoint stays deterministic); a token stops
working when the ruleset or the dataset changes, and then the answers must be scored again.
"""

import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import ValidationError

from app.assessments.schemas import AssessmentResult, Triage
from app.catalogue import StrictModel
from app.core.errors import UnprocessableContent

FORMAT_VERSION = 1
_SALT = "hipspine.assessment-result"
_LOCATION = ["body", "assessment", "token"]


class InvalidResultToken(UnprocessableContent):
    code = "invalid_result_token"


class OutdatedResultToken(UnprocessableContent):
    code = "outdated_result_token"


class ResultClaims(StrictModel):
    """What a token vouches for."""

    v: int
    ruleset_version: str
    dataset_version: str
    triage: Triage
    findings: list[str]
    pain_now: int


@dataclass(frozen=True)
class ResultTokens:
    secret: bytes

    @property
    def _serializer(self) -> URLSafeSerializer:
        # HMAC-SHA256 under a key derived (by HMAC) from the server secret and this use's salt,
        # so a token is never valid as anything else the secret signs.
        return URLSafeSerializer(
            self.secret,
            salt=_SALT,
            signer_kwargs={"digest_method": hashlib.sha256, "key_derivation": "hmac"},
        )

    def issue(self, result: AssessmentResult, *, pain_now: int) -> str:
        claims = ResultClaims(
            v=FORMAT_VERSION,
            ruleset_version=result.ruleset_version,
            dataset_version=result.dataset_version,
            triage=result.triage,
            findings=[finding.code for finding in result.findings],
            pain_now=pain_now,
        )
        token: str = self._serializer.dumps(claims.model_dump(mode="json"))
        return token

    def verify(self, token: str, *, ruleset_version: str, dataset_version: str) -> ResultClaims:
        """The claims of a token this server issued for the current versions, or a 422."""
        try:
            claims = ResultClaims.model_validate(self._serializer.loads(token))
        except (BadSignature, ValidationError):
            raise InvalidResultToken(
                "The result token was not issued by this server or has been changed: send "
                "the `result_token` of `POST /v1/assessments/score` unchanged, or the answers.",
                errors=[
                    {
                        "loc": _LOCATION,
                        "msg": "Invalid result token",
                        "type": "invalid_result_token",
                    }
                ],
            ) from None
        issued_for = (claims.v, claims.ruleset_version, claims.dataset_version)
        if issued_for != (FORMAT_VERSION, ruleset_version, dataset_version):
            raise OutdatedResultToken(
                "The result token was issued for an earlier ruleset or dataset version: score "
                "the answers again and send the new token, or send the answers.",
                errors=[
                    {
                        "loc": _LOCATION,
                        "msg": "Outdated result token",
                        "type": "outdated_result_token",
                    }
                ],
            )
        return claims
