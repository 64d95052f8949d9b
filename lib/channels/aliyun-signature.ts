import crypto from "node:crypto";

/**
 * Aliyun's RPC ("POP") request signature, version 1.0, as documented for Dysmsapi ("HTTP协议及签名"):
 *
 * 1. percent-encode each name and value the way Java's URLEncoder does, then `+` → `%20`,
 *    `*` → `%2A` and `%7E` → `~` — which leaves exactly A–Z a–z 0–9 - _ . ~ unencoded, and
 *    encodes every other UTF-8 byte as %XX in upper case;
 * 2. sort the parameters (Signature excluded) by name and join them as `name=value` with `&`;
 * 3. sign `METHOD&%2F&` + the encoded result of step 2 with HMAC-SHA1, keyed by the AccessKey
 *    secret followed by `&`, and base64 the digest.
 */

export function aliyunPercentEncode(value: string): string {
  // encodeURIComponent leaves A–Z a–z 0–9 - _ . ! ~ * ' ( ); the last five Aliyun encodes, except ~.
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function aliyunCanonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((name) => name !== "Signature")
    .sort()
    .map((name) => `${aliyunPercentEncode(name)}=${aliyunPercentEncode(params[name]!)}`)
    .join("&");
}

export function aliyunStringToSign(method: "GET" | "POST", params: Record<string, string>): string {
  return `${method}&${aliyunPercentEncode("/")}&${aliyunPercentEncode(aliyunCanonicalQuery(params))}`;
}

export function aliyunSignature(method: "GET" | "POST", params: Record<string, string>, accessKeySecret: string): string {
  return crypto.createHmac("sha1", `${accessKeySecret}&`).update(aliyunStringToSign(method, params)).digest("base64");
}

/** "2017-07-12T02:42:19Z": UTC, whole seconds, as the Timestamp parameter wants it. */
export function aliyunTimestamp(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}
