import zlib from "node:zlib";
import { eq } from "drizzle-orm";
import { beforeAll, expect, it, vi } from "vitest";
import { POST as consoleUpload } from "@/app/(console)/pools/[id]/import/upload/route";
import { POST as apiImport } from "@/app/api/v1/pools/[id]/import/route";
import { imports, users } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { createApiKey } from "@/lib/accounts/api-keys";
import { createPool, loadPool } from "@/lib/pools/pools";
import { describeOnDatabases } from "../helpers/db";
import { makeDepartment, makeUser, unique } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";

vi.mock("next/headers", () => import("../helpers/next-headers"));

type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;
const call = <P>(handler: Handler<P>, request: Request, params: P) => handler(request, { params: Promise.resolve(params) });
type ErrorReply = { error: { code: string; message: string; details?: { reason?: string } } };

/** A real 1×1 PNG: signature, IHDR, IDAT, IEND (each chunk's length starts with NUL bytes). */
function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(type), data])) >>> 0);
    return Buffer.concat([length, Buffer.from(type), data, crc]);
  };
  const header = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(Buffer.from([0, 255, 0, 0, 255]))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describeOnDatabases("binary uploads", (db) => {
  let poolId: string;
  let cookie: string;
  let apiKey: string;

  beforeAll(async () => {
    const system = { db: db(), actor: systemActor("test") };
    const department = await makeDepartment(db());
    poolId = (await createPool(system, { name: unique("binary"), departmentId: department.id })).id;
    apiKey = (await createApiKey(system, { name: unique("binary"), scope: { company: true } })).secret;
    const user = await makeUser(db(), "department", { departmentId: department.id });
    const [row] = await db().select({ sv: users.sessionVersion }).from(users).where(eq(users.id, user.id));
    cookie = `next-auth.session-token=${await serveAs({ id: user.id, sessionVersion: row!.sv })}`;
  });

  const upload = (name: string, body: Buffer) =>
    call(
      consoleUpload,
      new Request(`http://fanout.test/pools/${poolId}/import/upload?name=${encodeURIComponent(name)}`, {
        method: "POST",
        body: new Uint8Array(body),
        headers: { cookie, "sec-fetch-site": "same-origin", "x-fanout-peer": "192.0.2.3" },
      }),
      { id: poolId },
    );

  const binaries: [string, string, Buffer][] = [
    ["a PNG image", "photo.png", tinyPng()],
    ["a PNG named like a CSV", "list.csv", tinyPng()],
    ["the PNG signature alone (no NUL in it)", "list.csv", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
    ["a CSV with NUL bytes", "list.csv", Buffer.concat([Buffer.from("email,name\nalice@example.com,Alice\n"), Buffer.from([0, 0, 0x41, 0])])],
    ["a PDF", "list.csv", Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n")],
  ];

  for (const [what, name, body] of binaries) {
    it(`answers ${what} with 400 and the reason the console words, keeping nothing`, async () => {
      const before = await db().select({ id: imports.id }).from(imports).where(eq(imports.poolId, poolId));
      const response = await upload(name, body);
      expect(response.status).toBe(400);
      const reply = (await response.json()) as ErrorReply;
      expect(reply.error.code).toBe("invalid_input");
      expect(reply.error.details?.reason).toBe("binary_file");
      expect(await db().select({ id: imports.id }).from(imports).where(eq(imports.poolId, poolId))).toHaveLength(before.length);
    });
  }

  it("still takes a UTF-16 export with its byte-order mark, whose ASCII characters each hold a NUL", async () => {
    const text = "email\tname\r\nwang@example.com\t王芳\r\n";
    const response = await upload("export.txt", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
    expect(response.status).toBe(201);
    const body = (await response.json()) as { encoding: string; preview: string[][] };
    expect(body.encoding).toBe("utf-16le");
    expect(body.preview).toEqual([["email", "name"], ["wang@example.com", "王芳"]]);
  });

  it("refuses a PNG sent to the API import with the same reason, importing nothing", async () => {
    const response = await call(
      apiImport,
      new Request(`http://fanout.test/api/v1/pools/${poolId}/import`, {
        method: "POST",
        body: new Uint8Array(tinyPng()),
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "text/csv", "x-fanout-peer": "192.0.2.1" },
      }),
      { id: poolId },
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorReply).error.details?.reason).toBe("binary_file");
    expect((await loadPool({ db: db(), actor: systemActor("test") }, poolId)).contactCount).toBe(0);
  });
});
