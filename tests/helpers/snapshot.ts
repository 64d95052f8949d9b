import { sql } from "drizzle-orm";
import { queryRows, type Database } from "@/db/client";

const TABLES = [
  "companies",
  "departments",
  "users",
  "manager_departments",
  "api_keys",
  "audit_log",
  "pools",
  "contacts",
  "pool_members",
  "tags",
  "contact_tags",
  "segments",
  "suppressions",
  "channel_suppressions",
  "imports",
  "import_errors",
  "outbox_messages",
  "sender_domains",
  "senders",
  "templates",
  "template_versions",
  "attachments",
  "settings",
  "tasks",
  "deliveries",
  "delivery_daily",
  "delivery_daily_sender",
  "delivery_daily_failures",
  "delivery_events",
  "task_links",
  "smtp_accounts",
  "signup_forms",
];

// Using a key stamps its last use; that is bookkeeping of the attempt, not a change the call made.
const SNAPSHOT_COLUMNS: Record<string, string> = { api_keys: "id, name, prefix, secret_hash, department_id, created_by, created_at, revoked_at" };

/** Every row of every table a mutation could touch, to prove a refused call changed nothing. */
export async function snapshotState(db: Database): Promise<string> {
  const parts: string[] = [];
  for (const table of TABLES) {
    parts.push(`${table}:${JSON.stringify(await queryRows(db, sql.raw(`select ${SNAPSHOT_COLUMNS[table] ?? "*"} from ${table} order by 1, 2`)))}`);
  }
  return parts.join("\n");
}
