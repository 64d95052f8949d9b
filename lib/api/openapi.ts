/*
 * The published OpenAPI document of /api/v1, the machine-readable face of ../shared/API.md. It is
 * long because it is one document: every path with its parameters, bodies and answers, read top to
 * bottom against API.md, with the small builders it repeats (responses, parameters) at the end.
 */
import "server-only";
import { z } from "zod";
import { TASK_KINDS } from "@/db/schema";
import { deliveryEngagementSchema, deliverySchema, MESSAGE_RECIPIENTS_MAX, sendMessageAnswerSchema, sendMessageRequestSchema } from "@/lib/api/schemas/messages";
import { REPORTED_INVALID_ROWS } from "@/lib/pools/import-csv";
import { PERIODS } from "@/lib/reports/periods";
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
  return withBoundaryAnswers({
    openapi: "3.1.0",
    info: { title: "Fanout API", version: packageJson.version },
    servers: [{ url: "/api/v1" }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A department or company API key" } },
      schemas: {
        Error: errorSchema,
        Pool: {
          type: "object",
          properties: { id: { type: "string" }, name: { type: "string" }, description: { type: "string" }, contactCount: { type: "integer" }, departmentId: { type: "string" } },
        },
        Task: {
          type: "object",
          required: ["id", "status", "kind", "smtpAccountId", "total", "queued", "sent", "delivered", "failed", "suppressed", "opened", "clicked", "unsubscribed", "startedAt", "finishedAt"],
          properties: {
            id: { type: "string" },
            name: { type: "string" },
            status: { enum: ["scheduled", "sending", "paused", "completed", "cancelled", "failed"] },
            kind: { enum: [...TASK_KINDS], description: "campaign: a template sent to pools; smtp: one message a group-send client submitted through the SMTP entrance" },
            smtpAccountId: { type: ["string", "null"], format: "uuid", description: "The SMTP account that submitted an smtp task; null for a campaign" },
            total: { type: "integer" },
            queued: { type: "integer" },
            sent: { type: "integer" },
            delivered: { type: "integer" },
            failed: { type: "integer" },
            suppressed: { type: "integer" },
            cancelled: { type: "integer" },
            opened: { type: "integer" },
            clicked: { type: "integer" },
            unsubscribed: { type: "integer" },
            scheduledAt: { type: "string", format: "date-time" },
            startedAt: { type: ["string", "null"], format: "date-time" },
            finishedAt: { type: ["string", "null"], format: "date-time" },
          },
        },
        Contact: {
          type: "object",
          properties: {
            id: { type: "string" },
            email: { type: "string" },
            name: { type: "string" },
            attributes: { type: "object", additionalProperties: { type: "string" } },
            status: { type: "string" },
            suppressed: { type: "boolean" },
            createdAt: { type: "string", format: "date-time" },
          },
        },
      },
      responses: {
        BadRequest: errorResponse("Bad input"),
        Unauthorized: errorResponse("Missing, unknown or revoked API key"),
        Forbidden: errorResponse("The key's department may not do this"),
        NotFound: errorResponse("No such object"),
        Conflict: errorResponse("Conflict, for example quota_exceeded"),
        PayloadTooLarge: errorResponse("payload_too_large: the body is larger than this endpoint takes (counted as it arrives, chunked or not)"),
        TooManyRequests: {
          ...errorResponse("rate_limited: too many requests for this API key (FANOUT_RATE_LIMIT_API a minute), or from this address to a public endpoint"),
          headers: { "Retry-After": { description: "Seconds until a request will be taken again", schema: { type: "integer", minimum: 1 } } },
        },
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
      "/pools": {
        get: {
          summary: "Pools the key may use",
          responses: { "200": jsonResponse("Pools", { type: "array", items: { $ref: "#/components/schemas/Pool" } }), "401": ref("Unauthorized") },
        },
        post: {
          summary: "Create a pool (a company key names departmentId)",
          requestBody: jsonBody({
            type: "object",
            required: ["name"],
            properties: { name: { type: "string" }, description: { type: "string" }, departmentId: { type: "string", format: "uuid" } },
          }),
          responses: { "201": jsonResponse("The pool", { $ref: "#/components/schemas/Pool" }), "400": ref("BadRequest"), "403": ref("Forbidden"), "409": ref("Conflict") },
        },
      },
      "/pools/{id}/contacts": {
        parameters: [idParameter],
        get: {
          summary: "A page of the pool's contacts, by id",
          parameters: [
            { name: "cursor", in: "query", schema: { type: "string" } },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
            { name: "q", in: "query", schema: { type: "string" } },
            { name: "status", in: "query", schema: { enum: ["active", "pending", "unsubscribed", "bounced", "complained"] } },
          ],
          responses: {
            "200": jsonResponse("Contacts and the cursor of the next page (null at the end)", {
              type: "object",
              properties: { contacts: { type: "array", items: { $ref: "#/components/schemas/Contact" } }, nextCursor: { type: ["string", "null"] } },
            }),
            "403": ref("Forbidden"),
            "404": ref("NotFound"),
          },
        },
        post: {
          summary: "Add or update up to 10,000 contacts",
          requestBody: jsonBody({
            type: "object",
            required: ["contacts"],
            properties: {
              contacts: {
                type: "array",
                maxItems: 10000,
                items: { type: "object", required: ["email"], properties: { email: { type: "string" }, name: { type: "string" }, attributes: { type: "object" } } },
              },
            },
          }),
          responses: {
            "200": jsonResponse("What happened", {
              type: "object",
              properties: {
                added: { type: "integer" },
                updated: { type: "integer" },
                invalid: { type: "array", items: { type: "object", properties: { index: { type: "integer" }, email: { type: "string" }, reason: { type: "string" } } } },
              },
            }),
            "400": ref("BadRequest"),
            "403": ref("Forbidden"),
          },
        },
      },
      "/pools/{id}/import": {
        parameters: [idParameter],
        post: {
          summary: "Import a CSV (header row with an email column; UTF-8 with or without BOM, GB18030, UTF-16)",
          requestBody: { required: true, content: { "text/csv": { schema: { type: "string" } }, "text/tab-separated-values": { schema: { type: "string" } } } },
          responses: {
            "200": jsonResponse("The import report", {
              type: "object",
              properties: {
                imported: { type: "integer" },
                duplicates: { type: "integer" },
                updated: { type: "integer" },
                rows: { type: "integer" },
                invalid: {
                  type: "array",
                  description: `The first ${REPORTED_INVALID_ROWS} invalid rows, in line order`,
                  items: { type: "object", properties: { line: { type: "integer" }, reason: { type: "string" } } },
                },
                invalidCount: { type: "integer", description: "Every invalid row, listed in `invalid` or not" },
                invalidTruncated: { type: "boolean", description: "True when `invalid` lists only the first of them" },
              },
            }),
            "400": ref("BadRequest"),
            "403": ref("Forbidden"),
            "413": errorResponse("The body is too large"),
          },
        },
      },
      "/subscribe": {
        post: {
          summary: "Add a person to a pool; with doubleOptIn they stay pending until they confirm",
          requestBody: jsonBody({
            type: "object",
            required: ["poolId", "email"],
            properties: { poolId: { type: "string" }, email: { type: "string" }, name: { type: "string" }, attributes: { type: "object" }, doubleOptIn: { type: "boolean" } },
          }),
          responses: { "200": jsonResponse("Status", { type: "object", properties: { status: { enum: ["subscribed", "pending"] } } }), "400": ref("BadRequest"), "403": ref("Forbidden") },
        },
      },
      "/unsubscribe": {
        post: {
          summary: "Unsubscribe an address from a pool, or (without poolId) from the department",
          requestBody: jsonBody({ type: "object", required: ["email"], properties: { email: { type: "string" }, poolId: { type: "string" } } }),
          responses: { "200": jsonResponse("Status", { type: "object", properties: { status: { const: "unsubscribed" } } }), "400": ref("BadRequest"), "404": ref("NotFound") },
        },
      },
      "/templates": {
        post: {
          summary: "Create a template ({{ name }}, {{ email }}, {{ attributes.X }} personalise); refused with line and column when it does not parse",
          requestBody: jsonBody({
            type: "object",
            required: ["name", "subject", "html"],
            properties: { name: { type: "string" }, subject: { type: "string" }, html: { type: "string" }, text: { type: "string" }, departmentId: { type: "string" } },
          }),
          responses: {
            "201": jsonResponse("The template", {
              type: "object",
              properties: { id: { type: "string" }, version: { type: "integer" }, warnings: { type: "array", items: { type: "object" } } },
            }),
            "400": ref("BadRequest"),
            "403": ref("Forbidden"),
          },
        },
      },
      "/senders": {
        get: {
          summary: "Sender identities the key may use",
          responses: {
            "200": jsonResponse("Senders", {
              type: "array",
              items: {
                type: "object",
                properties: {
                  id: { type: "string" },
                  address: { type: "string" },
                  name: { type: "string" },
                  domain: { type: "string" },
                  domainStatus: { enum: ["unverified", "verified", "failed"] },
                },
              },
            }),
          },
        },
      },
      "/tasks": {
        post: {
          summary: "Create a send task; it reserves the department's quota (409 quota_exceeded says what is left) and starts at scheduledAt, or now",
          requestBody: jsonBody({
            type: "object",
            required: ["name", "templateId", "poolIds", "senderId"],
            properties: {
              name: { type: "string" },
              templateId: { type: "string" },
              poolIds: { oneOf: [{ type: "array", items: { type: "string" } }, { const: "all" }] },
              senderId: { type: "string" },
              fromName: { type: "string" },
              limit: { type: ["integer", "null"], minimum: 1, description: "At most this many recipients; absent: all" },
              scheduledAt: { type: ["string", "null"], format: "date-time", description: "ISO 8601 with offset; absent: now" },
              tracking: { type: "boolean" },
              departmentId: { type: "string", description: "Required of a company key" },
            },
          }),
          responses: { "201": jsonResponse("The task", { $ref: "#/components/schemas/Task" }), "400": ref("BadRequest"), "403": ref("Forbidden"), "409": ref("Conflict") },
        },
      },
      "/tasks/{id}": {
        get: {
          summary: "A task with its counters",
          parameters: [idParameter],
          responses: { "200": jsonResponse("The task", { $ref: "#/components/schemas/Task" }), "404": ref("NotFound") },
        },
      },
      ...Object.fromEntries(
        (["pause", "resume", "cancel"] as const).map((action) => [
          `/tasks/{id}/${action}`,
          {
            post: {
              summary: { pause: "Stop taking new batches (the batch in flight finishes)", resume: "Continue where the task stopped", cancel: "Stop for good; waiting recipients are cancelled and their quota given back" }[action],
              parameters: [idParameter],
              responses: { "200": jsonResponse("The task", { $ref: "#/components/schemas/Task" }), "404": ref("NotFound"), "409": ref("Conflict") },
            },
          },
        ]),
      ),
      "/tasks/{id}/deliveries": {
        get: {
          summary: "The task's per-recipient log, a page at a time",
          parameters: [
            idParameter,
            { name: "status", in: "query", schema: { enum: ["queued", "sending", "sent", "delivered", "failed", "suppressed", "cancelled"] } },
            { name: "category", in: "query", schema: { enum: ["user_unknown", "mailbox_full", "rejected", "other"] } },
            { name: "q", in: "query", schema: { type: "string" }, description: "Part of the address" },
            { name: "cursor", in: "query", schema: { type: "string" } },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 500 } },
          ],
          responses: {
            "200": jsonResponse("A page of deliveries", {
              type: "object",
              properties: {
                deliveries: {
                  type: "array",
                  items: {
                    type: "object",
                    required: ["email", "status"],
                    properties: {
                      email: { type: "string" },
                      status: { type: "string" },
                      category: { enum: ["user_unknown", "mailbox_full", "rejected", "other"] },
                      error: { type: "string" },
                      sentAt: { type: "string", format: "date-time" },
                      ...fromZod(deliveryEngagementSchema).properties,
                    },
                  },
                },
                nextCursor: { type: ["string", "null"] },
              },
            }),
            "400": ref("BadRequest"),
            "404": ref("NotFound"),
          },
        },
      },
      "/messages": {
        post: {
          summary: "Send one message to one recipient or a few, each with their own data (transactional mail)",
          description: [
            `A template of the department (templateId) or inline subject, html and text; one address or up to ${MESSAGE_RECIPIENTS_MAX} recipients, each rendered with the request's data under their own (each key is a variable, and also under \`attributes\`). A variable the template uses that a recipient's data lacks is refused (422, naming it); an \`if\` on a missing one is false.`,
            "Sent by the same engine as tasks, in a priority lane of its own: a campaign in flight does not delay it. The department's quota applies (409 quota_exceeded), and so does its suppression list: a suppressed recipient's delivery is `suppressed`, never sent.",
            "`transactional: true` (order notices, password resets) sends to addresses that unsubscribed from marketing mail, but never to a hard-bounced or complained address, nor one suppressed by hand.",
            "An `Idempotency-Key` header (1–200 visible ASCII characters, scoped to the key's department, or to the company for a company key) makes a repeat harmless for 24 hours: the same key with the same body answers the first answer again and sends nothing; with another body, 409. Two requests with one key at once send once.",
          ].join("\n\n"),
          parameters: [{ name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", minLength: 1, maxLength: 200 } }],
          requestBody: jsonBody(fromZod(sendMessageRequestSchema, "input")),
          responses: {
            "202": jsonResponse("Accepted: one delivery per recipient (queued, or suppressed)", fromZod(sendMessageAnswerSchema)),
            "400": ref("BadRequest"),
            "401": ref("Unauthorized"),
            "404": errorResponse("The template or sender is not in the department"),
            "409": errorResponse("Quota exceeded, or the Idempotency-Key was used for another request"),
            "422": errorResponse("A recipient's data does not render the template (the variable is named)"),
          },
        },
      },
      "/deliveries/{id}": {
        get: {
          summary: "One delivery: its status, the receiving server's reply, and opens and clicks",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", pattern: "^[1-9][0-9]*$" } }],
          responses: {
            "200": jsonResponse("The delivery", fromZod(deliverySchema)),
            "401": ref("Unauthorized"),
            "404": ref("NotFound"),
          },
        },
      },
      "/stats/sends": {
        get: {
          summary: "Messages sent per day, department, client IP and sender domain, from the daily rollup",
          parameters: periodParameters,
          responses: statsResponses("The send report", ["ip", "domain", "sent"], {
            ip: { type: "string" },
            domain: { type: "string", description: "Sender domain" },
            sent: { type: "integer" },
          }),
        },
      },
      "/stats/failures": {
        get: {
          summary: "Failed messages per day, department and domain, by category, from the daily rollup",
          parameters: [
            ...periodParameters,
            { name: "by", in: "query", schema: { enum: ["sender", "recipient"], default: "sender" }, description: "Group by the sender's domain or the recipient's" },
          ],
          responses: statsResponses(
            "The failure report",
            ["domain", "failed", "user_unknown", "mailbox_full", "rejected", "other"],
            Object.fromEntries(["failed", "user_unknown", "mailbox_full", "rejected", "other"].map((count) => [count, { type: "integer" }])),
            { domain: { type: "string" } },
            { by: { enum: ["sender", "recipient"] } },
          ),
        },
      },
    } as Record<string, unknown>,
  });
}

