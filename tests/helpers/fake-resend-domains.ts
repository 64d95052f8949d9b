import crypto from "node:crypto";
import type { FakeAnswer, RecordedRequest } from "./fake-resend";

type Domain = { id: string; name: string; status: string; created_at: string; region: string; records: Record<string, string | number>[] };

/**
 * Resend's domains API as the fake answers it (`POST /domains`, `GET /domains/:id`,
 * `POST /domains/:id/verify`): a new domain is `not_started` with the three records Resend asks
 * for; verifying starts a check that never finds DNS here, so it stays `pending`.
 */
export function fakeResendDomains() {
  const domains = new Map<string, Domain>();
  const notFound: FakeAnswer = { status: 404, body: { statusCode: 404, name: "not_found", message: "Domain not found" } };

  return (request: RecordedRequest): FakeAnswer | undefined => {
    if (request.method === "POST" && request.path === "/domains") {
      const name = (request.body as { name?: unknown } | undefined)?.name;
      if (typeof name !== "string" || !name.includes(".")) return { status: 422, body: { statusCode: 422, name: "validation_error", message: "The `name` field must be a domain." } };
      if ([...domains.values()].some((domain) => domain.name === name)) return { status: 403, body: { statusCode: 403, name: "validation_error", message: `The domain ${name} has been registered already.` } };
      const domain: Domain = { id: crypto.randomUUID(), name, status: "not_started", created_at: new Date().toISOString(), region: "us-east-1", records: recordsFor() };
      domains.set(domain.id, domain);
      return { status: 200, body: domain };
    }
    const match = /^\/domains\/([^/]+)(\/verify)?$/.exec(request.path);
    if (!match) return undefined;
    const domain = domains.get(match[1]!);
    if (!domain) return notFound;
    if (match[2] && request.method === "POST") {
      domain.status = "pending";
      for (const record of domain.records) record.status = "pending";
      return { status: 200, body: { object: "domain", id: domain.id } };
    }
    if (!match[2] && request.method === "GET") return { status: 200, body: { object: "domain", ...domain } };
    return undefined;
  };
}

function recordsFor(): Domain["records"] {
  const dkim = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "der" }).toString("base64");
  return [
    { record: "SPF", name: "send", type: "MX", ttl: "Auto", status: "not_started", value: "feedback-smtp.us-east-1.amazonses.com", priority: 10 },
    { record: "SPF", name: "send", type: "TXT", ttl: "Auto", status: "not_started", value: '"v=spf1 include:amazonses.com ~all"' },
    { record: "DKIM", name: "resend._domainkey", type: "TXT", ttl: "Auto", status: "not_started", value: `p=${dkim}` },
  ];
}
