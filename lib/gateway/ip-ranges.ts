import net from "node:net";
import { invalidInput } from "@/lib/errors";
import { MAX_IP_RANGES } from "./account-rules";

/**
 * The client IP ranges an SMTP account may log in from, as typed into the console or the CLI:
 * addresses or CIDRs ("10.0.0.0/8", "203.0.113.7", "2001:db8::/32") separated by commas, spaces or
 * lines. Each comes back as address/prefix; an empty input is null (no restriction). A bad entry is
 * refused naming itself and the field `allowedIps`.
 */
export function parseIpRanges(input: string | readonly string[] | null | undefined): string[] | null {
  const entries = (typeof input === "string" ? input.split(/[\s,;]+/) : [...(input ?? [])]).map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) return null;
  if (entries.length > MAX_IP_RANGES) throw invalidInput("tooManyIpRanges", { field: "allowedIps", params: { max: MAX_IP_RANGES } });
  const ranges = entries.map((entry) => {
    const range = readRange(entry);
    if (!range) throw invalidInput("notIpRange", { field: "allowedIps", params: { value: entry.slice(0, 60) } });
    return `${range.address}/${range.bits}`;
  });
  return [...new Set(ranges)];
}

function readRange(entry: string): { address: string; bits: number; family: 4 | 6 } | null {
  const slash = entry.indexOf("/");
  const address = (slash < 0 ? entry : entry.slice(0, slash)).toLowerCase();
  const family = net.isIP(address);
  if (family !== 4 && family !== 6) return null;
  const widest = family === 4 ? 32 : 128;
  if (slash < 0) return { address, bits: widest, family };
  const prefix = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > widest) return null;
  return { address, bits: Number(prefix), family };
}

/** An IPv4 client seen through an IPv6 socket ("::ffff:10.0.0.5") is that IPv4 address. */
function plainAddress(ip: string): string {
  const lower = ip.trim().toLowerCase();
  return lower.startsWith("::ffff:") && net.isIPv4(lower.slice(7)) ? lower.slice(7) : lower;
}

/** Whether a client address falls inside the account's ranges; no ranges (null or empty) allows every address. */
export function ipInRanges(ranges: readonly string[] | null | undefined, ip: string): boolean {
  if (!ranges || ranges.length === 0) return true;
  const address = plainAddress(ip);
  const family = net.isIP(address);
  if (family !== 4 && family !== 6) return false;
  const list = new net.BlockList();
  for (const stored of ranges) {
    const range = readRange(stored);
    if (range) list.addSubnet(range.address, range.bits, range.family === 4 ? "ipv4" : "ipv6");
  }
  return list.check(address, family === 4 ? "ipv4" : "ipv6");
}
