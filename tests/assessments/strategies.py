"""Hypothesis strategies for assessment answers: the personas scoring and plans are tried on."""

from hypothesis import strategies as st

from app.assessments import schemas
from app.assessments.schemas import (
    AssessmentAnswers,
    BridgeAnswer,
    BridgeResult,
    HipExtensionAnswer,
    HipExtensionResult,
    Intake,
    RedFlagAnswers,
    RotationResult,
    SeatedRotationAnswer,
)

RED_FLAG_FIELDS = tuple(RedFlagAnswers.model_fields)
NO_RED_FLAGS = RedFlagAnswers.model_validate(dict.fromkeys(RED_FLAG_FIELDS, False))

hip_extension_answers = st.builds(
    HipExtensionAnswer,
    left=st.sampled_from(list(HipExtensionResult)),
    right=st.sampled_from(list(HipExtensionResult)),
)
seated_rotation_answers = st.builds(
    SeatedRotationAnswer,
    right=st.sampled_from(list(RotationResult)),
    left=st.sampled_from(list(RotationResult)),
)
bridge_answers = st.builds(BridgeAnswer, result=st.sampled_from(list(BridgeResult)))
answered_tests = st.builds(
    schemas.TestAnswers,
    hip_extension=st.one_of(hip_extension_answers, st.just("skipped")),
    seated_rotation=st.one_of(seated_rotation_answers, st.just("skipped")),
    bridge=st.one_of(bridge_answers, st.just("skipped")),
)
intakes = st.builds(
    Intake,
    pain_now=st.integers(min_value=0, max_value=10),
    pain_weeks=st.one_of(
        st.integers(min_value=0, max_value=12), st.integers(min_value=0, max_value=520)
    ),
    sharp_or_shooting_pain=st.booleans(),
)
red_flag_answers = st.one_of(
    st.just(NO_RED_FLAGS),
    st.builds(RedFlagAnswers, **{field: st.booleans() for field in RED_FLAG_FIELDS}),
)
assessment_answers = st.builds(
    AssessmentAnswers, tests=answered_tests, intake=intakes, red_flags=red_flag_answers
)
without_red_flags = st.builds(
    AssessmentAnswers, tests=answered_tests, intake=intakes, red_flags=st.just(NO_RED_FLAGS)
)


@st.composite
def with_a_red_flag(
    draw: st.DrawFn, fields: tuple[str, ...] = RED_FLAG_FIELDS
) -> AssessmentAnswers:
    """Any answers with at least one of ``fields`` answered yes."""
    answers = draw(assessment_answers)
    field = draw(st.sampled_from(fields))
    flags = answers.red_flags.model_dump() | {field: True}
    return answers.model_copy(update={"red_flags": RedFlagAnswers.model_validate(flags)})


@st.composite
def seeing_a_professional(draw: st.DrawFn) -> AssessmentAnswers:
    """No red flag, and pain beyond six weeks, sharp or shooting pain, or very severe pain."""
    answers = draw(without_red_flags)
    reason = draw(st.sampled_from(["weeks", "sharp", "severe"]))
    intake = Intake(
        pain_now=draw(st.integers(9, 10)) if reason == "severe" else answers.intake.pain_now,
        pain_weeks=draw(st.integers(7, 520)) if reason == "weeks" else answers.intake.pain_weeks,
        sharp_or_shooting_pain=True if reason == "sharp" else answers.intake.sharp_or_shooting_pain,
    )
    return answers.model_copy(update={"intake": intake})
