/*
 * The task form's reply fields as posted, shared by the form, its confirmation step and the server
 * action that reads them (a plain module: a "use client" file's exports are not values on the server).
 */

/** Named as the server names the ones it refuses (lib/sending/reply-settings.ts), so its refusals land beside them. */
export const REPLY_FIELDS = { on: "replyTracking", forwardTo: "replyForwardTo" } as const;

/** What a posted form asks of replies, read as the server reads it: naming a mailbox to forward to collects them too. */
export function repliesOfForm(form: FormData): { on: boolean; forwardTo: string } {
  const forwardTo = String(form.get(REPLY_FIELDS.forwardTo) ?? "").trim();
  return { on: form.get(REPLY_FIELDS.on) !== null || forwardTo !== "", forwardTo };
}
