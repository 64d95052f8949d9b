import packageJson from "@/package.json";

const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
    },
  },
};

const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });

/**
 * The published contract (../shared/API.md). Each issue adds its routes here; a test checks
 * that every path listed has a route handler and every handler under /api/v1 is listed.
 */
export function openApiDocument() {
  return {
    openapi: "3.1.0",
    info: { title: "Fanout API", version: packageJson.version },
    servers: [{ url: "/api/v1" }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A department or company API key" } },
      schemas: { Error: errorSchema },
      responses: {
        BadRequest: errorResponse("Bad input"),
        Unauthorized: errorResponse("Missing, unknown or revoked API key"),
        Forbidden: errorResponse("The key's department may not do this"),
        NotFound: errorResponse("No such object"),
        Conflict: errorResponse("Conflict, for example quota_exceeded"),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      "/health": {
        get: {
          summary: "Liveness and version",
          security: [],
          responses: {
            "200": {
              description: "The server answers",
              content: {
                "application/json": {
                  schema: { type: "object", required: ["ok", "version"], properties: { ok: { const: true }, version: { type: "string" } } },
                },
              },
            },
          },
        },
      },
      "/openapi.json": {
        get: { summary: "This document", security: [], responses: { "200": { description: "OpenAPI 3.1 document" } } },
      },
    } as Record<string, unknown>,
  };
}
