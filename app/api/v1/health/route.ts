import { definePublicRoute, json } from "@/lib/entry/public-route";
import packageJson from "@/package.json";

export const GET = definePublicRoute({ handle: () => json({ ok: true, version: packageJson.version }) });
