import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { GET as health } from "@/app/api/v1/health/route";
import { GET as openapi } from "@/app/api/v1/openapi.json/route";
import { openApiDocument } from "@/lib/api/openapi";
import { systemActor } from "@/lib/access/actor";
import { createApiKey, revokeApiKey } from "@/lib/accounts/api-keys";
import { authorize } from "@/lib/access/policy";
import { defineRoute, json } from "@/lib/entry/route";
import packageJson from "@/package.json";
import { describeOnDatabases } from "../helpers/db";
import { makeDepartment } from "../helpers/factories";

const ROOT = path.resolve(__dirname, "../..");

it("answers GET /api/v1/health without a key", async () => {
  const response = await health(new Request("http://fanout.test/api/v1/health"), { params: Promise.resolve({}) });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ ok: true, version: packageJson.version });
});

it("publishes every /api/v1 route in the OpenAPI document and nothing else", async () => {
  const routeDir = path.join(ROOT, "app/api/v1");
  const handlers: string[] = [];
  const visit = (directory: string) => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name === "route.ts") handlers.push(`/${path.relative(routeDir, directory)}`.replace(/\[(\w+)\]/g, "{$1}"));
    }
  };
  visit(routeDir);
  const document = (await (await openapi(new Request("http://fanout.test/api/v1/openapi.json"), { params: Promise.resolve({}) })).json()) as ReturnType<typeof openApiDocument>;
  expect(document.openapi).toBe("3.1.0");
  expect(Object.keys(document.paths ?? {}).sort()).toEqual(handlers.sort());
});

// A route made with the same wrapper every /api/v1 handler uses: the key decides scope.
const probe = defineRoute<{ departmentId: string }>({
  permission: "pools.manage",
  handle: async ({ actor }, _request, { departmentId }) => {
    authorize(actor, "pools.manage", { departmentId });
    return json({ ok: true, caller: actor.label });
  },
});

function call(key: string | null, departmentId: string) {
  const headers = new Headers({ "x-forwarded-for": "192.0.2.44" });
  if (key !== null) headers.set("authorization", key);
  return probe(new Request("http://fanout.test/api/v1/probe", { headers }), { params: Promise.resolve({ departmentId }) });
}

describeOnDatabases("API keys at the door", (db) => {
  it("answers 401, 403 and 200 in the documented error format", async () => {
    const mine = await makeDepartment(db());
    const theirs = await makeDepartment(db());
    const key = await createApiKey({ db: db(), actor: systemActor("test") }, { name: "crm", scope: { company: false, departmentId: mine.id } });

    const missing = await call(null, mine.id);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: { code: "unauthorized", message: "Send an API key as 'Authorization: Bearer <key>'", reason: "bearerRequired" } });

    const forged = await call(`Bearer fo_${"x".repeat(32)}`, mine.id);
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe("unauthorized");

    const elsewhere = await call(`Bearer ${key.secret}`, theirs.id);
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.json()).toEqual({ error: { code: "forbidden", message: "You are not allowed to do this", reason: "forbidden" } });

    const allowed = await call(`Bearer ${key.secret}`, mine.id);
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ ok: true, caller: 'API key "crm"' });

    await revokeApiKey({ db: db(), actor: systemActor("test") }, key.id);
    expect((await call(`Bearer ${key.secret}`, mine.id)).status).toBe(401);
  });
});
