"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame } from "./chart-frame";

/** One step's bar: its label ("2 · Wait"), the contacts it has been run for and those waiting for it now. */
export type AutomationStepBar = { label: string; ran: number; at: number };

const RAN = "#4f46e5";
const AT = "#f59e0b";

/** An automation's funnel: a bar a step, top to bottom, of contacts through it and, stacked on, those waiting for it. */
export function AutomationStepsChart({ steps, locale, labels }: { steps: AutomationStepBar[]; locale: string; labels: { title: string; ran: string; at: string; empty: string } }) {
  const empty = steps.every((step) => step.ran === 0 && step.at === 0);
  const number = (value: unknown) => Number(value ?? 0).toLocaleString(locale);
  // Room for each bar and its label: the chart grows with the steps rather than squeezing them.
  const height = Math.max(160, steps.length * 34 + 60);
  return (
    <ChartFrame title={labels.title} testId="chart-automation-steps" empty={empty} emptyLabel={labels.empty} height={height}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={steps} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} stroke="#e2e8f0" />
          <XAxis type="number" allowDecimals={false} tick={{ fontSize: 11 }} tickFormatter={number} />
          <YAxis type="category" dataKey="label" width={88} tick={{ fontSize: 12 }} />
          <Tooltip formatter={number} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="ran" name={labels.ran} stackId="step" fill={RAN} isAnimationActive={false} />
          <Bar dataKey="at" name={labels.at} stackId="step" fill={AT} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
