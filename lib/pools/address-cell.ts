import { normalizeAddress, type AddressCheck } from "@/lib/addresses/normalize";

/**
 * An address as people paste it into a sheet or a box: a bare address, or one with a display name as
 * mail clients copy it (`"张三" <zhang@example.com>`, `Name <a@b.c>`, `李四<li@example.com>`).
 * The name comes back without its quotes; a refused address gives normalizeAddress's reason.
 */
export type AddressCell = { ok: true; email: string; name: string } | Extract<AddressCheck, { ok: false }>;

/** Longest cell looked at for a name: normalizeAddress caps the address part itself. */
const MAX_CELL = 2048;

export function readAddressCell(raw: string): AddressCell {
  const named = raw.length <= MAX_CELL ? splitDisplayName(raw.trim()) : null;
  const checked = normalizeAddress(named ? named.address : raw);
  if (!checked.ok) return checked;
  return { ok: true, email: checked.email, name: named?.name ?? "" };
}

/** `name <address>` → its parts, when the cell ends with an angle-bracketed part after some text. */
function splitDisplayName(text: string): { name: string; address: string } | null {
  const close = text.endsWith(">") ? ">" : text.endsWith("＞") ? "＞" : null;
  if (!close) return null;
  const open = text.lastIndexOf(close === ">" ? "<" : "＜");
  if (open <= 0) return null;
  const name = unquote(text.slice(0, open).trim());
  return { name, address: text.slice(open + 1, -1) };
}

function unquote(name: string): string {
  for (const [open, close] of [['"', '"'], ["“", "”"], ["'", "'"]] as const) {
    if (name.length >= 2 && name.startsWith(open) && name.endsWith(close)) {
      const inner = name.slice(open.length, -close.length);
      return (open === '"' ? inner.replace(/\\(.)/g, "$1") : inner).trim();
    }
  }
  return name;
}
