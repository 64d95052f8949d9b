import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { segmentBuilderOptions } from "@/lib/audiences/segments/options";
import { loadSegment } from "@/lib/audiences/segments/store";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { builderOptions } from "../builder-options";
import { SegmentBuilder } from "../segment-builder";

export default consolePage("segments.manage", async function EditSegmentPage(ctx, { params }: { params: Promise<{ id: string }> }) {
  const segment = await loadOrDeny(loadSegment(ctx, (await params).id));
  if (!segment) return <Forbidden message={ctx.t.errors.forbidden} />;
  const options = await segmentBuilderOptions(ctx);
  return (
    <div>
      <PageHeader title={`${ctx.t.segments.edit}: ${segment.name}`} />
      <SegmentBuilder
        segment={{ id: segment.id, departmentId: segment.departmentId, name: segment.name, description: segment.description, rule: segment.rule }}
        options={builderOptions(ctx, options, segment.departmentId)}
      />
    </div>
  );
});
