"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame } from "./chart-frame";
import { ENGAGEMENT_COLOURS, shortDate } from "./palette";

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
  labels: { title: string; date: string; messages: string; empty: string; opened: string; clicked: string; machineOpened: string; machineClicked: string };
}) {
  const empty = points.every((point) => SERIES.every((series) => point[series.key] === 0));
  const number = (value: unknown) => Number(value ?? 0).toLocaleString(locale);
  return (
    <ChartFrame title={labels.title} testId="chart-engagement" empty={empty} emptyLabel={labels.empty}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ top: 4, right: 8, bottom: 20, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
          <XAxis
            dataKey="date"
            tickFormatter={shortDate}
            tick={{ fontSize: 11 }}
            label={{ value: labels.date, position: "insideBottom", offset: -12, fontSize: 11, fill: "#64748b" }}
          />
          <YAxis
            allowDecimals={false}
            tick={{ fontSize: 11 }}
            tickFormatter={number}
            label={{ value: labels.messages, angle: -90, position: "insideLeft", fontSize: 11, fill: "#64748b" }}
          />
          <Tooltip formatter={number} />
          <Legend verticalAlign="top" height={28} itemSorter={null} wrapperStyle={{ fontSize: 12 }} />
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
        </LineChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
