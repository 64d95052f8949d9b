import { defineRoute } from "@/lib/entry/route";
import { exportAddress } from "@/lib/privacy/export";

/** GET ?email=…: everything held about the address as a JSON file (admins only; recorded in the operation log). */
export const GET = defineRoute({
  permission: "privacy.manage",
  auth: "session",
  handle: async (ctx, request) => {
    const exported = await exportAddress(ctx, new URL(request.url).searchParams.get("email") ?? "");
    return new Response(JSON.stringify(exported, null, 2), {
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Disposition": `attachment; filename="personal-data-${exported.exportedAt.slice(0, 10)}.json"`,
        "Cache-Control": "no-store",
      },
    });
  },
});
