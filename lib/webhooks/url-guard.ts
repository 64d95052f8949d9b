import "server-only";
import dns from "node:dns";
import net from "node:net";
import { invalidInput } from "@/lib/errors";

/**
 * The SSRF guard. A webhook URL must be http(s) and must not lead to this machine or a private
 * network unless the installation allows it: checked when the endpoint is saved, and again at every
 * send on the addresses the name resolves to then (guardedLookup), so a name that later points
 * inward (DNS rebinding) is refused at connection time.
 */
const INWARD = new net.BlockList();
for (const [network, bits] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  INWARD.addSubnet(network, bits, "ipv4");
}
for (const [network, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
] as const) {
  INWARD.addSubnet(network, bits, "ipv6");
}

export function isInwardAddress(address: string): boolean {
  const plain = address.toLowerCase().replace(/^\[|\]$/g, "");
  if (net.isIPv4(plain)) return INWARD.check(plain, "ipv4");
  if (!net.isIPv6(plain)) return true;
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is that IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(plain);
  if (mapped) return INWARD.check(mapped[1]!, "ipv4");
  return INWARD.check(plain, "ipv6");
}

const MAX_URL_LENGTH = 2000;

/** The URL as saved: http(s), no credentials, not too long. Throws invalid_input on `url`. */
export function parseWebhookUrl(input: string): URL {
  if (input.length > MAX_URL_LENGTH || !URL.canParse(input)) throw invalidInput("notUrl", { field: "url" });
  const url = new URL(input);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalidInput("webhookUrlScheme", { field: "url" });
  if (url.username || url.password) throw invalidInput("webhookUrlCredentials", { field: "url" });
  return url;
}

/** Resolves the URL's host and refuses it when any address it gives is inward (unless allowed). */
export async function checkWebhookUrl(input: string, allowPrivate: boolean): Promise<URL> {
  const url = parseWebhookUrl(input);
  if (allowPrivate) return url;
  let addresses: string[];
  try {
    addresses = await resolveAll(url.hostname);
  } catch {
    throw invalidInput("webhookUrlUnresolved", { field: "url", params: { host: url.hostname.slice(0, 100) } });
  }
  if (addresses.length === 0 || addresses.some(isInwardAddress)) throw invalidInput("webhookUrlPrivate", { field: "url", params: { host: url.hostname.slice(0, 100) } });
  return url;
}

async function resolveAll(hostname: string): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, "");
  if (net.isIP(host)) return [host];
  const found = await dns.promises.lookup(host, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
}

/** Thrown (as a connection error) when a send-time lookup finds an inward address. */
export class InwardAddressError extends Error {
  constructor(readonly host: string) {
    super(`${host} resolves to a loopback or private address`);
    this.name = "InwardAddressError";
  }
}

/** A `lookup` for http.request that refuses inward answers: the check and the connection use the same address. */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
      if (error) return (callback as (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void)(error, []);
      const list = addresses as dns.LookupAddress[];
      const refused = !allowPrivate && list.some((entry) => isInwardAddress(entry.address));
      const reply = callback as (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
      if (refused || list.length === 0) return reply(new InwardAddressError(hostname), []);
      if (options.all) return reply(null, list);
      reply(null, list[0]!.address, list[0]!.family);
    });
  };
}
