// What a portal embeds to start a synchronization job through syncgate:
// openapi-fetch over the types openapi-typescript generates from openapi.yaml
// (src/schema.d.ts, `npm run generate`). A refusal is shown to the user as
// the problem's detail, which syncgate writes for people.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type Problem = components["schemas"]["Problem"];
export type Syncgate = Client<paths>;

/** connect makes a client of the gateway at baseUrl that sends token. In a
 * browser, leave fetchImpl out: the page's fetch applies CORS. */
export function connect(baseUrl: string, token: string, fetchImpl?: (req: Request) => Promise<Response>): Syncgate {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` }, fetch: fetchImpl });
}

/** Outcome is what the portal shows after a click on "Start". */
export interface Outcome {
  /** started: the gateway accepted the start (202). */
  started: boolean;
  /** replayed: the answer is the one an earlier click with the same
   * Idempotency-Key got (Idempotent-Replayed: true); nothing new started. */
  replayed: boolean;
  /** status is the HTTP status, 0 when the gateway could not be reached. */
  status: number;
  /** message is the line to show: what happened, or the problem's detail. */
  message: string;
  /** problemType is the refusal's type (urn:syncgate:problem:<slug>). */
  problemType?: string;
  /** location is the job's status resource (202). */
  location?: string;
  /** requestId names the request in syncgate's logs, for a support ticket. */
  requestId?: string;
}

/** startJob starts a Graph synchronization job. idempotencyKey identifies
 * the click: give the same key when the user retries after a network error,
 * so the retry never starts the job twice. */
export async function startJob(sg: Syncgate, applicationId: string, jobId: string,
  idempotencyKey: string = crypto.randomUUID()): Promise<Outcome> {
  let result;
  try {
    result = await sg.POST("/applications/{applicationId}/jobs/{jobId}/start", {
      params: { path: { applicationId, jobId } },
      headers: { "Idempotency-Key": idempotencyKey },
    });
  } catch (err) {
    // A browser says no more than this when the network or CORS failed.
    return { started: false, replayed: false, status: 0, message: `syncgate could not be reached: ${(err as Error).message}` };
  }
  const { data, error, response } = result;
  const requestId = response.headers.get("X-Request-ID") ?? undefined;
  if (response.status === 202 && data && "jobId" in data) {
    const replayed = response.headers.get("Idempotent-Replayed") === "true";
    return {
      started: true, replayed, status: 202, requestId,
      location: response.headers.get("Location") ?? undefined,
      message: replayed
        ? `Job ${data.jobId} was already started by this request (it was ${data.previousStatus}).`
        : `Job ${data.jobId} started (it was ${data.previousStatus}).`,
    };
  }
  if (error) {
    const p = error as Problem;
    return { started: false, replayed: false, status: response.status, requestId, problemType: p.type, message: p.detail ?? p.title };
  }
  return { started: false, replayed: false, status: response.status, requestId, message: `unexpected answer ${response.status}` };
}

/** SyncEnd is how an organization's sync ended, as the portal shows it. */
export interface SyncEnd {
  /** status is Success or Error (or the last state read when time ran out). */
  status: string;
  /** message is the line to show: the result, the sync's error, or a problem's detail. */
  message: string;
  /** states are the states read, in order, each once: what a progress line shows. */
  states: string[];
  /** reads is how many requests the page made (each one held by the gateway). */
  reads: number;
  /** preferenceApplied is the gateway's last Preference-Applied (wait=N). */
  preferenceApplied?: string;
}

/** watchSync follows an organization's sync until it ends, without a polling
 * loop: each read names the last state's ETag (If-None-Match) and asks the
 * gateway to hold the answer until the state changes (Prefer: wait=N), so a
 * page makes one request per change, not one per second. */
export async function watchSync(sg: Syncgate, organizationId: string,
  { waitSeconds = 20, timeoutMs = 120_000 }: { waitSeconds?: number; timeoutMs?: number } = {}): Promise<SyncEnd> {
  const deadline = Date.now() + timeoutMs;
  const states: string[] = [];
  let etag: string | undefined, preferenceApplied: string | undefined, reads = 0;
  for (;;) {
    const header: { Prefer?: string; "If-None-Match"?: string } = {};
    if (etag) { header.Prefer = `wait=${waitSeconds}`; header["If-None-Match"] = etag; }
    reads++;
    const { data, error, response } = await sg.GET("/organizations/{organizationId}/sync", {
      params: { path: { organizationId }, header },
    });
    if (error || !data) {
      const p = error as Problem | undefined;
      return { status: "", states, reads, message: p?.detail ?? p?.title ?? `unexpected answer ${response.status}` };
    }
    preferenceApplied = response.headers.get("Preference-Applied") ?? preferenceApplied;
    // The ETag must be readable (the gateway exposes it), or the page could only poll.
    etag = response.headers.get("ETag") ?? undefined;
    if (!etag) throw new Error("the gateway's ETag is not readable by the page");
    if (states[states.length - 1] !== data.status) states.push(data.status);
    if (data.status === "Success" || data.status === "Error" || Date.now() > deadline) {
      const message = data.status === "Error"
        ? `The sync of ${organizationId} failed: ${data.last?.error ?? "no detail"}`
        : `The sync of ${organizationId}: ${data.status}`;
      return { status: data.status, states, reads, preferenceApplied, message };
    }
  }
}
