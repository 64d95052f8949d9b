"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame } from "./chart-frame";
import { departmentColour, shortDate } from "./palette";

export type SendsPerDayPoint = { date: string; byDepartment: Record<string, number>; total: number };

/** 群发统计: messages sent per day, one stacked segment per department. */
export function SendsPerDayChart({
  departments,
  points,
  locale,
  labels,
}: {
  departments: string[];
  points: SendsPerDayPoint[];
  locale: string;
  labels: { title: string; date: string; messages: string; empty: string };
}) {
  const empty = points.every((point) => point.total === 0);
  const number = (value: unknown) => Number(value ?? 0).toLocaleString(locale);
  return (
    <ChartFrame title={labels.title} testId="chart-sends-per-day" empty={empty} emptyLabel={labels.empty}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={points} margin={{ top: 4, right: 8, bottom: 20, left: 8 }}>
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
          {departments.map((name) => (
            <Bar
              key={name}
              name={name}
              dataKey={(point: SendsPerDayPoint) => point.byDepartment[name] ?? 0}
              stackId="sent"
              maxBarSize={56}
              fill={departmentColour(name)}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
