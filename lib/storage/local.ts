import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { checkKey, ObjectMissingError, type ObjectStore } from "./store";

/**
 * Objects as files under a folder (FANOUT_DATA_DIR), at the path of their key: what the embedded
 * and self-hosted installations have always done. A body is written to a temporary name and
 * renamed into place, so a reader never sees half a file.
 */
export function localStore(root: string): ObjectStore {
  const file = (key: string) => path.join(root, checkKey(key));
  return {
    kind: "local",
    async put(key, body) {
      const target = file(key);
      await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      const temporary = `${target}.${crypto.randomBytes(6).toString("hex")}.tmp`;
      let size = 0;
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      try {
        await pipeline(
          source,
          async function* (chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              size += chunk.byteLength;
              yield chunk;
            }
          },
          fs.createWriteStream(temporary, { mode: 0o600 }),
        );
        await fs.promises.rename(temporary, target);
      } catch (error) {
        await fs.promises.rm(temporary, { force: true });
        throw error;
      }
      return { size };
    },
    async get(key) {
      const handle = await fs.promises.open(file(key), "r").catch((error: NodeJS.ErrnoException) => {
        throw error.code === "ENOENT" ? new ObjectMissingError(key) : error;
      });
      return handle.createReadStream();
    },
    async delete(key) {
      await fs.promises.rm(file(key), { force: true });
    },
    async list(prefix) {
      const dir = path.join(root, checkKey(prefix.replace(/\/+$/, "")));
      const names = await fs.promises.readdir(dir, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return [];
        throw error;
      });
      return names
        .filter((entry) => entry.isFile() && !entry.name.endsWith(".tmp"))
        .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
    },
    async signedUrl() {
      return null;
    },
  };
}
