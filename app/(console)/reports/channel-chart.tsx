"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame } from "@/components/charts/chart-frame";

const SERIES = [
  ["sent", "#4f46e5"],
  ["delivered", "#16a34a"],
  ["failed", "#dc2626"],
  ["opened", "#0891b2"],
  ["replies", "#d97706"],
  ["optOuts", "#475569"],
] as const;

export type ChannelChartPoint = { name: string; sent: number; delivered: number; failed: number; opened: number; replies: number; optOuts: number };

/** The period's figures side by side for each channel (按渠道). */
export function ChannelChart({
  points,
  locale,
  labels,
}: {
  points: ChannelChartPoint[];
  locale: string;
  labels: { title: string; empty: string; series: Record<(typeof SERIES)[number][0], string> };
}) {
  const number = (value: unknown) => Number(value ?? 0).toLocaleString(locale);
  return (
    <ChartFrame title={labels.title} testId="channel-chart" empty={points.length === 0} emptyLabel={labels.empty} height={Math.max(180, 90 + points.length * 70)}>
      <ResponsiveContainer width="100%" height="100%">
        {/* Channels down the side, so the six bars of each stay readable on a phone. */}
        <BarChart data={points} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} stroke="#e2e8f0" />
          <YAxis type="category" dataKey="name" width={72} tick={{ fontSize: 11 }} />
          <XAxis type="number" allowDecimals={false} tick={{ fontSize: 11 }} tickFormatter={number} />
          <Tooltip formatter={number} />
          <Legend verticalAlign="top" height={28} itemSorter={null} wrapperStyle={{ fontSize: 12 }} />
          {SERIES.map(([key, colour]) => (
            <Bar key={key} dataKey={key} name={labels.series[key]} fill={colour} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
