"""The adaptation rules file: every rule AD-1 to AD-6 with a source, and a rule the guide does
not give cites a named paper or asks for review."""

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from app.progress.adapter import RULES_FILE, load_rules
from app.progress.rules import RULE_IDS, AdaptationRules, rules_version


def test_every_rule_is_there_with_its_sources() -> None:
    rules = load_rules()

    assert sorted(rules.rules) == sorted(RULE_IDS) == [f"AD-{n}" for n in range(1, 7)]
    assert "Farrar" in rules.rule("AD-2").source
    assert "Salaffi" in rules.rule("AD-2").source
    assert "NICE NG59" in rules.rule("AD-1").source
    # The thresholds this API chose are marked for review.
    for rule_id in ("AD-2", "AD-4", "AD-5"):
        assert rules.rule(rule_id).review


def test_the_nprs_change_is_two_points() -> None:
    assert load_rules().meaningful_change == 2


def test_a_missing_rule_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    del data["rules"]["AD-6"]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    with pytest.raises(ValidationError, match="AD-1"):
        load_rules(path)


def test_the_version_follows_the_content() -> None:
    rules = load_rules()
    changed = AdaptationRules.model_validate({**rules.model_dump(), "missing_log_days": 4})

    assert rules_version(rules) == rules_version(load_rules())
    assert rules_version(changed) != rules_version(rules)
