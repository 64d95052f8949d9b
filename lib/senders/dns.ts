import "server-only";
import crypto from "node:crypto";
import { promises as dns } from "node:dns";
import type { DnsCheck } from "@/db/schema";
import { readEnv } from "@/lib/config/env";

export type Resolver = {
  resolveTxt: (host: string) => Promise<string[][]>;
  resolveCname: (host: string) => Promise<string[]>;
  resolveMx: (host: string) => Promise<{ exchange: string; priority: number }[]>;
};

export const systemResolver: Resolver = {
  resolveTxt: (host) => dns.resolveTxt(host),
  resolveCname: (host) => dns.resolveCname(host),
  resolveMx: (host) => dns.resolveMx(host),
};

export type DnsRecord = { record: DnsCheck["record"]; type: "TXT" | "CNAME"; host: string; value: string };

/** Where bounces come back (the return path's CNAME target) and what SPF should include. */
export function mailHosts(env?: Record<string, string | undefined>) {
  const { publicUrl, mail } = readEnv(env);
  const publicHost = publicUrl ? new URL(publicUrl).hostname : "fanout.localhost";
  return {
    returnPathTarget: mail.returnPathHost ?? `bounces.${publicHost}`,
    spfInclude: mail.spfInclude ?? `_spf.${publicHost}`,
  };
}

export function generateDkimKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
  };
}

/** The records a domain owner publishes so that Fanout's mail is signed, authorised and bounces come back. */
export function recordsFor(domain: string, dkimSelector: string, dkimPublicKey: string): DnsRecord[] {
  const hosts = mailHosts();
  return [
    { record: "spf", type: "TXT", host: domain, value: `v=spf1 include:${hosts.spfInclude} ~all` },
    { record: "dkim", type: "TXT", host: `${dkimSelector}._domainkey.${domain}`, value: `v=DKIM1; k=rsa; p=${dkimPublicKey}` },
    { record: "dmarc", type: "TXT", host: `_dmarc.${domain}`, value: `v=DMARC1; p=none; rua=mailto:dmarc@${domain}` },
    { record: "return_path", type: "CNAME", host: `bounces.${domain}`, value: hosts.returnPathTarget },
  ];
}

async function lookup<T>(run: () => Promise<T[]>): Promise<{ values: T[]; error?: string }> {
  try {
    return { values: await run() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { values: [], error: code === "ENOTFOUND" || code === "ENODATA" ? "no record" : `lookup failed (${code ?? "error"})` };
  }
}

function joinTxt(records: string[][]): string[] {
  return records.map((chunks) => chunks.join(""));
}

/** Resolves each record and says pass or fail with what was found. */
export async function checkRecords(domain: string, dkimSelector: string, dkimPublicKey: string, resolver: Resolver = systemResolver): Promise<DnsCheck[]> {
  const [spfRecord, dkimRecord, dmarcRecord, returnPathRecord] = recordsFor(domain, dkimSelector, dkimPublicKey) as [DnsRecord, DnsRecord, DnsRecord, DnsRecord];
  const spf = await lookup(() => resolver.resolveTxt(domain).then(joinTxt));
  const spfFound = spf.values.filter((value) => /^v=spf1\b/i.test(value));
  const include = spfRecord.value.split(" ")[1]!;
  const spfPass = spfFound.length === 1 && spfFound[0]!.toLowerCase().split(/\s+/).includes(include.toLowerCase());
  const dkim = await lookup(() => resolver.resolveTxt(dkimRecord.host).then(joinTxt));
  const dkimKey = dkim.values.map((value) => /(?:^|;)\s*p=([^;\s]+)/i.exec(value)?.[1]).find(Boolean);
  const dmarc = await lookup(() => resolver.resolveTxt(dmarcRecord.host).then(joinTxt));
  const dmarcFound = dmarc.values.filter((value) => /^v=DMARC1\b/i.test(value));
  const cname = await lookup(() => resolver.resolveCname(returnPathRecord.host));
  const cnamePass = cname.values.some((value) => value.replace(/\.$/, "").toLowerCase() === returnPathRecord.value.toLowerCase());
  return [
    {
      record: "spf",
      host: domain,
      expected: spfRecord.value,
      found: spf.values.length ? spf.values : [spf.error ?? "no record"],
      pass: spfPass,
      detail: spfPass ? "SPF includes Fanout" : spfFound.length > 1 ? "more than one SPF record (RFC 7208 allows one)" : spfFound.length ? `SPF does not include ${include}` : "no SPF record",
    },
    {
      record: "dkim",
      host: dkimRecord.host,
      expected: dkimRecord.value,
      found: dkim.values.length ? dkim.values : [dkim.error ?? "no record"],
      pass: dkimKey === dkimPublicKey,
      detail: dkimKey === dkimPublicKey ? "the published key matches" : dkimKey ? "a different key is published" : "no DKIM key published",
    },
    {
      record: "dmarc",
      host: dmarcRecord.host,
      expected: dmarcRecord.value,
      found: dmarc.values.length ? dmarc.values : [dmarc.error ?? "no record"],
      pass: dmarcFound.length === 1,
      detail: dmarcFound.length === 1 ? "DMARC policy published" : dmarcFound.length > 1 ? "more than one DMARC record" : "no DMARC record",
    },
    {
      record: "return_path",
      host: returnPathRecord.host,
      expected: returnPathRecord.value,
      found: cname.values.length ? cname.values : [cname.error ?? "no record"],
      pass: cnamePass,
      detail: cnamePass ? "bounces come back to Fanout" : cname.values.length ? "the CNAME points elsewhere" : "no CNAME record",
    },
  ];
}
