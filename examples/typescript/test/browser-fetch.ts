// browserFetch is fetch as a browser page on `origin` runs it against
// another origin (the Fetch standard's CORS protocol), so that the test sees
// what a portal would: Node's own fetch applies no CORS at all.
//
//   - A request that is not "simple" (a method other than GET, HEAD or POST,
//     or a header outside the CORS-safelisted ones, such as Authorization or
//     Idempotency-Key) is preceded by a preflight OPTIONS; it goes out only
//     if the preflight allows the origin, the method and every such header
//     (a "*" never covers Authorization).
//   - Every answer must allow the origin, or the page gets a network error
//     (TypeError), never the answer.
//   - The page reads only the CORS-safelisted answer headers and those the
//     gateway lists in Access-Control-Expose-Headers.

const simpleMethods = new Set(["GET", "HEAD", "POST"]);
const safelistedRequest = new Set(["accept", "accept-language", "content-language"]);
const simpleContentTypes = new Set(["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]);
const safelistedResponse = new Set(["cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"]);

/** The requests browserFetch sent, preflights included, for tests to check. */
export interface Sent { method: string; url: string; preflight: boolean }

function list(value: string | null): string[] {
  return (value ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
}

function corsError(why: string): TypeError {
  return new TypeError(`Failed to fetch (CORS: ${why})`);
}

function allowsOrigin(res: Response, origin: string): boolean {
  const allowed = res.headers.get("Access-Control-Allow-Origin");
  return allowed === "*" || allowed === origin;
}

export function browserFetch(origin: string, sent: Sent[] = []): (req: Request) => Promise<Response> {
  return async (req: Request): Promise<Response> => {
    if (new URL(req.url).origin === origin) {
      throw new Error("browserFetch is for cross-origin calls");
    }
    const unsafe: string[] = [];
    for (const [name, value] of req.headers) {
      const simpleType = name === "content-type" && simpleContentTypes.has(value.split(";")[0]!.trim().toLowerCase());
      if (!safelistedRequest.has(name) && !simpleType) unsafe.push(name);
    }
    unsafe.sort();
    if (!simpleMethods.has(req.method) || unsafe.length > 0) {
      const headers: Record<string, string> = { Origin: origin, "Access-Control-Request-Method": req.method };
      if (unsafe.length > 0) headers["Access-Control-Request-Headers"] = unsafe.join(",");
      sent.push({ method: "OPTIONS", url: req.url, preflight: true });
      const pre = await fetch(req.url, { method: "OPTIONS", headers });
      if (pre.status < 200 || pre.status > 299) throw corsError(`preflight answered ${pre.status}`);
      if (!allowsOrigin(pre, origin)) throw corsError(`origin ${origin} not allowed`);
      const methods = list(pre.headers.get("Access-Control-Allow-Methods"));
      if (!simpleMethods.has(req.method) && !methods.includes(req.method.toLowerCase()) && !methods.includes("*")) {
        throw corsError(`method ${req.method} not allowed`);
      }
      const allowed = list(pre.headers.get("Access-Control-Allow-Headers"));
      for (const h of unsafe) {
        if (!allowed.includes(h) && !(allowed.includes("*") && h !== "authorization")) {
          throw corsError(`request header ${h} not allowed`);
        }
      }
    }
    const headers = new Headers(req.headers);
    headers.set("Origin", origin);
    const body = req.body === null ? undefined : await req.arrayBuffer();
    sent.push({ method: req.method, url: req.url, preflight: false });
    const res = await fetch(req.url, { method: req.method, headers, body, redirect: "manual" });
    if (!allowsOrigin(res, origin)) throw corsError(`answer without Access-Control-Allow-Origin for ${origin}`);
    const exposed = list(res.headers.get("Access-Control-Expose-Headers"));
    const visible = new Headers();
    for (const [name, value] of res.headers) {
      if (safelistedResponse.has(name) || exposed.includes(name) || exposed.includes("*")) visible.append(name, value);
    }
    const nullBody = [101, 204, 205, 304].includes(res.status);
    return new Response(nullBody ? null : await res.arrayBuffer(), { status: res.status, statusText: res.statusText, headers: visible });
  };
}
