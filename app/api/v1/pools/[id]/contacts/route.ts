import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { addContacts, listContacts } from "@/lib/pools/contacts";

export const GET = defineApiRoute(apiRoutes.listContacts, async (ctx, { params, query }) => {
  const page = await listContacts(ctx, { poolId: params.id }, { cursor: query.cursor ? Number(query.cursor) : undefined, limit: query.limit, q: query.q, status: query.status, tag: query.tag });
  return {
    contacts: page.contacts.map((contact) => ({
      id: String(contact.id),
      email: contact.email,
      name: contact.name,
      attributes: contact.attributes,
      status: contact.status,
      suppressed: contact.suppressedReason !== null,
      tags: contact.tags,
      phone: contact.phone,
      wecomUserId: contact.wecomUserId,
      channelConsent: contact.channelConsent,
      createdAt: contact.createdAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
});

export const POST = defineApiRoute(apiRoutes.addContacts, async (ctx, { params, body }) => addContacts(ctx, params.id, body.contacts));
