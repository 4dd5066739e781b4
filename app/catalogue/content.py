"""Reads and validates the content data files, and derives the dataset version from them.

The files under ``data/`` are the source of truth for every exercise and piece of guidance;
this module is pure (no database): the loader in ``service.py`` upserts what it returns.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from app.catalogue.schemas import ExercisePublic, Guidance
from app.core.versioning import content_version

DATA_DIR = Path(__file__).resolve().parent / "data"
FORMAT_VERSION = 1


class ContentError(ValueError):
    """The data files are inconsistent; the message says where."""


class _ExerciseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format_version: int = Field(ge=FORMAT_VERSION, le=FORMAT_VERSION)
    exercises: list[ExercisePublic] = Field(min_length=1)


class _GuidanceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format_version: int = Field(ge=FORMAT_VERSION, le=FORMAT_VERSION)
    guidance: Guidance


@dataclass(frozen=True)
class Content:
    exercises: tuple[ExercisePublic, ...]
    guidance: Guidance
    version: str


def load_content(data_dir: Path = DATA_DIR) -> Content:
    exercise_file = _ExerciseFile.model_validate(_read_yaml(data_dir / "exercises.yaml"))
    guidance_file = _GuidanceFile.model_validate(_read_yaml(data_dir / "guidance.yaml"))
    exercises = tuple(exercise_file.exercises)
    _check_references(exercises, guidance_file.guidance)
    return Content(
        exercises=exercises,
        guidance=guidance_file.guidance,
        version=dataset_version(exercises, guidance_file.guidance),
    )


def dataset_version(exercises: tuple[ExercisePublic, ...], guidance: Guidance) -> str:
    """Any change to any published field gives a new version."""
    return content_version(
        {
            "exercises": [exercise.model_dump(mode="json") for exercise in exercises],
            "guidance": guidance.model_dump(mode="json"),
        },
        format_version=FORMAT_VERSION,
    )


def _read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _check_references(exercises: tuple[ExercisePublic, ...], guidance: Guidance) -> None:
    by_slug = {exercise.slug: exercise for exercise in exercises}
    if len(by_slug) != len(exercises):
        raise ContentError("exercise slugs must be unique")
    problems: list[str] = []
    for exercise in exercises:
        # Links are mutual: A's progression lists A among its regressions, and back.
        for kind, back in (("progression", "regressions"), ("regression", "progressions")):
            for slug in getattr(exercise, f"{kind}s"):
                if slug not in by_slug:
                    problems.append(f"{exercise.slug}: {kind} {slug!r} is not an exercise")
                elif exercise.slug not in getattr(by_slug[slug], back):
                    problems.append(f"{slug}: must list {exercise.slug!r} among its {back}")
    for session in guidance.sessions:
        for slug in session.exercises:
            if slug not in by_slug:
                problems.append(f"session {session.kind}: {slug!r} is not an exercise")
            elif session.kind not in by_slug[slug].sessions:
                problems.append(f"{slug}: must list session {session.kind!r}")
    for week in guidance.plan_template:
        for slug in week.featured_exercises:
            if slug not in by_slug:
                problems.append(f"plan week {week.week}: {slug!r} is not an exercise")
        habits = {habit.slug for habit in guidance.habits}
        problems.extend(
            f"plan week {week.week}: habit {slug!r} is unknown"
            for slug in week.habit_focus
            if slug not in habits
        )
    if [week.week for week in guidance.plan_template] != list(range(1, 9)):
        problems.append("plan_template must list weeks 1 to 8 in order")
    if problems:
        raise ContentError("; ".join(problems))
