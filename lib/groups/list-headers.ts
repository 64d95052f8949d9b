import "server-only";
import libmime from "libmime";
import { publicBaseUrl } from "@/lib/transports/system-mail";
import { archiveLink } from "./archive-access";

/** RFC 2919 list identifier of a group: its address with the `@` as a dot (`team@lists.example.com` → `team.lists.example.com`). */
export function listIdOf(address: string): string {
  return address.toLowerCase().replace("@", ".");
}

export type GroupHeaderSource = { id: string; address: string; name: string };

/**
 * The list headers every copy of a post carries (RFC 2369 / 2919): its List-Id (which also stops
 * the copy from going round again), where to post and X-Loop; List-Unsubscribe is the delivery's
 * own, as on every message Fanout sends. The archive link is the member's own (signed), so it is
 * added per recipient.
 */
export function groupHeaders(group: GroupHeaderSource): Record<string, string> {
  const label = group.name.replace(/[\r\n"<>\\]+/g, " ").trim();
  // Only the phrase may be an encoded word: left to the composer, a Chinese name would encode the whole field, <list-id> included.
  const phrase = !label ? "" : /[^\x20-\x7e]/.test(label) ? `${libmime.encodeWord(label, "Q", 0)} ` : `"${label}" `;
  return {
    "List-Id": `${phrase}<${listIdOf(group.address)}>`,
    "List-Post": `<mailto:${group.address}>`,
    "X-Loop": group.address,
    Precedence: "list",
  };
}

export function memberHeaders(group: GroupHeaderSource, email: string): Record<string, string> {
  return { "List-Archive": `<${publicBaseUrl()}${archiveLink(group.id, email)}>` };
}
