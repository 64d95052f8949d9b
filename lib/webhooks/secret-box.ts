import "server-only";
import crypto from "node:crypto";
import { getSecrets } from "@/lib/config/secrets";

/**
 * Webhook signing secrets are needed again at every send, so they cannot be hashed like API keys:
 * they are stored sealed with AES-256-GCM under a key derived from the installation's auth secret
 * (a database copy alone does not reveal them). Changing AUTH_SECRET makes stored secrets unreadable;
 * their endpoints then need new ones.
 */
const PREFIX = "whsec_";
const VERSION = "v1";

export function newWebhookSecret(): string {
  return `${PREFIX}${crypto.randomBytes(24).toString("base64")}`;
}

function sealingKey(): Buffer {
  return Buffer.from(crypto.hkdfSync("sha256", getSecrets().authSecret, "fanout", "webhook signing secrets", 32));
}

export function sealSecret(secret: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", sealingKey(), iv);
  const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return [VERSION, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), sealed.toString("base64url")].join(".");
}

export function openSecret(stored: string): string {
  const [version, iv, tag, sealed] = stored.split(".");
  if (version !== VERSION || !iv || !tag || !sealed) throw new Error("A webhook secret is stored in an unknown form");
  const decipher = crypto.createDecipheriv("aes-256-gcm", sealingKey(), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(sealed, "base64url")), decipher.final()]).toString("utf8");
}
