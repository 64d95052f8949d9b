import "server-only";
import net from "node:net";

/**
 * The checks readEnv (env.ts) makes of single variables: each names the variable and the value it
 * refused. No environment is read here.
 */

export function invalid(message: string): never {
  throw new Error(`Invalid environment: ${message}`);
}

export function flag(name: string, value: string | undefined): boolean {
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  return invalid(`${name} must be "true" or "false" (got "${value}")`);
}

export function atLeast(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) invalid(`${name} must be a number ≥ ${min} (got "${value}")`);
  return parsed;
}

export function portNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) invalid(`${name} "${value}" is not a port number`);
  return Number(value);
}

export function webUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) invalid(`${name} "${value}" is not an http:// or https:// URL`);
  return value;
}

export function smtpUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!URL.canParse(value) || !/^smtps?:$/.test(new URL(value).protocol)) invalid("SMTP_URL must be a URL starting with smtp:// or smtps://");
  return value;
}

export function mailAddress(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && !/^[^\s@<>]+@[^\s@<>]+$/.test(value)) invalid(`${name} "${value}" is not an e-mail address`);
  return value;
}

export function tlsFiles(cert: string | undefined, key: string | undefined): { tlsCertFile: string | undefined; tlsKeyFile: string | undefined } {
  if ((cert === undefined) !== (key === undefined)) invalid("FANOUT_GATEWAY_TLS_CERT and FANOUT_GATEWAY_TLS_KEY go together: set both or neither");
  return { tlsCertFile: cert, tlsKeyFile: key };
}

export function hostName(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(value)) invalid(`${name} "${value}" is not a host name`);
  return value;
}

export function parseCidrs(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(",").map((entry) => {
    const cidr = entry.trim();
    const [address = "", prefix] = cidr.split("/");
    const family = net.isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (!family || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32) || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
      invalid(`FANOUT_TRUSTED_PROXIES entry "${cidr}" is not an IPv4 or IPv6 address or CIDR`);
    }
    return `${address}/${bits}`;
  });
}

export function perMinute(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) invalid(`${name} must be a whole number of requests per minute, at least 1`);
  return parsed;
}
