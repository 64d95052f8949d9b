"use client";

import { Bar } from "recharts";
import { DailyChart, type DailyChartLabels } from "./daily-chart";
import { CATEGORY_COLOURS, FAILURE_CATEGORIES, type FailureCategory } from "./palette";

export type FailureCategoryPoint = { date: string } & Record<FailureCategory, number>;

/** 投递失败统计: failures per day, stacked by bounce category. */
export function FailureCategoriesChart({
  points,
  locale,
  labels,
}: {
  points: FailureCategoryPoint[];
  locale: string;
  labels: DailyChartLabels & { categories: Record<FailureCategory, string> };
}) {
  const empty = points.every((point) => FAILURE_CATEGORIES.every((category) => point[category] === 0));
  return (
    <DailyChart kind="bar" testId="chart-failures-per-day" points={points} empty={empty} locale={locale} labels={labels}>
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
    </DailyChart>
  );
}
