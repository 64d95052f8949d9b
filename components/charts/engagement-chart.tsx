"use client";

import { Line } from "recharts";
import { DailyChart, type DailyChartLabels } from "./daily-chart";
import { ENGAGEMENT_COLOURS } from "./palette";

export type EngagementPoint = {
  date: string;
  opened: number;
  clicked: number;
  machineOpened: number;
  machineClicked: number;
};

const SERIES = [
  { key: "opened", colour: ENGAGEMENT_COLOURS.opened, dashed: false },
  { key: "clicked", colour: ENGAGEMENT_COLOURS.clicked, dashed: false },
  { key: "machineOpened", colour: ENGAGEMENT_COLOURS.opened, dashed: true },
  { key: "machineClicked", colour: ENGAGEMENT_COLOURS.clicked, dashed: true },
] as const;

/** Opens and clicks per day: people as solid lines, likely machines (prefetchers, link scanners) dashed. */
export function EngagementChart({
  points,
  locale,
  labels,
}: {
  points: EngagementPoint[];
  locale: string;
  labels: DailyChartLabels & { opened: string; clicked: string; machineOpened: string; machineClicked: string };
}) {
  const empty = points.every((point) => SERIES.every((series) => point[series.key] === 0));
  return (
    <DailyChart kind="line" testId="chart-engagement" points={points} empty={empty} locale={locale} labels={labels}>
      {SERIES.map((series) => (
        <Line
          key={series.key}
          type="monotone"
          name={labels[series.key]}
          dataKey={series.key}
          stroke={series.colour}
          strokeWidth={2}
          strokeDasharray={series.dashed ? "5 4" : undefined}
          dot={points.length <= 14 ? { r: 3 } : false}
          isAnimationActive={false}
        />
      ))}
    </DailyChart>
  );
}
