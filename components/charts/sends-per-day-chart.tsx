"use client";

import { Bar } from "recharts";
import { DailyChart, type DailyChartLabels } from "./daily-chart";
import { departmentColour } from "./palette";

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
  labels: DailyChartLabels;
}) {
  const empty = points.every((point) => point.total === 0);
  return (
    <DailyChart kind="bar" testId="chart-sends-per-day" points={points} empty={empty} locale={locale} labels={labels}>
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
    </DailyChart>
  );
}
