import "server-only";
import { z } from "zod";
import { MAX_BULK_CONTACTS } from "@/lib/pools/contact-limits";
import { MAX_TAG_NAME, MAX_TAGS_AT_ONCE } from "@/lib/pools/tag-names";
import { departmentIdField } from "./common";

/** `/api/v1/tags` and `/api/v1/contacts/tags` (decision 0077): a department's tag vocabulary and tagging contacts. */

const tagName = z.string().max(1000).meta({ description: `A tag's name: trimmed, 1–${MAX_TAG_NAME} characters, none of , ; | ， ；; matched to the vocabulary whatever its case` });

export const tag = z
  .object({
    id: z.string(),
    name: z.string(),
    departmentId: z.string(),
    contacts: z.number().int().meta({ description: "Contacts carrying the tag" }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Tag" });

export const tagList = z.array(tag);

export const listTagsQuery = z.object({
  departmentId: z.uuid().optional().meta({ description: "A company key's filter to one department; a department key always sees its own" }),
});

export const createTagBody = z.object({ name: tagName, departmentId: departmentIdField });
export const renameTagBody = z.object({ name: tagName });

export const deletedTag = z.object({ id: z.string(), name: z.string(), contacts: z.number().int().meta({ description: "Contacts that carried it" }) });

const contactIdField = z.union([z.string().regex(/^\d+$/), z.number().int().positive()]).transform(Number).meta({ description: "A contact's id, as the contacts listing gives it" });
const tagNames = z.array(tagName).max(MAX_TAGS_AT_ONCE).optional();

export const changeContactTagsBody = z.object({
  contactIds: z.array(contactIdField).min(1).max(MAX_BULK_CONTACTS),
  add: tagNames.meta({ description: "Tags to put on every contact; a name new to the department is added to its vocabulary" }),
  remove: tagNames.meta({ description: "Tags to take off; a name the department does not have changes nothing" }),
  departmentId: z.uuid().optional().meta({ description: "Checked against the contacts' department when given" }),
});

export const changeContactTagsResult = z.object({
  contacts: z.number().int().meta({ description: "Contacts the change covered" }),
  added: z.number().int().meta({ description: "Tags put on contacts that did not have them" }),
  removed: z.number().int().meta({ description: "Tags taken off contacts that had them" }),
  created: z.array(z.string()).meta({ description: "Names added to the vocabulary by this call" }),
});

/** One contact's tags in the contacts API. */
export const contactTagsField = z.array(z.string().max(1000)).max(100);
