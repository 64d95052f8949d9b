import { z } from "zod";

const emptyToNull = (value: unknown) => (value === "" || value === undefined || value === null ? null : value);

/** A quota typed into a form: empty means unlimited (null). */
export const optionalQuota = z.preprocess(
  emptyToNull,
  z.coerce.number().int("must be a whole number").min(0, "cannot be negative").max(1_000_000_000_000).nullable(),
);

export const requiredText = (max: number) => z.string().trim().min(1, "is required").max(max, `must be at most ${max} characters`);

export const optionalText = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`).optional().default("");

export const uuid = z.string().uuid("is not a valid id");

export const optionalUuid = z.preprocess(emptyToNull, uuid.nullable());

/** A checkbox: present ("on"/"true") or absent. */
export const checkbox = z.preprocess((value) => value === "on" || value === "true" || value === true, z.boolean());

/** A multi-select or a group of checkboxes sharing a name. */
export const idList = z.preprocess(
  (value) => (value === undefined || value === "" ? [] : Array.isArray(value) ? value : [value]),
  z.array(uuid),
);
