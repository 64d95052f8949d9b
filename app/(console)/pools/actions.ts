"use server";

import { z } from "zod";
import { defineAction } from "@/lib/entry/action";
import { checkbox, optionalText, optionalUuid, requiredText, uuid } from "@/lib/entry/form-schemas";
import { CONTACT_CHANNELS, CONTACT_STATUSES } from "@/db/schema";
import { addContact as add, deleteContacts as removeContacts, resubscribeContact as resubscribe, unsubscribeContacts as unsubscribe, updateContact as edit, type ContactSelection } from "@/lib/pools/contact-edits";
import { changeContactTags as changeTags } from "@/lib/audiences/contact-tags";
import { startImport as start } from "@/lib/pools/import-jobs";
import { TAG_SEPARATORS } from "@/lib/pools/tag-names";
import { MAX_PHONE_INPUT } from "@/lib/channels/phone";
import { clearPool as clear, clearUncategorised as clearOrphans, createPool as create, deletePool as remove, transferContacts as transfer, updatePool as update } from "@/lib/pools/pools";

export const createPool = defineAction({
  permission: "pools.manage",
  input: z.object({ name: requiredText(100), description: optionalText(500), departmentId: optionalUuid }),
  run: (ctx, input) => create(ctx, input),
});

export const updatePool = defineAction({
  permission: "pools.manage",
  input: z.object({ id: uuid, name: requiredText(100), description: optionalText(500) }),
  run: (ctx, { id, ...input }) => update(ctx, id, input),
});

export const deletePool = defineAction({
  permission: "pools.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => remove(ctx, id),
});

export const clearPool = defineAction({
  permission: "pools.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => clear(ctx, id),
});

export const clearUncategorised = defineAction({
  permission: "pools.manage",
  input: z.object({ departmentId: uuid }),
  run: (ctx, { departmentId }) => clearOrphans(ctx, departmentId),
});

export const transferContacts = defineAction({
  permission: "pools.manage",
  input: z.object({ fromPoolId: uuid, toPoolId: uuid, mode: z.enum(["copy", "move"]) }),
  run: (ctx, { fromPoolId, toPoolId, mode }) => transfer(ctx, { fromPoolId, toPoolId, move: mode === "move" }),
});

const columnIndex = z.coerce.number().int().min(0).max(1000);
const optionalColumn = z.preprocess((value) => (value === "" || value === undefined ? null : value), columnIndex.nullable());
/** Ticked channel checkboxes (`consent`, one field per channel) as a list. */
const channelList = z.preprocess((value) => (value === undefined || value === "" ? [] : Array.isArray(value) ? value : [value]), z.array(z.enum(CONTACT_CHANNELS)).max(CONTACT_CHANNELS.length));
/** Tags as typed in one field (`VIP, 上海`): split on the separators; each name is checked by lib/audiences. */
const tagField = z.preprocess((value) => (typeof value === "string" ? value.split(TAG_SEPARATORS) : []), z.array(z.string().max(1000)).max(100));

export const startImport = defineAction({
  permission: "pools.manage",
  input: z.object({
    id: uuid,
    emailColumn: columnIndex,
    nameColumn: optionalColumn,
    tagsColumn: optionalColumn,
    phoneColumn: optionalColumn,
    consent: channelList,
    tags: tagField,
    attributeColumns: z.string().transform((value, context) => {
      try {
        return z.array(z.object({ index: columnIndex, key: z.string().trim().min(1).max(100) })).max(200).parse(JSON.parse(value || "[]"));
      } catch {
        context.addIssue({ code: "custom", message: "is not a list of columns", params: { rule: "notColumnList" } });
        return z.NEVER;
      }
    }),
    hasHeader: checkbox,
    updateExisting: checkbox,
    skipRole: checkbox,
    skipDisposable: checkbox,
    skipTypo: checkbox,
    checkMx: checkbox,
  }),
  run: (ctx, input) =>
    start(ctx, input.id, {
      mapping: {
        emailColumn: input.emailColumn,
        nameColumn: input.nameColumn,
        attributeColumns: input.attributeColumns,
        tagsColumn: input.tagsColumn,
        tags: input.tags,
        phoneColumn: input.phoneColumn,
        consent: input.consent,
      },
      hasHeader: input.hasHeader,
      updateExisting: input.updateExisting,
      hygiene: {
        skip: (["role", "disposable", "typo"] as const).filter((kind) => ({ role: input.skipRole, disposable: input.skipDisposable, typo: input.skipTypo })[kind]),
        checkMx: input.checkMx,
      },
    }),
});

