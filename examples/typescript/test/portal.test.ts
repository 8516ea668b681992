// Runs the portal script against a running gateway as a browser page on
// SYNCGATE_PORTAL_ORIGIN would (browserFetch applies CORS as a browser
// does). `make examples-test` starts the demo with that origin allowed and
// runs it; by hand:
//
//   syncgate demo -cors-origins http://localhost:3000
//   SYNCGATE_URL=http://127.0.0.1:8080 SYNCGATE_TOKEN=<token> SYNCGATE_PORTAL_ORIGIN=http://localhost:3000 \
//     SYNCGATE_PAUSED_JOB=<app>/<job> SYNCGATE_NOTCONFIGURED_JOB=<app>/<job> SYNCGATE_NOTRUN_JOB=<app>/<job> \
//     SYNCGATE_FAILING_ORG=<organization whose syncs end in Error> npm test
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { connect, startJob, watchSync } from "../src/portal.js";
import { browserFetch, type Sent } from "./browser-fetch.js";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function job(name: string): [string, string] {
  const [app, id] = env(name).split("/", 2);
  return [app!, id!];
}

const url = env("SYNCGATE_URL");
const token = env("SYNCGATE_TOKEN");
const origin = env("SYNCGATE_PORTAL_ORIGIN");

test("a Paused job starts; the same click again starts nothing; another start is refused with the problem's detail", async () => {
  const sent: Sent[] = [];
  const sg = connect(url, token, browserFetch(origin, sent));
  const [app, id] = job("SYNCGATE_PAUSED_JOB");
  const key = randomUUID();

  const first = await startJob(sg, app, id, key);
  assert.equal(first.status, 202, first.message);
  assert.ok(first.started);
  assert.equal(first.replayed, false);
  assert.equal(first.message, `Job ${id} started (it was Paused).`);
  // Location and X-Request-ID are readable: the gateway exposes them.
  assert.equal(first.location, `/applications/${app}/jobs/${encodeURIComponent(id)}`);
  assert.match(first.requestId ?? "", /./);
  // The browser asked first: Authorization and Idempotency-Key are not safelisted.
  assert.deepEqual(sent.map((s) => `${s.method}${s.preflight ? " (preflight)" : ""}`), ["OPTIONS (preflight)", "POST"]);

  const again = await startJob(sg, app, id, key);
  assert.equal(again.status, 202, again.message);
  assert.ok(again.replayed, "the same Idempotency-Key is answered with the first answer, Idempotent-Replayed: true");
  assert.match(again.message, /already started by this request/);

  const other = await startJob(sg, app, id, randomUUID()); // a new click, a new key
  assert.equal(other.started, false);
  assert.ok(other.status === 409 || other.status === 429, `status ${other.status}`);
  assert.match(other.problemType ?? "", /^urn:syncgate:problem:(already-running|cooldown)$/);
  assert.match(other.message, new RegExp(id.replace(/[.]/g, "\\.")));
});

test("a job that is not configured is refused with the problem's detail (422)", async () => {
  const sg = connect(url, token, browserFetch(origin));
  const [app, id] = job("SYNCGATE_NOTCONFIGURED_JOB");
  const out = await startJob(sg, app, id, randomUUID());
  assert.equal(out.status, 422);
  assert.equal(out.started, false);
  assert.equal(out.problemType, "urn:syncgate:problem:not-eligible");
  assert.match(out.message, /NotConfigured/);
});

test("a page on an origin the gateway does not allow cannot start anything", async () => {
  const sent: Sent[] = [];
  const sg = connect(url, token, browserFetch("https://intruder.example", sent));
  const [app, id] = job("SYNCGATE_NOTRUN_JOB");
  const out = await startJob(sg, app, id, randomUUID());
  assert.equal(out.status, 0);
  assert.equal(out.started, false);
  assert.match(out.message, /could not be reached: Failed to fetch \(CORS: origin https:\/\/intruder\.example not allowed\)/);
  assert.deepEqual(sent.map((s) => s.method), ["OPTIONS"], "the POST was never sent");

  // The job is still NotRun: read from the allowed origin.
  const { data } = await connect(url, token, browserFetch(origin)).GET("/applications/{applicationId}/jobs/{jobId}", {
    params: { path: { applicationId: app, jobId: id } },
  });
  assert.equal(data?.status, "NotRun");
});

test("a page waits for an organization's sync without polling (Prefer: wait) and shows how it ended", async () => {
  const sent: Sent[] = [];
  const sg = connect(url, token, browserFetch(origin, sent));
  const org = env("SYNCGATE_FAILING_ORG");
  const start = await sg.POST("/organizations/{organizationId}/sync", {
    params: { path: { organizationId: org } },
    headers: { "Idempotency-Key": randomUUID() },
    body: {},
  });
  assert.equal(start.response.status, 202, JSON.stringify(start.error));

  const end = await watchSync(sg, org, { waitSeconds: 20 });
  assert.equal(end.status, "Error", end.message);
  assert.match(end.message, /failed: .*503/);
  // Through the sync's Queued and Running to its end, each read held by the
  // gateway until the state changed: a handful of reads for a sync of
  // several seconds, not one a second.
  assert.equal(end.states[end.states.length - 1], "Error");
  assert.ok(end.reads <= end.states.length + 2, `${end.reads} reads for states ${end.states.join(" → ")}`);
  // The browser let the page send Prefer and If-None-Match (after a
  // preflight) and read Preference-Applied.
  assert.equal(end.preferenceApplied, "wait=20");
  const waits = sent.filter((s) => s.url.endsWith(`/organizations/${org}/sync`));
  assert.ok(waits.some((s) => s.preflight && s.method === "OPTIONS"), "no preflight for the held reads");
});
