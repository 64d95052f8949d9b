import { sql } from "drizzle-orm";
import { queryRows, type Database } from "@/db/client";

const TABLES = ["companies", "departments", "users", "manager_departments", "api_keys", "audit_log"];

/** Every row of every table a mutation could touch, to prove a refused call changed nothing. */
export async function snapshotState(db: Database): Promise<string> {
  const parts: string[] = [];
  for (const table of TABLES) {
    parts.push(`${table}:${JSON.stringify(await queryRows(db, sql.raw(`select * from ${table} order by 1`)))}`);
  }
  return parts.join("\n");
}
