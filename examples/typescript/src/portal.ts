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
