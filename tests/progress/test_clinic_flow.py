"""Issue 12's "How it is checked", through the API: a patient, a stored assessment and plan; a
week of logs at steady pain; then pain up by 3 points, then sharp pain on one exercise, then a
red flag. After each: the plan's revision, its reasons, the calendar and the progress summary
are read back."""

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from icalendar import Calendar

from app.assessments.examples import NO_RED_FLAGS
from tests.patients.conftest import Tenant
from tests.progress.conftest import store_patient_with_plan, today

STARTED_DAYS_AGO = 13
STEADY_PAIN = 3


class Clinic:
    def __init__(self, client: TestClient, tenant: Tenant) -> None:
        self.client, self.tenant = client, tenant
        self.patient, stored = store_patient_with_plan(
            client, tenant, "FLOW-1", days_ago=STARTED_DAYS_AGO
        )
        self.plan_id = stored["id"]
        self.generated = stored["plan"]
        self.start = date.fromisoformat(self.generated["inputs"]["start_date"])

    def day(self, number: int) -> date:
        return self.start + timedelta(days=number)

    def days(self, plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {d["date"]: d for w in plan["weeks"] for d in w["days"]}

    def log(self, number: int, pain: int, **fields: Any) -> dict[str, Any]:
        day = self.day(number).isoformat()
        sessions = [s["id"] for s in self.days(self.generated)[day]["sessions"]]
        body = {
            "pain": pain,
            "hip_mobility": 6,
            "relief_movements": [],
            "sessions_done": sessions,
            "sharp_pain": [],
            "red_flags": NO_RED_FLAGS,
            **fields,
        }
        response = self.client.put(
            f"/v1/patients/{self.patient}/logs/{day}", json=body, headers=self.tenant.headers()
        )
        assert response.status_code == 201, response.text
        written: dict[str, Any] = response.json()
        return written

    def get(self, suffix: str) -> Any:
        response = self.client.get(
            f"/v1/patients/{self.patient}{suffix}", headers=self.tenant.headers()
        )
        assert response.status_code == 200, response.text
        return response.json() if "json" in response.headers["content-type"] else response.text

    def plan(self) -> dict[str, Any]:
        plan: dict[str, Any] = self.get(f"/plans/{self.plan_id}")
        return plan

    def revisions(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.get(f"/plans/{self.plan_id}/revisions?limit=100")[
            "items"
        ]
        return items

    def sequences(self) -> dict[str, int]:
        calendar = Calendar.from_ical(self.get(f"/plans/{self.plan_id}/calendar"))
        return {str(e["uid"]): int(e.decoded("sequence")) for e in calendar.events}


def test_a_clinic_follows_a_patient_through_a_plan(client: TestClient, clinic: Tenant) -> None:
    flow = Clinic(client, clinic)
    assert flow.plan()["revision"] == 1
    uids = flow.sequences().keys()
    assert set(flow.sequences().values()) == {0}

    # A week at steady pain, every session done.
    for number in range(7):
        written = flow.log(number, STEADY_PAIN)
        assert written["triage"] is None
        assert written["plans"][0]["status"] == "active"
    after_steady = flow.plan()
    assert {c["rule_id"] for r in flow.revisions() for c in r["changes"]} <= {"AD-4", "AD-6"}
    summary = flow.get("/progress")
    assert [p["pain"] for p in summary["pain"]] == [STEADY_PAIN] * 7
    assert summary["change"] is None  # nothing after the baseline week yet
    week_1 = summary["adherence_by_week"][0]
    assert week_1["week"] == 1
    assert week_1["done"] == week_1["planned"] > 0
    assert week_1["percent"] == 100.0

    # Pain up by 3 points: progression held, the next sessions stepped back (AD-2).
    written = flow.log(7, STEADY_PAIN + 3)
    [plan_result] = written["plans"]
    assert any(c["rule_id"] == "AD-2" for c in plan_result["changes"])
    for change in plan_result["changes"]:
        assert change["reason"]
        assert change["source"]
        assert all(d > flow.day(7).isoformat() for d in change["dates"])
    risen = flow.plan()
    assert risen["revision"] == plan_result["revision"] > after_steady["revision"]
    assert flow.revisions()[0]["number"] == risen["revision"]
    assert flow.revisions()[0]["log_date"] == flow.day(7).isoformat()
    assert flow.revisions()[0]["changes"] == plan_result["changes"]
    detail = flow.get(f"/plans/{flow.plan_id}/revisions/{risen['revision']}")
    assert detail["plan"] == risen["plan"]
    assert detail["changes"] == plan_result["changes"]
    assert detail["diff"]
    assert all(d["date"] > flow.day(7).isoformat() for d in detail["diff"])
    assert flow.get(f"/plans/{flow.plan_id}/revisions/1")["diff"] == []
    # Days gone are never rewritten.
    for number in range(8):
        day = flow.day(number).isoformat()
        assert flow.days(risen["plan"])[day] == flow.days(flow.generated)[day]
    sequences = flow.sequences()
    assert sequences.keys() == uids  # same UIDs
    assert max(sequences.values()) >= 1  # the changed events have a higher SEQUENCE
    summary = flow.get("/progress")
    assert summary["change"]["label"] == "no_meaningful_change"  # one day does not move the mean
    assert summary["pain"][-1]["pain"] == STEADY_PAIN + 3

    # Sharp pain on an exercise of day 8 that the plan holds again later: swapped (AD-3).
    day8 = flow.day(8).isoformat()
    later = {
        i["slug"]
        for d, day in flow.days(flow.plan()["plan"]).items()
        if d > day8
        for s in day["sessions"]
        for i in s["items"]
    }
    item = next(
        i
        for s in flow.days(flow.plan()["plan"])[day8]["sessions"]
        if s["kind"] != "micro_break"
        for i in s["items"]
        if i["slug"] in later
    )
    side = "left" if item["dose"]["per_side"] else None
    written = flow.log(8, STEADY_PAIN, sharp_pain=[{"slug": item["slug"], "side": side}])
    [plan_result] = written["plans"]
    swaps = [c for c in plan_result["changes"] if c["rule_id"] == "AD-3"]
    assert [(c["kind"], c["slug"], c["side"]) for c in swaps] == [("swapped", item["slug"], side)]
    swapped = flow.plan()
    assert swapped["revision"] == plan_result["revision"]
    for d, plan_day in flow.days(swapped["plan"]).items():
        if d <= day8:
            continue
        for session in plan_day["sessions"]:
            for planned in session["items"]:
                if planned["slug"] == item["slug"]:
                    # Only ever on the other side, never again on the painful one.
                    assert side is not None
                    assert planned["only_side"] not in (None, side)
    summary = flow.get("/progress")
    assert summary["sharp_pain"] == [{"date": day8, "slug": item["slug"], "side": side}]
    assert flow.sequences().keys() == uids

    # A red flag: every running plan stops with the triage; the calendar cancels what remains.
    written = flow.log(9, STEADY_PAIN, red_flags={**NO_RED_FLAGS, "fever_or_unwell": True})
    assert written["triage"]["level"] in {"urgent", "emergency"}
    assert [p["status"] for p in written["plans"]] == ["stopped"]
    stopped = flow.plan()
    assert stopped["status"] == "stopped"
    assert stopped["stop"]["reason"] == "red_flag"
    assert stopped["stop"]["log_date"] == flow.day(9).isoformat()
    assert stopped["revision"] == swapped["revision"]
    calendar = flow.get(f"/plans/{flow.plan_id}/calendar")
    assert "STATUS:CANCELLED" in calendar
    summary = flow.get("/progress")
    assert [r["date"] for r in summary["red_flags"]] == [flow.day(9).isoformat()]
    assert summary["days_since_last_log"] == (today() - flow.day(9)).days
