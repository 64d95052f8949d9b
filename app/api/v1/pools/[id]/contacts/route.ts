import { z } from "zod";
import { CONTACT_STATUSES } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { defineRoute, json, readJson } from "@/lib/entry/route";
import { addContacts, listContacts, MAX_CONTACTS_PER_CALL } from "@/lib/pools/contacts";

const contactsBody = z.object({
  contacts: z
    .array(
      z.object({
        email: z.string().max(1000),
        name: z.string().max(1000).optional(),
        attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
      }),
    )
    .max(MAX_CONTACTS_PER_CALL, `at most ${MAX_CONTACTS_PER_CALL} contacts per call`),
});

export const GET = defineRoute<{ id: string }>({
  permission: "pools.manage",
  handle: async (ctx, request, { id }) => {
    const params = new URL(request.url).searchParams;
    const cursor = params.get("cursor");
    const limit = params.get("limit");
    const status = params.get("status");
    if (cursor && !/^\d+$/.test(cursor)) throw new AppError("invalid_input", "badCursor", { field: "cursor" });
    if (limit && !/^\d+$/.test(limit)) throw new AppError("invalid_input", "notWholeNumber", { field: "limit" });
    if (status && !(CONTACT_STATUSES as readonly string[]).includes(status)) throw new AppError("invalid_input", "unknownValue", { field: "status", params: { value: status } });
    const page = await listContacts(ctx, { poolId: id }, {
      cursor: cursor ? Number(cursor) : undefined,
      limit: limit ? Number(limit) : 100,
      q: params.get("q") ?? undefined,
      status: (status ?? undefined) as (typeof CONTACT_STATUSES)[number] | undefined,
    });
    return json({
      contacts: page.contacts.map((contact) => ({
        id: String(contact.id),
        email: contact.email,
        name: contact.name,
        attributes: contact.attributes,
        status: contact.status,
        suppressed: contact.suppressedReason !== null,
        createdAt: contact.createdAt.toISOString(),
      })),
      nextCursor: page.nextCursor,
    });
  },
});

export const POST = defineRoute<{ id: string }>({
  permission: "pools.manage",
  handle: async (ctx, request, { id }) => json(await addContacts(ctx, id, (await readJson(request, contactsBody, 20 * 1024 * 1024)).contacts)),
});
