/**
 * The object store's contract (lib/storage), held by both kinds: the local folder and an
 * S3-compatible bucket (s3rver on loopback). Bodies stream in and out; a 20 MiB upload goes up in
 * parts without being held whole; missing keys and hostile keys are refused plainly.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Settings } from "@/lib/config/env";
import { localStore } from "@/lib/storage/local";
import { s3Store } from "@/lib/storage/s3";
import { PART_BYTES } from "@/lib/storage/s3-upload";
import { ObjectMissingError, readAll, type ObjectStore } from "@/lib/storage/store";
import { startFakeS3, type FakeS3 } from "../helpers/fake-s3";

/** `size` bytes made `chunk` at a time, never all at once. */
function generated(size: number, seed: string, chunk = 64 * 1024): Readable {
  let sent = 0;
  let counter = 0;
  return new Readable({
    read() {
      if (sent >= size) return this.push(null);
      const block = crypto.createHash("sha256").update(`${seed}:${counter++}`).digest();
      const part = Buffer.alloc(Math.min(chunk, size - sent), block);
      sent += part.byteLength;
      this.push(part);
    },
  });
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = crypto.createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const kinds: { name: string; open: () => Promise<{ store: ObjectStore; close: () => Promise<void> }> }[] = [
  {
    name: "local folder",
    open: async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-objects-"));
      return { store: localStore(root), close: async () => fs.rmSync(root, { recursive: true, force: true }) };
    },
  },
  {
    name: "S3-compatible bucket",
    open: async () => {
      const fake: FakeS3 = await startFakeS3();
      const settings: S3Settings = { bucket: fake.bucket, endpoint: fake.endpoint, region: "us-east-1", accessKeyId: "S3RVER", secretAccessKey: "S3RVER", prefix: "install-a/", forcePathStyle: true };
      return { store: s3Store(settings), close: fake.close };
    },
  },
];

for (const kind of kinds) {
  describe(`object store: ${kind.name}`, () => {
    let store: ObjectStore;
    let close: () => Promise<void>;
    beforeAll(async () => ({ store, close } = await kind.open()));
    afterAll(async () => close?.());

    it("gives back what was put, replaces it on a second put, and forgets it on delete", async () => {
      const body = Buffer.from("email,name\nann@example.com,安妮\n", "utf8");
      expect(await store.put("imports/one", body, { contentType: "text/csv" })).toEqual({ size: body.byteLength });
      expect((await readAll(await store.get("imports/one"))).equals(body)).toBe(true);
      await store.put("imports/one", Buffer.from("second"));
      expect((await readAll(await store.get("imports/one"))).toString()).toBe("second");
      await store.delete("imports/one");
      await expect(store.get("imports/one")).rejects.toBeInstanceOf(ObjectMissingError);
      await store.delete("imports/one");
    });

    it("streams a 20 MiB upload in and out, byte for byte", async () => {
      const size = 20 * 1024 * 1024 + 17;
      const expected = await sha256Of(generated(size, "big"));
      expect(await store.put("imports/big", generated(size, "big"))).toEqual({ size });
      expect(await sha256Of(await store.get("imports/big"))).toBe(expected);
      await store.delete("imports/big");
    }, 60_000);

    it("stores bodies that end on a part's boundary, or hold nothing, exactly", async () => {
      for (const size of [0, PART_BYTES - 1, PART_BYTES, 2 * PART_BYTES, 2 * PART_BYTES + 1]) {
        const expected = await sha256Of(generated(size, `edge${size}`, 1_000_003));
        expect(await store.put("imports/edge", generated(size, `edge${size}`, 1_000_003)), `${size} bytes`).toEqual({ size });
        expect(await sha256Of(await store.get("imports/edge")), `${size} bytes`).toBe(expected);
      }
      await store.delete("imports/edge");
    }, 60_000);

    it("a body that fails after its first part leaves nothing under the key", async () => {
      async function* failingAfterAPart() {
        for (let sent = 0; sent <= PART_BYTES; sent += 64 * 1024) yield Buffer.alloc(64 * 1024, sent % 251);
        throw new Error("the client went away");
      }
      await expect(store.put("imports/half", Readable.from(failingAfterAPart()))).rejects.toThrow("the client went away");
      await expect(store.get("imports/half")).rejects.toBeInstanceOf(ObjectMissingError);
    }, 60_000);

    it("lists the keys under a prefix and nothing else", async () => {
      await store.put("attachments/a1", Buffer.from("a"));
      await store.put("attachments/a2", Buffer.from("b"));
      await store.put("imports/i1", Buffer.from("c"));
      expect((await store.list("attachments/")).sort()).toEqual(["attachments/a1", "attachments/a2"]);
      expect(await store.list("nothing-here/")).toEqual([]);
    });

    it("refuses keys that could leave their folder", async () => {
      for (const key of ["../secrets.json", "imports/../../x", "/etc/passwd", "Imports/Upper", "imports//double", ""]) {
        await expect(store.put(key, Buffer.from("x")), key).rejects.toThrow(/Not an object key/);
      }
    });

    it("a failed body leaves nothing under the key", async () => {
      const failing = new Readable({
        read() {
          this.destroy(new Error("the client went away"));
        },
      });
      await expect(store.put("imports/broken", failing)).rejects.toThrow();
      await expect(store.get("imports/broken")).rejects.toBeInstanceOf(ObjectMissingError);
    });
  });
}

describe("a signed download URL from the bucket", () => {
  let fake: FakeS3;
  beforeAll(async () => (fake = await startFakeS3()));
  afterAll(async () => fake?.close());

  it("downloads the object under its file name, for the time asked", async () => {
    const store = s3Store({ bucket: fake.bucket, endpoint: fake.endpoint, region: "us-east-1", accessKeyId: "S3RVER", secretAccessKey: "S3RVER", prefix: "", forcePathStyle: true });
    await store.put("attachments/report", Buffer.from("%PDF-1.4 report"), { contentType: "application/pdf" });
    const url = await store.signedUrl("attachments/report", { expiresInSeconds: 60, fileName: "报告 Q4.pdf", contentType: "application/pdf" });
    const answer = await fetch(url!);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe("%PDF-1.4 report");
    expect(decodeURIComponent(answer.headers.get("content-disposition") ?? "")).toContain("报告 Q4.pdf");
    expect(new URL(url!).searchParams.get("X-Amz-Expires")).toBe("60");
    expect(await localStore(os.tmpdir()).signedUrl("attachments/report", { expiresInSeconds: 60, fileName: "x", contentType: "text/plain" })).toBeNull();
  });
});
