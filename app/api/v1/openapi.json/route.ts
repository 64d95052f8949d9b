import { openApiDocument } from "@/lib/api/openapi";
import { definePublicRoute, json } from "@/lib/entry/public-route";

export const GET = definePublicRoute({ handle: () => json(openApiDocument()) });
