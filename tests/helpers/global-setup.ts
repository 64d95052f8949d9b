import { prepareDatabaseTemplates } from "./database-templates";

/** Once per run, before any worker: the migrated databases that test files copy (database-templates.ts). */
export default async function setup(): Promise<void> {
  await prepareDatabaseTemplates();
}
