import { z } from "zod";

type QueryValue = string | string[] | undefined;

const single = (value: QueryValue) => (Array.isArray(value) ? value[0] : value);

const pageSchema = z.coerce.number().int().min(1).transform((page) => Math.min(page, 100_000));

/** `?page=`: a whole number from 1 (larger ones are clamped); anything else is page 1. */
export function pageNumber(value: QueryValue): number {
  const parsed = pageSchema.safeParse(single(value));
  return parsed.success ? parsed.data : 1;
}

export function firstParam(value: QueryValue): string | undefined {
  const text = single(value)?.trim();
  return text ? text : undefined;
}

/** A numeric id in the URL (deliveries): a positive whole number a bigint column can hold, else null. */
export const numericId = z.string().trim().min(1).transform(Number).pipe(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER));

/** A value of the URL checked by its schema: the parsed value, or null when it does not fit. */
export function queryValue<S extends z.ZodType>(schema: S, value: QueryValue): z.output<S> | null {
  const parsed = schema.safeParse(single(value));
  return parsed.success ? parsed.data : null;
}
