import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { Notification } from "@/db/schema";
import { en } from "@/lib/i18n/en";
import { zh } from "@/lib/i18n/zh";
import { publicBaseUrl, sendSystemMessage } from "@/lib/transports/system-mail";
import { describeNotification } from "./wording";

type Pending = Pick<Notification, "id" | "departmentId" | "kind" | "params" | "link">;

/**
 * Sends the e-mail copies of notifications not yet sent to the users who asked for them (admins
 * for every notification; a department's users for their department's), through the system's
 * transport, in both languages. Notifications are taken first (emailed_at set), so two callers
 * never send the same one twice; one lost in a crash between the two is lost by e-mail only.
 */
export async function sendNotificationEmails(db: Executor): Promise<number> {
  const taken = await queryRows<{ id: string; department_id: string | null; kind: Notification["kind"]; params: Notification["params"]; link: string }>(
    db,
    sql`update notifications set emailed_at = now()
        where id in (select id from notifications where emailed_at is null order by created_at limit 50 for update skip locked)
        returning id, department_id, kind, params, link`,
  );
  let sent = 0;
  for (const row of taken) {
    const notification: Pending = { id: row.id, departmentId: row.department_id, kind: row.kind, params: row.params, link: row.link };
    const readers = await queryRows<{ email: string }>(
      db,
      sql`select u.email from users u join notification_preferences p on p.user_id = u.id
          where p.email and not u.disabled and (u.role = 'admin' or (u.role = 'department' and u.department_id = ${notification.departmentId}))
          order by u.email`,
    );
    for (const reader of readers) {
      await sendSystemMessage(db, { departmentId: notification.departmentId, kind: "notification", to: reader.email, ...mailOf(notification) })
        .then(() => sent++)
        .catch(() => undefined);
    }
  }
  return sent;
}

function mailOf(notification: Pending) {
  const english = describeNotification(en.notifications, notification);
  const chinese = describeNotification(zh.notifications, notification);
  const url = new URL(notification.link, publicBaseUrl()).toString();
  const text = `${english}\n${url}\n\n${chinese}\n${url}\n`;
  const escape = (value: string) => value.replace(/[&<>"]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char]!);
  const html = `<p>${escape(english)}</p><p>${escape(chinese)}</p><p><a href="${escape(url)}">${escape(url)}</a></p>`;
  return { subject: en.notifications.emailSubject.replace("{title}", english.slice(0, 120)), text, html };
}
