import "server-only";
import { z } from "zod";
import { CONTACT_CHANNELS, CONTACT_STATUSES } from "@/db/schema";
import { MAX_PHONE_INPUT } from "@/lib/channels/phone";
import { WECOM_USER_ID } from "@/lib/pools/contact-channels";
import { MAX_CONTACTS_PER_CALL } from "@/lib/pools/contacts";
import { HYGIENE_FLAGS, SKIPPABLE_FLAGS } from "@/lib/pools/hygiene/flags";
import { splitTagCell } from "@/lib/pools/tag-names";
import { attributes, departmentIdField, emailField, nextCursor } from "./common";
import { contactTagsField } from "./tags";

export const createPoolBody = z.object({
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(500).optional(),
  departmentId: departmentIdField,
});

export const pool = z
  .object({ id: z.string(), name: z.string(), description: z.string(), contactCount: z.number().int(), departmentId: z.string() })
  .meta({ id: "Pool" });

export const poolList = z.array(pool);

const channelList = z.array(z.enum(CONTACT_CHANNELS)).max(CONTACT_CHANNELS.length);
const phoneInput = z.string().max(MAX_PHONE_INPUT).meta({ description: "A phone number: E.164 (+8613800138000) or national, read in the company's phone region. Left out or empty: the contact keeps the number it has" });
const wecomUserIdInput = z.string().regex(WECOM_USER_ID, "is not a WeCom user id").or(z.literal("")).meta({ description: "The WeCom (企业微信) user id. Left out or empty: the contact keeps the one it has" });

export const addContactsBody = z.object({
  contacts: z
    .array(
      z.object({
        email: emailField,
        name: z.string().max(1000).optional(),
        attributes: attributes.optional(),
        tags: contactTagsField.optional().meta({ description: "Tags to put on the contact (added to those it has); a bad name makes the contact invalid" }),
        phone: phoneInput.optional(),
        wecomUserId: wecomUserIdInput.optional(),
        channelConsent: channelList.optional().meta({ description: "Channels beyond e-mail the person consented to (added to those the contact has)" }),
      }),
    )
    .max(MAX_CONTACTS_PER_CALL, `at most ${MAX_CONTACTS_PER_CALL} contacts per call`),
});

export const addContactsResult = z.object({
  added: z.number().int(),
  updated: z.number().int(),
  invalid: z.array(z.object({ index: z.number().int(), email: z.string(), reason: z.string() })),
  badPhones: z
    .array(z.object({ index: z.number().int(), phone: z.string(), reason: z.string() }))
    .meta({ description: "Contacts added or updated without their phone number, which was not one" }),
});

export const listContactsQuery = z.object({
  cursor: z.string().regex(/^\d+$/).optional().meta({ description: "nextCursor of the previous page" }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  q: z.string().max(1000).optional().meta({ description: "Part of the address or name" }),
  status: z.enum(CONTACT_STATUSES).optional(),
  tag: z.string().max(1000).optional().meta({ description: "Only contacts carrying this tag (any case)" }),
});

export const contact = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    attributes,
    status: z.enum(CONTACT_STATUSES),
    suppressed: z.boolean(),
    tags: z.array(z.string()).meta({ description: "The contact's tags, by name" }),
    phone: z.string().nullable().meta({ description: "E.164, or null" }),
    wecomUserId: z.string().nullable().meta({ description: "The WeCom (企业微信) user id, or null" }),
    channelConsent: z.array(z.enum(CONTACT_CHANNELS)).meta({ description: "Channels beyond e-mail the person consented to" }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Contact" });

export const contactPage = z.object({ contacts: z.array(contact), nextCursor });

const IMPORT_TYPES = /csv|text\/plain|tab-separated|spreadsheetml/i;

export const importHeaders = z.object({
  "content-type": z
    .string()
    .default("text/csv")
    .superRefine((type, context) => {
      if (!IMPORT_TYPES.test(type)) context.addIssue({ code: "custom", message: "not a table type", params: { rule: "contentTypeRefused", values: { type } } });
    })
    .meta({ description: "text/csv (or text/plain), text/tab-separated-values, or an .xlsx workbook's type" }),
});

export const importQuery = z.object({
  skip: z
    .string()
    .transform((list) => list.split(",").map((kind) => kind.trim()).filter(Boolean))
    .pipe(z.array(z.enum(SKIPPABLE_FLAGS)))
    .optional()
    .meta({ description: "Comma-separated hygiene kinds (role, disposable, typo) to leave out instead of importing them flagged" }),
  tags: z
    .string()
    .max(2000)
    .transform((list, context) => {
      const checked = splitTagCell(list);
      if (checked.ok) return checked.names;
      context.addIssue({ code: "custom", message: "is not a list of tags", params: { rule: checked.reason, values: checked.params } });
      return z.NEVER;
    })
    .optional()
    .meta({ description: "Tags every imported contact is given, separated by , ; or |" }),
  consent: z
    .string()
    .transform((list) => list.split(",").map((channel) => channel.trim()).filter(Boolean))
    .pipe(channelList)
    .optional()
    .meta({ description: "Comma-separated channels (sms, whatsapp, wecom) every imported contact consented to" }),
  tagsColumn: z.string().trim().min(1).max(100).optional().meta({ description: "The header of a column whose cells are tags (split on , ; | ， ；) instead of an attribute; a bad tag makes its line invalid" }),
});

const perFlag = <T extends z.ZodType>(value: T) => z.object(Object.fromEntries(HYGIENE_FLAGS.map((flag) => [flag, value])) as Record<(typeof HYGIENE_FLAGS)[number], T>);
const perSkippable = <T extends z.ZodType>(value: T) => z.object(Object.fromEntries(SKIPPABLE_FLAGS.map((flag) => [flag, value])) as Record<(typeof SKIPPABLE_FLAGS)[number], T>);

export const importReport = z.object({
  imported: z.number().int(),
  duplicates: z.number().int(),
  updated: z.number().int(),
  rows: z.number().int(),
  invalid: z.array(z.object({ line: z.number().int(), reason: z.string() })).meta({ description: "The first invalid rows, in line order" }),
  invalidCount: z.number().int().meta({ description: "Every invalid row, listed in `invalid` or not" }),
  invalidTruncated: z.boolean().meta({ description: "True when `invalid` lists only the first of them" }),
  badPhones: z
    .array(z.object({ line: z.number().int(), value: z.string(), reason: z.string() }))
    .meta({ description: "The first rows imported without their phone number (a column headed phone, mobile, tel, 手机, 手机号, 电话 …), which was not one; the column also stays an attribute" }),
  badPhoneCount: z.number().int().meta({ description: "Every row imported without its bad phone number" }),
  hygiene: z
    .object({
      flagged: perFlag(z.number().int()).meta({ description: "Rows imported with each list-hygiene flag" }),
      skipped: perSkippable(z.number().int()).meta({ description: "Rows left out by `skip`, per kind" }),
      examples: perFlag(z.array(z.object({ line: z.number().int().nullable(), email: z.string(), suggestion: z.string().optional() }))).meta({
        description: "The earliest flagged rows of each kind (a typo with the suggested address)",
      }),
    })
    .meta({ description: "List hygiene (decision 0072): role addresses, disposable domains, typos of big providers" }),
});
