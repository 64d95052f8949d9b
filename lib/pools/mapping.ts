import type { ImportMapping } from "@/db/schema";
import { readAddressCell } from "./address-cell";

const EMAIL_HEADERS = new Set(["email", "e-mail", "mail", "email address", "e-mail address", "emailaddress", "邮箱", "邮件", "电子邮件", "电子邮箱", "邮箱地址", "邮件地址", "電子郵件"]);
const NAME_HEADERS = new Set(["name", "full name", "fullname", "contact", "姓名", "名字", "名称", "联系人", "客户名称"]);

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
  const keys = attributeKeys(Array.from({ length: width }, (_, index) => header[index] ?? ""));
  const attributeColumns = keys
    .map((key, index) => ({ index, key }))
    .filter((column) => column.index !== emailColumn && column.index !== nameIndex);
  return { hasHeader, mapping: { emailColumn, nameColumn: nameIndex >= 0 ? nameIndex : null, attributeColumns } };
}

/** The API's rule (API.md): a header row with an `email` column; `name` is the name; the rest are attributes. */
export function mappingFromHeader(header: string[]): ImportMapping | null {
  const emailColumn = header.findIndex((cell) => EMAIL_HEADERS.has(normaliseHeader(cell)));
  if (emailColumn < 0) return null;
  const nameIndex = header.findIndex((cell, index) => index !== emailColumn && NAME_HEADERS.has(normaliseHeader(cell)));
  const keys = attributeKeys(header);
  return {
    emailColumn,
    nameColumn: nameIndex >= 0 ? nameIndex : null,
    attributeColumns: keys.map((key, index) => ({ index, key })).filter((column) => column.index !== emailColumn && column.index !== nameIndex),
  };
}
