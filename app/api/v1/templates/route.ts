import { z } from "zod";
import { defineRoute, json, readJson } from "@/lib/entry/route";
import { createTemplate } from "@/lib/templates/store";

const body = z.object({
  name: z.string().trim().min(1).max(200),
  subject: z.string().max(2000),
  html: z.string().max(2_000_000),
  text: z.string().max(2_000_000).optional(),
  departmentId: z.string().uuid().optional(),
});

export const POST = defineRoute({
  permission: "templates.manage",
  handle: async (ctx, request) => {
    const created = await createTemplate(ctx, await readJson(request, body));
    return json({ id: created.id, version: created.version, warnings: created.lint.warnings }, 201);
  },
});
