import { z } from "zod";

/*
 * The pieces every /api/v1 area shares: the error body, ids, the department a company key
 * names, contact attributes, cursors. `.meta({ id })` makes a schema a named component of the
 * OpenAPI document (lib/api/openapi.ts).
 */

export const errorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "Stable machine code: invalid_input, unauthorized, forbidden, not_found, conflict, quota_exceeded, payload_too_large, rate_limited, ..." }),
      message: z.string().meta({ description: "English wording for people reading logs" }),
      reason: z.string().optional().meta({ description: "The rule that refused, as the console's catalogues name it" }),
      params: z.record(z.string(), z.unknown()).optional(),
      details: z.unknown().optional().meta({ description: "For invalid_input: `{ issues: [{ path, rule }] }`, one per refused field" }),
    }),
  })
  .meta({ id: "Error" });

export const objectId = z.string().min(1).max(100).meta({ description: "The object's id (a UUID); an id that names nothing the key may see, well formed or not, is 404", format: "uuid" });

/** `{id}` in a path. Only an overlong one is bad input: any other id that names nothing is 404, as the loaders have always answered. */
export const idPath = z.object({ id: objectId });

export const departmentIdField = z.uuid().optional().meta({ description: "The department the new object belongs to: required of a company key, ignored otherwise" });

export const attributeValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const attributes = z.record(z.string(), attributeValue).meta({ description: "Attributes a template reads as {{ attributes.X }}: strings, numbers, booleans or null" });

export const emailField = z.string().max(1000).meta({ description: "An e-mail address (checked and normalised by the server)", example: "li.lei@example.com" });

export const nextCursor = z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null at the end" });

export const isoDateTime = z.iso.datetime({ offset: true });
