"use client";

import { Bar, BarChart, CartesianGrid, Cell, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame } from "./chart-frame";

export type FunnelStage = { key: string; label: string; count: number };

const STAGE_COLOURS = ["#4f46e5", "#0891b2", "#16a34a", "#65a30d", "#d97706"];

/** A task's funnel as horizontal bars, widest (sent) at the top. */
export function FunnelChart({ stages, locale, labels }: { stages: FunnelStage[]; locale: string; labels: { title: string; messages: string; empty: string } }) {
  const empty = stages.every((stage) => stage.count === 0);
  const number = (value: unknown) => Number(value ?? 0).toLocaleString(locale);
  return (
    <ChartFrame title={labels.title} testId="chart-funnel" empty={empty} emptyLabel={labels.empty} height={220}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={stages} layout="vertical" margin={{ top: 4, right: 48, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} stroke="#e2e8f0" />
          <XAxis type="number" allowDecimals={false} tick={{ fontSize: 11 }} tickFormatter={number} />
          <YAxis type="category" dataKey="label" width={96} tick={{ fontSize: 12 }} />
          <Tooltip formatter={number} />
          <Bar dataKey="count" name={labels.messages} isAnimationActive={false}>
            {stages.map((stage, index) => (
              <Cell key={stage.key} fill={STAGE_COLOURS[index % STAGE_COLOURS.length]} />
            ))}
            <LabelList dataKey="count" position="right" formatter={number} fontSize={11} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
