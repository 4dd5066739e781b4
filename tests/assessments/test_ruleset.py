"""The ruleset data file: it loads, it names only what the catalogue has, its version tracks
its content, each red flag cites its source with the urgency the source gives, and a malformed
file is refused on load."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from app.assessments import schemas
from app.assessments.ruleset import AnswerRule, Ruleset, ruleset_version
from app.assessments.schemas import TriageLevel
from app.assessments.service import RULESET_FILE as DATA_FILE
from app.assessments.service import Assessments, load_ruleset
from app.catalogue.content import Content

RULESET = load_ruleset()
VERSION = re.compile(r"^2-[0-9a-f]{12}$")


def raw_ruleset() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def rule_data(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    rule: dict[str, Any] = next(r for r in data["test_rules"] if r["id"] == rule_id)
    return rule


class TestLoading:
    def test_the_data_file_loads(self) -> None:
        ruleset = load_ruleset()

        assert isinstance(ruleset, Ruleset)
        assert [rule.id for rule in ruleset.test_rules] == [
            "HE-1",
            "HE-2",
            "SR-1",
            "SR-2",
            "SR-3",
            "BR-1",
            "BR-2",
            "BR-3",
        ]
        intake = ruleset.intake_rules
        assert [rule.id for rule in intake.all()] == ["IN-1", "IN-2", "IN-3", "IN-4", "IN-5"]
        assert [flag.rule_id for flag in ruleset.red_flags] == [f"RF-{n}" for n in range(1, 13)]
        assert ruleset.test_movements.rule_id == "PM-1"
        assert ruleset.maintenance.rule_id == "GEN-1"

    def test_the_guide_thresholds(self) -> None:
        """FAQ: "If pain continues beyond six weeks"; the plan logs pain levels 0-10."""
        assert RULESET.intake_rules.persistent_pain_weeks == 6
        assert RULESET.intake_rules.high_pain_from == 7

    def test_loading_a_copy_gives_an_equal_ruleset(self, tmp_path: Path) -> None:
        copy = tmp_path / "copy.yaml"
        copy.write_bytes(DATA_FILE.read_bytes())

        assert load_ruleset(copy) == RULESET


class TestAgainstTheCatalogue:
    @pytest.mark.parametrize("rule", RULESET.test_rules, ids=lambda rule: rule.id)
    def test_every_recommended_slug_is_a_catalogue_exercise(
        self, content: Content, rule: AnswerRule
    ) -> None:
        slugs = {exercise.slug for exercise in content.exercises}

        assert set(rule.recommend) <= slugs

    def test_maintenance_slugs_are_catalogue_exercises(self, content: Content) -> None:
        slugs = {exercise.slug for exercise in content.exercises}

        assert set(RULESET.maintenance.recommend) <= slugs
        assert RULESET.slugs() <= slugs

    def test_every_guide_slug_is_a_catalogue_self_assessment(self, content: Content) -> None:
        guides = {item.slug for item in content.guidance.self_assessments}

        assert [entry.guide_slug for entry in RULESET.scoring] == [
            "hip-extension-test",
            "seated-rotation-test",
            "bridge-test",
        ]
        assert {entry.guide_slug for entry in RULESET.scoring} <= guides

    def test_gentle_categories_exist_in_the_catalogue(self, content: Content) -> None:
        categories = {exercise.category for exercise in content.exercises}

        assert set(RULESET.gentle.categories) <= categories


class TestVersion:
    def test_stable_across_loads(self) -> None:
        first = ruleset_version(load_ruleset())
        second = ruleset_version(load_ruleset())

        assert first == second == Assessments.load().version
        assert VERSION.match(first)

    def test_same_content_elsewhere_has_the_same_version(self, tmp_path: Path) -> None:
        path = tmp_path / "ruleset.yaml"
        path.write_bytes(DATA_FILE.read_bytes())

        assert ruleset_version(load_ruleset(path)) == ruleset_version(RULESET)

    def test_editing_one_rule_summary_changes_it(self, tmp_path: Path) -> None:
        original = DATA_FILE.read_text(encoding="utf-8")
        old = "summary: Rotation to the {side} is limited."
        assert original.count(old) == 1
        path = tmp_path / "ruleset.yaml"
        path.write_text(
            original.replace(old, "summary: Rotation to the {side} is clearly limited."),
            encoding="utf-8",
        )

        edited = load_ruleset(path)

        assert ruleset_version(edited) != ruleset_version(RULESET)
        assert VERSION.match(ruleset_version(edited))


def flag(rule_id: str) -> Any:
    return next(f for f in RULESET.red_flags if f.rule_id == rule_id)


class TestRedFlagSources:
    @pytest.mark.parametrize("rule_id", ["RF-1", "RF-2", "RF-3"])
    def test_guide_red_flags_cite_the_guide_and_are_urgent(self, rule_id: str) -> None:
        """FAQ: red-flag symptoms (numbness, weakness, bladder/bowel changes): "seek medical
        advice promptly", a prompt medical assessment."""
        assert flag(rule_id).source.startswith("Guide, Frequently Asked Questions")
        assert "numbness, weakness, bladder/bowel changes" in flag(rule_id).source
        assert flag(rule_id).level is TriageLevel.urgent

    @pytest.mark.parametrize("rule_id", ["RF-4", "RF-5", "RF-6"])
    def test_cauda_equina_signs_cite_nice_ng59_and_are_emergencies(self, rule_id: str) -> None:
        assert flag(rule_id).source.startswith("NICE NG59")
        assert "cauda equina" in flag(rule_id).source
        assert flag(rule_id).level is TriageLevel.emergency

    @pytest.mark.parametrize(
        ("rule_id", "field", "says"),
        [
            ("RF-7", "both_legs_affected", "weakness or numbness in both legs means call 999"),
            ("RF-8", "serious_accident", "serious accident, such as a car accident, means call"),
        ],
    )
    def test_the_nhs_a_and_e_signs_cite_the_nhs_and_are_emergencies(
        self, rule_id: str, field: str, says: str
    ) -> None:
        assert flag(rule_id).field == field
        assert "https://www.nhs.uk/conditions/back-pain/" in flag(rule_id).source
        assert says in flag(rule_id).source
        assert flag(rule_id).level is TriageLevel.emergency

    def test_trauma_says_why_it_is_an_emergency_here(self) -> None:
        """The brief grouped trauma with the urgent flags; the NHS says A&E. The rule follows
        the source and says so."""
        review = flag("RF-8").review
        assert review is not None
        assert "follows the source" in review

    @pytest.mark.parametrize(
        ("rule_id", "field", "source"),
        [
            ("RF-9", "fever_or_unwell", "a high temperature means ask for an urgent GP"),
            ("RF-10", "unexplained_weight_loss", "lost weight without trying to"),
            ("RF-11", "history_of_cancer", "NICE NG59 1.1.1: exclude specific causes"),
            ("RF-12", "constant_night_pain", "worse at night means ask for an urgent GP"),
        ],
    )
    def test_serious_pathology_flags_cite_their_source_and_are_urgent(
        self, rule_id: str, field: str, source: str
    ) -> None:
        assert flag(rule_id).field == field
        assert source in flag(rule_id).source
        assert flag(rule_id).level is TriageLevel.urgent

    def test_every_red_flag_reason_names_the_answer_in_plain_words(self) -> None:
        for red_flag in RULESET.red_flags:
            assert red_flag.reason.startswith("You said"), red_flag.rule_id
            assert red_flag.reason != red_flag.question


