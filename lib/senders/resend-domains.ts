import "server-only";
import { Resend } from "resend";
import type { DnsCheck, DomainStatus } from "@/db/schema";
import { readEnv } from "@/lib/config/env";
import { AppError } from "@/lib/errors";

type ResendRecord = { record: string; name: string; type: string; value: string; status: string };

/** Resend manages a domain's records itself when it is the transport; null when it is not configured. */
export function resendDomainsClient(env?: Record<string, string | undefined>): Resend | null {
  const { resendApiKey, resendBaseUrl } = readEnv(env).mail;
  if (!resendApiKey) return null;
  return new Resend(resendApiKey, resendBaseUrl ? { baseUrl: resendBaseUrl } : undefined);
}

function kindOf(record: ResendRecord): DnsCheck["record"] {
  if (record.record === "DKIM") return "dkim";
  if (record.record === "SPF" && record.type === "MX") return "return_path";
  if (record.record === "SPF") return "spf";
  return "dmarc";
}

/** Resend's records in the shape the console shows: each one passes when Resend verified it. */
export function checksFromResend(domain: string, records: ResendRecord[]): DnsCheck[] {
  return records.map((record) => ({
    record: kindOf(record),
    host: record.name && record.name !== "@" ? (record.name.endsWith(domain) ? record.name : `${record.name}.${domain}`) : domain,
    expected: `${record.type} ${record.value}`,
    found: [`Resend: ${record.status}`],
    pass: record.status === "verified",
    detail: `Resend reports ${record.status}`,
  }));
}

export function statusFromResend(status: string): DomainStatus {
  if (status === "verified") return "verified";
  if (status === "failed" || status === "partially_failed" || status === "temporary_failure") return "failed";
  return "unverified";
}

function failure(action: "register" | "verify" | "read", domain: string, error: { message?: string } | null): AppError {
  return new AppError("conflict", "resendRefused", { params: { action, domain, detail: error?.message ?? "no answer" } });
}

export async function registerWithResend(client: Resend, domain: string) {
  const { data, error } = await client.domains.create({ name: domain });
  if (error || !data) throw failure("register", domain, error);
  return { id: data.id, status: statusFromResend(data.status), checks: checksFromResend(domain, data.records as ResendRecord[]) };
}

/** Asks Resend to check the records again, then reads its verdict. */
export async function refreshFromResend(client: Resend, id: string, domain: string) {
  const verified = await client.domains.verify(id);
  if (verified.error) throw failure("verify", domain, verified.error);
  const { data, error } = await client.domains.get(id);
  if (error || !data) throw failure("read", domain, error);
  return { status: statusFromResend(data.status), checks: checksFromResend(domain, data.records as ResendRecord[]) };
}
