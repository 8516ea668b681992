// npm run start-job -- <applicationId> <jobId> [idempotency key], with
// SYNCGATE_URL and SYNCGATE_TOKEN set: prints what the portal would show,
// and exits 1 when the job was not started.
import { randomUUID } from "node:crypto";

import { connect, startJob } from "./portal.js";

const [applicationId, jobId, key] = process.argv.slice(2);
const url = process.env.SYNCGATE_URL, token = process.env.SYNCGATE_TOKEN;
if (!applicationId || !jobId || !url || !token) {
  console.error("usage: SYNCGATE_URL=<gateway> SYNCGATE_TOKEN=<token> npm run start-job -- <applicationId> <jobId> [idempotency key]");
  process.exit(2);
}
const outcome = await startJob(connect(url, token), applicationId, jobId, key ?? randomUUID());
console.log(`${outcome.status} ${outcome.message}${outcome.problemType ? ` (${outcome.problemType})` : ""}`);
process.exit(outcome.started ? 0 : 1);
