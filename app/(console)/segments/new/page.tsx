import { PageHeader } from "@/components/ui/page-header";
import { segmentBuilderOptions } from "@/lib/audiences/segments/options";
import { consolePage } from "@/app/(console)/_page/console-page";
import { builderOptions } from "../builder-options";
import { SegmentBuilder } from "../segment-builder";

export default consolePage("segments.manage", async function NewSegmentPage(ctx) {
  const options = await segmentBuilderOptions(ctx);
  return (
    <div>
      <PageHeader title={ctx.t.segments.new} />
      <SegmentBuilder segment={null} options={builderOptions(ctx, options)} />
    </div>
  );
});
