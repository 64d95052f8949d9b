import type { Readable } from "node:stream";

/**
 * Where files live that must outlive a request: import uploads and template attachments. The local
 * folder (FANOUT_DATA_DIR) by default; an S3-compatible bucket when FANOUT_S3_BUCKET is set, which a
 * hosted deployment needs, since its functions keep no disk (decision 0081). Keys are paths of
 * lower-case names ("imports/<uuid>", "attachments/<uuid>"); bodies are streamed both ways, so no
 * caller holds a whole upload in memory.
 */
export interface ObjectStore {
  readonly kind: "local" | "s3";
  /** Stores the body under `key` (replacing what was there) and resolves with its size in bytes once it is all stored. */
  put(key: string, body: Readable | Buffer, options?: { contentType?: string }): Promise<{ size: number }>;
  /** The stored bytes as a stream; rejects with ObjectMissingError when there is nothing under `key`. */
  get(key: string): Promise<Readable>;
  /** Removes what is under `key`; nothing under it is not an error. */
  delete(key: string): Promise<void>;
  /** The keys under a prefix ("imports/"), for the sweeps of abandoned objects. */
  list(prefix: string): Promise<string[]>;
  /**
   * A URL a browser can download the object from for a while, named `fileName`; null when the store
   * has none (the local folder: the app serves the file itself).
   */
  signedUrl(key: string, options: { expiresInSeconds: number; fileName: string; contentType: string }): Promise<string | null>;
}

export class ObjectMissingError extends Error {
  constructor(readonly key: string) {
    super(`No stored object ${key}`);
    this.name = "ObjectMissingError";
  }
}

const KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

/** Refuses a key that could leave its folder or name something unexpected (they are made by the app, never taken from a request). */
export function checkKey(key: string): string {
  if (key.length > 200 || !KEY.test(key) || key.split("/").some((part) => part === "." || part === "..")) throw new Error(`Not an object key: ${JSON.stringify(key)}`);
  return key;
}

/** Reads a whole stored object; for the small ones (attachments, at most 10 MiB). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
