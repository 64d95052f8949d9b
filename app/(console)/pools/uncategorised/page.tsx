import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam } from "@/app/(console)/_page/search-params";
import { notFound } from "next/navigation";
import { ContactsView } from "../contacts-view";
import { isUuid } from "@/lib/ids";

export default consolePage("pools.manage", async function UncategorisedPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const query = await searchParams;
  const departmentId = firstParam(query.department) ?? ctx.actor.departmentId;
  if (!departmentId || !isUuid(departmentId)) notFound();
  return (
    <ContactsView
      ctx={ctx}
      scope={{ uncategorised: departmentId }}
      title={ctx.t.pools.uncategorised}
      params={{ q: firstParam(query.q), status: firstParam(query.status), hygiene: firstParam(query.hygiene), cursor: firstParam(query.cursor) }}
      basePath="/pools/uncategorised"
      exportPath="/pools/uncategorised/export"
      fixed={{ department: departmentId }}
    />
  );
});
