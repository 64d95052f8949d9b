"use client";

import { Bar, BarChart, CartesianGrid, Cell, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame } from "./chart-frame";

/** One variant's bar: its name, its rate (0–1) and that rate as the page words it; `chosen`: the one the rest get. */
export type AbRateBar = { name: string; rate: number; label: string; chosen: boolean };

/** Up to the next tenth above the highest rate (with room for its label), 10% at least and 100% at most. */
const topOfScale = (highest: number) => Math.min(1, Math.max(0.1, Math.ceil(highest * 12) / 10));

const CHOSEN = "#16a34a";
const OTHER = "#4f46e5";

/** An A/B test's variants side by side by the rate of its metric, the variant sent to the rest in green. */
export function AbRatesChart({ bars, empty, locale, labels }: { bars: AbRateBar[]; empty: boolean; locale: string; labels: { title: string; rate: string; empty: string } }) {
  const axisPercent = (value: unknown) => new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(Number(value ?? 0));
  return (
    <ChartFrame title={labels.title} testId="chart-ab-rates" empty={empty} emptyLabel={labels.empty} height={220}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={bars} margin={{ top: 20, right: 8, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
          <XAxis dataKey="name" tick={{ fontSize: 12 }} />
          <YAxis tick={{ fontSize: 11 }} tickFormatter={axisPercent} width={44} domain={[0, topOfScale]} />
          <Tooltip formatter={(_value, _name, item) => [(item.payload as AbRateBar).label, labels.rate]} />
          <Bar dataKey="rate" name={labels.rate} maxBarSize={72} isAnimationActive={false}>
            {bars.map((bar) => (
              <Cell key={bar.name} fill={bar.chosen ? CHOSEN : OTHER} />
            ))}
            <LabelList dataKey="label" position="top" fontSize={11} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
