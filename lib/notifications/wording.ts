import type { Notification } from "@/db/schema";
import type { Messages } from "@/lib/i18n/en";

type Catalogue = Messages["notifications"];

/** A notification said in one language: its message with its values, the rule and reason words from the catalogue. */
export function describeNotification(t: Catalogue, notification: Pick<Notification, "kind" | "params">): string {
  const params = { ...notification.params };
  if (typeof params.rule === "string" && params.rule in t.rules) params.rule = t.rules[params.rule as keyof Catalogue["rules"]];
  if (typeof params.reason === "string" && notification.kind === "webhookDisabled" && params.reason in t.webhookReasons) params.reason = t.webhookReasons[params.reason as keyof Catalogue["webhookReasons"]];
  const message = notification.kind === "guardPause" && params.scope === "domain" ? t.messages.guardPauseDomain : t.messages[notification.kind];
  return message.replace(/\{(\w{1,30})\}/g, (whole, key: string) => (params[key] === undefined || params[key] === null ? whole : String(params[key])));
}
