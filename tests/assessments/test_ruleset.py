"""The ruleset data file: it loads, it names only what the catalogue has, its version tracks
its content, each red flag cites its source, and a malformed file is refused on load."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from app.assessments.ruleset import DATA_FILE, AnswerRule, Ruleset, load_ruleset, ruleset_version
from app.assessments.service import Assessments
from app.catalogue.content import Content

RULESET = load_ruleset()
VERSION = re.compile(r"^1-[0-9a-f]{12}$")


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
        assert [intake.persistent_pain.id, intake.sharp_or_shooting_pain.id] == ["IN-1", "IN-2"]
        assert intake.high_pain.id == "IN-3"
        assert [flag.rule_id for flag in ruleset.red_flags] == [f"RF-{n}" for n in range(1, 7)]
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


class TestRedFlagSources:
    @pytest.mark.parametrize("rule_id", ["RF-1", "RF-2", "RF-3"])
    def test_guide_red_flags_cite_the_guide(self, rule_id: str) -> None:
        flag = next(f for f in RULESET.red_flags if f.rule_id == rule_id)

        assert flag.source.startswith("Guide, Frequently Asked Questions")
        assert "numbness, weakness, bladder/bowel changes" in flag.source

    @pytest.mark.parametrize("rule_id", ["RF-4", "RF-5", "RF-6"])
    def test_cauda_equina_red_flags_cite_nice_ng59(self, rule_id: str) -> None:
        flag = next(f for f in RULESET.red_flags if f.rule_id == rule_id)

        assert flag.source.startswith("NICE NG59")
        assert "cauda equina" in flag.source


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
