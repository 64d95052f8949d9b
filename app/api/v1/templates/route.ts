import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { createTemplate } from "@/lib/templates/store";

export const POST = defineApiRoute(apiRoutes.createTemplate, async (ctx, { body }) => {
  const created = await createTemplate(ctx, body);
  return { id: created.id, version: created.version, warnings: created.lint.warnings };
});
