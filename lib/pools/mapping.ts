import type { ContactChannel, ImportMapping } from "@/db/schema";
import { invalidInput } from "@/lib/errors";
import { readAddressCell } from "./address-cell";

const EMAIL_HEADERS = new Set(["email", "e-mail", "mail", "email address", "e-mail address", "emailaddress", "邮箱", "邮件", "电子邮件", "电子邮箱", "邮箱地址", "邮件地址", "電子郵件"]);
const NAME_HEADERS = new Set(["name", "full name", "fullname", "contact", "姓名", "名字", "名称", "联系人", "客户名称"]);
const TAG_HEADERS = new Set(["tags", "tag", "labels", "标签", "標籤"]);
const PHONE_HEADERS = new Set(["phone", "mobile", "tel", "telephone", "phone number", "mobile phone", "cell", "手机", "手机号", "手机号码", "电话", "联系电话", "電話", "手機"]);

/** The first column (not one of `taken`) whose header names phone numbers, or -1. */
function phoneHeaderIndex(header: string[], taken: number[]): number {
  return header.findIndex((cell, index) => !taken.includes(index) && PHONE_HEADERS.has(normaliseHeader(cell)));
}

function normaliseHeader(value: string) {
  return value.trim().toLowerCase().replace(/[_\s]+/g, " ");
}

/** Attribute keys from header cells: trimmed, unique, never empty. */
export function attributeKeys(header: string[]): string[] {
  const seen = new Map<string, number>();
  return header.map((cell, index) => {
    const base = cell.trim().slice(0, 100) || `column_${index + 1}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}_${count}`;
  });
}

function looksLikeAddressColumn(rows: string[][], index: number): number {
  return rows.filter((row) => row[index] !== undefined && readAddressCell(row[index]!).ok).length;
}

/**
 * Proposes a mapping from the first rows: a header row when the first row holds no address,
 * the address column by its header name or by its content, the name column by its header,
 * every other column an attribute.
 */
export function suggestMapping(preview: string[][]): { hasHeader: boolean; mapping: ImportMapping | null } {
  const first = preview[0] ?? [];
  const width = Math.max(0, ...preview.map((row) => row.length));
  const hasHeader = !first.some((cell) => readAddressCell(cell).ok);
  const header = hasHeader ? first : [];
  const body = hasHeader ? preview.slice(1) : preview;
  let emailColumn = header.findIndex((cell) => EMAIL_HEADERS.has(normaliseHeader(cell)));
  if (emailColumn < 0) {
    let best = 0;
    for (let index = 0; index < width; index++) {
      const score = looksLikeAddressColumn(body, index);
      if (score > best) {
        best = score;
        emailColumn = index;
      }
    }
  }
  if (emailColumn < 0) return { hasHeader, mapping: null };
  const nameIndex = header.findIndex((cell, index) => index !== emailColumn && NAME_HEADERS.has(normaliseHeader(cell)));
  // The console proposes a "tags" column as tags; the API keeps every column an attribute unless asked (API.md).
  const tagsIndex = header.findIndex((cell, index) => index !== emailColumn && index !== nameIndex && TAG_HEADERS.has(normaliseHeader(cell)));
  const phoneIndex = phoneHeaderIndex(header, [emailColumn, nameIndex, tagsIndex]);
  const keys = attributeKeys(Array.from({ length: width }, (_, index) => header[index] ?? ""));
  const attributeColumns = keys
    .map((key, index) => ({ index, key }))
    .filter((column) => ![emailColumn, nameIndex, tagsIndex, phoneIndex].includes(column.index));
  return {
    hasHeader,
    mapping: {
      emailColumn,
      nameColumn: nameIndex >= 0 ? nameIndex : null,
      attributeColumns,
      ...(tagsIndex >= 0 ? { tagsColumn: tagsIndex } : {}),
      ...(phoneIndex >= 0 ? { phoneColumn: phoneIndex } : {}),
    },
  };
}

/**
 * The API's rule (API.md): a header row with an `email` column; `name` is the name; the rest are
 * attributes, but for the column the caller named as tags (`?tagsColumn=`, matched like the others,
 * any case; refused when the header has no such column). A phone column (by its header) is also read
 * as the contact's phone number, and stays an attribute as it always was: the contract only adds.
 */
export function mappingFromHeader(header: string[], options: { tagsColumn?: string; tags?: string[]; consent?: ContactChannel[] } = {}): ImportMapping | null {
  const emailColumn = header.findIndex((cell) => EMAIL_HEADERS.has(normaliseHeader(cell)));
  if (emailColumn < 0) return null;
  const nameIndex = header.findIndex((cell, index) => index !== emailColumn && NAME_HEADERS.has(normaliseHeader(cell)));
  const wanted = options.tagsColumn === undefined ? null : normaliseHeader(options.tagsColumn);
  const tagsIndex = wanted === null ? -1 : header.findIndex((cell, index) => index !== emailColumn && normaliseHeader(cell) === wanted);
  if (wanted !== null && tagsIndex < 0) throw invalidInput("tagsColumnMissing", { field: "tagsColumn", params: { column: options.tagsColumn ?? "" } });
  const keys = attributeKeys(header);
  return {
    emailColumn,
    nameColumn: nameIndex >= 0 ? nameIndex : null,
    attributeColumns: keys.map((key, index) => ({ index, key })).filter((column) => column.index !== emailColumn && column.index !== nameIndex && column.index !== tagsIndex),
    ...(tagsIndex >= 0 ? { tagsColumn: tagsIndex } : {}),
    ...(options.tags && options.tags.length > 0 ? { tags: options.tags } : {}),
    ...phoneMapping(phoneHeaderIndex(header, [emailColumn, nameIndex, tagsIndex])),
    ...(options.consent && options.consent.length > 0 ? { consent: options.consent } : {}),
  };
}

const phoneMapping = (index: number) => (index >= 0 ? { phoneColumn: index } : {});
