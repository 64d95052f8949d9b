import { z } from "zod";

export const health = z.object({ ok: z.literal(true), version: z.string() });

export const openApiDocumentBody = z.record(z.string(), z.unknown()).meta({ description: "This OpenAPI 3.1 document" });
