"use client";

import type { ReactNode } from "react";
import { BarChart, CartesianGrid, Legend, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame } from "./chart-frame";
import { shortDate } from "./palette";

export type DailyChartLabels = { title: string; date: string; messages: string; empty: string };

/**
 * A report's per-day chart in its card: dates along the bottom, messages up the side, a grid, a
 * tooltip and a legend in series order. The caller gives the series (bars or lines) as children.
 */
export function DailyChart({
  kind,
  testId,
  points,
  empty,
  locale,
  labels,
  children,
}: {
  kind: "bar" | "line";
  testId: string;
  points: { date: string }[];
  empty: boolean;
  locale: string;
  labels: DailyChartLabels;
  children: ReactNode;
}) {
  const number = (value: unknown) => Number(value ?? 0).toLocaleString(locale);
  const Chart = kind === "bar" ? BarChart : LineChart;
  return (
    <ChartFrame title={labels.title} testId={testId} empty={empty} emptyLabel={labels.empty}>
      <ResponsiveContainer width="100%" height="100%">
        <Chart data={points} margin={{ top: 4, right: 8, bottom: 20, left: 8 }}>
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
          {children}
        </Chart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
