import { CONTACT_STATUSES, type ContactStatus } from "@/db/schema";
import { csvResponse } from "@/lib/csv/write";
import { AppError } from "@/lib/errors";
import { defineRoute } from "@/lib/entry/route";
import { exportContacts } from "@/lib/pools/export";
import { HYGIENE_FLAGS } from "@/lib/pools/hygiene/flags";
import { isUuid } from "@/lib/ids";

export const GET = defineRoute({
  permission: "pools.manage",
  auth: "session",
  handle: async (ctx, request) => {
    const params = new URL(request.url).searchParams;
    const departmentId = params.get("department") ?? ctx.actor.departmentId;
    if (!departmentId || !isUuid(departmentId)) throw new AppError("invalid_input", "uncategorisedNeedsDepartment", { field: "departmentId" });
    const status = params.get("status");
    const lines = await exportContacts(ctx, { uncategorised: departmentId }, {
      q: params.get("q") ?? undefined,
      status: (CONTACT_STATUSES as readonly string[]).includes(status ?? "") ? (status as ContactStatus) : undefined,
      hygiene: HYGIENE_FLAGS.find((flag) => flag === params.get("hygiene")),
    });
    return csvResponse(lines, "uncategorised.csv");
  },
});
