// What an app maker writes with the TypeScript types generated from openapi/openapi.json by
// openapi-typescript, and openapi-fetch. Type-checked with `tsc --strict --noEmit` against freshly
// generated types by tests/clients/test_generated_clients.py; never run (it needs a server).
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Schemas = components["schemas"];

const api = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });

export async function gluteStrengthDoses(): Promise<string[]> {
  const { data, error } = await api.GET("/v1/exercises", {
    params: { query: { category: "strength", target: "glutes", limit: 5 } },
  });
  if (error) {
    return [`${error.code}: ${error.detail}`];
  }
  return data.items.map((exercise) => {
    const sets = exercise.dose.sets;
    return sets === null ? exercise.name : `${exercise.name} ${sets.minimum}-${sets.maximum} sets`;
  });
}

export async function catalogueIfChanged(etag: string): Promise<Schemas["CataloguePublic"] | null> {
  const { data, response } = await api.GET("/v1/catalogue", {
    params: { header: { "If-None-Match": etag } },
  });
  return response.status === 304 || data === undefined ? null : data;
}

const answers: Schemas["AssessmentAnswers"] = {
  tests: {
    hip_extension: { left: "normal", right: "restricted" },
    seated_rotation: "skipped",
    bridge: { result: "lumbar_before_glutes" },
  },
  intake: { pain_now: 4, pain_weeks: 3, sharp_or_shooting_pain: false },
  red_flags: {
    numbness: false,
    weakness: false,
    bladder_or_bowel_changes: false,
    saddle_numbness: false,
    urinary_difficulty_or_incontinence: false,
    progressive_leg_weakness: false,
    both_legs_affected: false,
    serious_accident: false,
    fever_or_unwell: false,
    unexplained_weight_loss: false,
    history_of_cancer: false,
    constant_night_pain: false,
  },
};

export async function rightHipIsRestricted(): Promise<boolean> {
  const { data } = await api.POST("/v1/assessments/score", { body: answers });
  const wanted: Schemas["FindingCode"] = "hip_extension.restricted.right";
  return data?.findings.some((finding) => finding.code === wanted) ?? false;
}

export async function firstWeekMinutes(): Promise<number | string> {
  const request: Schemas["PlanRequest"] = {
    assessment: { kind: "answers", answers },
    pain_now: 4,
    equipment: ["resistance_band"],
    minutes_per_day: 30,
    training_days: ["monday", "wednesday", "friday"],
    start_date: "2026-12-07",
    time_zone: "Europe/London",
  };
  const { data, error } = await api.POST("/v1/plans/preview", { body: request });
  if (error) {
    return "triage" in error ? error.triage.advice : error.detail;
  }
  const calendar = await api.POST("/v1/plans/preview/calendar", {
    body: request,
    parseAs: "text",
  });
  if (calendar.data === undefined) {
    return "no calendar";
  }
  return data.weeks[0].summary.minutes;
}

export async function register(key: string, reference: string): Promise<string> {
  const headers = { Authorization: `Bearer ${key}` };
  const created = await api.POST("/v1/patients", {
    headers,
    params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    body: { external_reference: reference },
  });
  if (created.error) {
    const code: Schemas["ProblemCode"] = created.error.code;
    return code === "duplicate_external_reference" ? "already registered" : created.error.detail;
  }
  // Only what changes is sent: absent fields are left as they are.
  const updated = await api.PATCH("/v1/patients/{patient_id}", {
    headers,
    params: {
      path: { patient_id: created.data.id },
      header: { "If-Match": created.response.headers.get("ETag") ?? "*" },
    },
    body: { attributes: { activity_level: "light", occupation: null } },
  });
  return updated.data?.updated_at ?? "not updated";
}