/** Repeated form fields (one per row) as a list. */
const textList = z.preprocess((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]), z.array(z.string().max(2000)).max(500));
const contactId = z.coerce.number().int().positive("is not a valid id");

/** The attribute rows of the contact form: `attributeKey` and `attributeValue` fields, paired in order. */
const contactFields = {
  name: optionalText(200),
  attributeKey: textList,
  attributeValue: textList,
  /** Set by the form that shows the channel fields: then an unticked consent box means "no consent". */
  channelFields: checkbox.optional(),
  phone: optionalText(MAX_PHONE_INPUT),
  wecomUserId: optionalText(64),
  channelConsent: channelList.optional(),
};
/** A form with the channel fields replaces all three (empty: none); a call without them leaves them as they are. */
const channelFields = (input: { channelFields?: boolean; phone: string; wecomUserId: string; channelConsent?: string[] }) =>
  input.channelFields ? { phone: input.phone, wecomUserId: input.wecomUserId, channelConsent: input.channelConsent ?? [] } : {};
const attributeRows = (input: { attributeKey: string[]; attributeValue: string[] }) =>
  input.attributeKey.map((key, index) => ({ key, value: input.attributeValue[index] ?? "" }));

export const addContact = defineAction({
  permission: "pools.manage",
  input: z.object({ poolId: uuid, email: requiredText(1024), ...contactFields }),
  run: (ctx, input) => add(ctx, input.poolId, { email: input.email, name: input.name, attributes: attributeRows(input), ...channelFields(input) }),
});

export const updateContact = defineAction({
  permission: "pools.manage",
  input: z.object({ poolId: uuid, id: contactId, ...contactFields }),
  run: (ctx, input) => edit(ctx, input.poolId, input.id, { name: input.name, attributes: attributeRows(input), ...channelFields(input) }),
});

export const resubscribeContact = defineAction({
  permission: "pools.manage",
  input: z.object({ poolId: uuid, id: contactId }),
  run: (ctx, input) => resubscribe(ctx, input.poolId, input.id),
});

/** A bulk action's rows: the ticked ids, or (`all` set) every row matching the search, as many as `expected`. */
const selectionInput = z.object({
  poolId: uuid,
  ids: z.preprocess((value) => (value === undefined || value === "" ? [] : Array.isArray(value) ? value : [value]), z.array(contactId).max(10_000)),
  all: checkbox,
  q: optionalText(200),
  status: z.preprocess((value) => (value === "" ? undefined : value), z.enum(CONTACT_STATUSES).optional()),
  tag: optionalText(200),
  expected: z.coerce.number().int().min(0).default(0),
});
const selectionOf = (input: z.output<typeof selectionInput>): ContactSelection =>
  input.all ? { search: { q: input.q, status: input.status, tag: input.tag }, expected: input.expected } : { ids: input.ids };

export const deleteContacts = defineAction({
  permission: "pools.manage",
  input: selectionInput,
  run: (ctx, input) => removeContacts(ctx, input.poolId, selectionOf(input)),
});

export const unsubscribeContacts = defineAction({
  permission: "pools.manage",
  input: selectionInput,
  run: (ctx, input) => unsubscribe(ctx, input.poolId, selectionOf(input)),
});

/** Tags put on or taken off one contact, the ticked ones, or all the search matches (as many as the page said). */
export const changeContactTags = defineAction({
  permission: "pools.manage",
  input: selectionInput.extend({ add: tagField, remove: tagField }),
  run: (ctx, input) => {
    const selection = selectionOf(input);
    const target = "ids" in selection ? { contactIds: selection.ids } : { poolId: input.poolId, search: selection.search, expected: selection.expected };
    return changeTags(ctx, target, { add: input.add, remove: input.remove });
  },
});