class TestTriageRuleSources:
    def test_very_severe_pain_cites_the_nhs_and_asks_for_review_of_its_threshold(self) -> None:
        rule = RULESET.intake_rules.very_severe_pain

        assert (rule.id, rule.triage) == ("IN-4", TriageLevel.see_professional)
        assert RULESET.intake_rules.very_severe_pain_from == 9
        assert "see a GP if the pain is very severe" in rule.source
        assert rule.review is not None
        assert "9 or 10" in rule.review

    def test_every_test_painful_cites_the_guide_and_asks_for_review(self) -> None:
        rule = RULESET.intake_rules.every_test_painful

        assert (rule.id, rule.triage) == ("IN-5", TriageLevel.see_professional)
        assert "consider consulting a specialist" in rule.source
        assert rule.review is not None
        assert RULESET.intake_rules.every_test_painful_min_tests == 2

    def test_high_pain_alone_is_self_care(self) -> None:
        assert RULESET.intake_rules.high_pain.triage is TriageLevel.self_care

    def test_test_movements_name_every_test_and_ask_for_review(self, content: Content) -> None:
        movements = RULESET.test_movements
        slugs = {exercise.slug for exercise in content.exercises}

        assert set(movements.tests) == set(schemas.TestName)
        assert movements.review
        for movement in movements.tests.values():
            assert set(movement.exercises) <= slugs
            assert set(movement.sided) <= set(movement.exercises)
            per_side = {e.slug for e in content.exercises if e.dose.per_side}
            assert set(movement.sided) <= per_side

    @pytest.mark.parametrize("rule", ["HE-2", "SR-3", "BR-3"])
    def test_a_painful_rule_recommends_nothing_that_repeats_its_movement(self, rule: str) -> None:
        painful = next(r for r in RULESET.test_rules if r.id == rule)

        repeats = set(RULESET.test_movements.tests[painful.test].exercises)
        assert not set(painful.recommend) & repeats


