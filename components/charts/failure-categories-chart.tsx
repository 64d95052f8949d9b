"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame } from "./chart-frame";
import { CATEGORY_COLOURS, FAILURE_CATEGORIES, shortDate, type FailureCategory } from "./palette";

export type FailureCategoryPoint = { date: string } & Record<FailureCategory, number>;

/** 投递失败统计: failures per day, stacked by bounce category. */
export function FailureCategoriesChart({
  points,
  locale,
  labels,
}: {
  points: FailureCategoryPoint[];
  locale: string;
  labels: { title: string; date: string; messages: string; empty: string; categories: Record<FailureCategory, string> };
}) {
  const empty = points.every((point) => FAILURE_CATEGORIES.every((category) => point[category] === 0));
  const number = (value: unknown) => Number(value ?? 0).toLocaleString(locale);
  return (
    <ChartFrame title={labels.title} testId="chart-failures-per-day" empty={empty} emptyLabel={labels.empty}>
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
          {FAILURE_CATEGORIES.map((category) => (
            <Bar
              key={category}
              name={labels.categories[category]}
              dataKey={category}
              stackId="failed"
              maxBarSize={56}
              fill={CATEGORY_COLOURS[category]}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