const REPORT_PERIODS = [...PERIODS];

/** The answer of a stats endpoint: the period's days, a total and rows of day × department × what `rowProperties` add. */
function statsResponses(description: string, rowRequired: string[], rowProperties: Record<string, unknown>, leadingRowProperties: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    "200": jsonResponse(description, {
      type: "object",
      required: ["from", "to", "total", "rows"],
      properties: {
        period: { enum: REPORT_PERIODS },
        ...extra,
        from: { type: "string", format: "date" },
        to: { type: "string", format: "date" },
        total: { type: "integer" },
        rows: {
          type: "array",
          items: {
            type: "object",
            required: ["date", "department", ...rowRequired],
            properties: { date: { type: "string", format: "date" }, department: { type: "string" }, departmentId: { type: "string", format: "uuid" }, ...leadingRowProperties, ...rowProperties },
          },
        },
      },
    }),
    "400": ref("BadRequest"),
    "401": ref("Unauthorized"),
  };
}

/** Calendar days in FANOUT_TIMEZONE; weeks start on Monday. */
const periodParameters = [
  { name: "period", in: "query", schema: { enum: REPORT_PERIODS, default: "this_month" } },
  { name: "from", in: "query", schema: { type: "string", format: "date" }, description: "First day of a custom period (YYYY-MM-DD)" },
  { name: "to", in: "query", schema: { type: "string", format: "date" }, description: "Last day of a custom period (YYYY-MM-DD), at most 366 days after from" },
];

const idParameter = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };

type Operation = { requestBody?: unknown; responses: Record<string, unknown> };

/** Every operation may be rate limited (per key, or per IP without one); every one with a body may find it too large. */
function withBoundaryAnswers<D extends { paths: Record<string, unknown> }>(document: D): D {
  for (const operations of Object.values(document.paths) as Record<string, Operation>[]) {
    for (const operation of Object.values(operations)) {
      if (typeof operation?.responses !== "object") continue; // path-level parameters, not an operation
      if (operation.requestBody !== undefined) operation.responses["413"] ??= ref("PayloadTooLarge");
      operation.responses["429"] ??= ref("TooManyRequests");
    }
  }
  return document;
}

function ref(name: string) {
  return { $ref: `#/components/responses/${name}` };
}

function jsonBody(schema: unknown) {
  return { required: true, content: { "application/json": { schema } } };
}

function jsonResponse(description: string, schema: unknown) {
  return { description, content: { "application/json": { schema } } };
}

/** A zod schema as JSON Schema for the document (draft 2020-12, which OpenAPI 3.1 uses), without its $schema line. */
function fromZod(schema: z.ZodType, io: "input" | "output" = "output"): { properties?: Record<string, unknown> } & Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}