def _a_red_flag_that_is_only_see_professional(data: dict[str, Any]) -> None:
    data["red_flags"][0]["level"] = "see_professional"


def _an_intake_rule_that_is_an_emergency(data: dict[str, Any]) -> None:
    data["intake_rules"]["very_severe_pain"]["triage"] = "emergency"


def _a_sided_exercise_outside_the_movement(data: dict[str, Any]) -> None:
    data["test_movements"]["tests"]["bridge"]["sided"] = ["clamshell"]


def _unknown_rule_answer(data: dict[str, Any]) -> None:
    rule_data(data, "HE-1")["answers"] = ["restricted", "wobbly"]


def _unknown_points_answer(data: dict[str, Any]) -> None:
    data["scoring"][0]["points"]["wobbly"] = 3


def _answer_of_another_test(data: dict[str, Any]) -> None:
    rule_data(data, "BR-1")["answers"] = ["tighter"]


def _duplicate_test_rule_id(data: dict[str, Any]) -> None:
    rule_data(data, "HE-2")["id"] = "HE-1"


def _red_flag_reuses_a_test_rule_id(data: dict[str, Any]) -> None:
    data["red_flags"][5]["rule_id"] = "BR-3"


def _red_flags_share_an_id(data: dict[str, Any]) -> None:
    data["red_flags"][1]["rule_id"] = "RF-1"


def _intake_rules_share_an_id(data: dict[str, Any]) -> None:
    data["intake_rules"]["high_pain"]["id"] = "IN-1"


def _intake_rule_reuses_a_test_rule_id(data: dict[str, Any]) -> None:
    data["intake_rules"]["high_pain"]["id"] = "HE-1"


def _maintenance_reuses_a_red_flag_id(data: dict[str, Any]) -> None:
    data["maintenance"]["rule_id"] = "RF-1"


class TestMalformedRuleset:
    def test_unchanged_dump_still_loads(self, tmp_path: Path) -> None:
        assert load_ruleset(write(tmp_path, raw_ruleset())) == RULESET

    @pytest.mark.parametrize(
        "mutate",
        [
            _a_red_flag_that_is_only_see_professional,
            _an_intake_rule_that_is_an_emergency,
            _a_sided_exercise_outside_the_movement,
        ],
    )
    def test_a_level_or_movement_that_contradicts_its_kind_is_refused(
        self, tmp_path: Path, mutate: Callable[[dict[str, Any]], None]
    ) -> None:
        data = raw_ruleset()
        mutate(data)

        with pytest.raises(ValidationError):
            load_ruleset(write(tmp_path, data))

    @pytest.mark.parametrize(
        "mutate", [_unknown_rule_answer, _unknown_points_answer, _answer_of_another_test]
    )
    def test_unknown_answer_value_is_refused(
        self, tmp_path: Path, mutate: Callable[[dict[str, Any]], None]
    ) -> None:
        data = raw_ruleset()
        mutate(data)

        with pytest.raises(ValidationError):
            load_ruleset(write(tmp_path, data))

    @pytest.mark.parametrize(
        "mutate",
        [
            _duplicate_test_rule_id,
            _red_flag_reuses_a_test_rule_id,
            _red_flags_share_an_id,
            _intake_rules_share_an_id,
            _intake_rule_reuses_a_test_rule_id,
            _maintenance_reuses_a_red_flag_id,
        ],
    )
    def test_duplicate_rule_id_is_refused(
        self, tmp_path: Path, mutate: Callable[[dict[str, Any]], None]
    ) -> None:
        data = raw_ruleset()
        mutate(data)

        with pytest.raises(ValidationError, match="unique"):
            load_ruleset(write(tmp_path, data))
