import { DataTable } from "@/components/ui/data-table";
import { Td } from "@/components/ui/table";
import type { AutomationStep } from "@/db/schema";
import type { AutomationView } from "@/lib/automations/store";
import { format, type Messages } from "@/lib/i18n";
import { stepInWords, type NameOf } from "../automation-words";

/**
 * Each step as a row of the report: what it does, who waits for it now (a wait runs when it begins,
 * so its contacts wait for the step after it) and how many it has run for;
 * a send's messages with the people who opened and clicked them (and their share of those sent),
 * a branch's answers. A figure a step cannot have is a dash, not a zero.
 */
export function StepFigures({ automation, names, words, locale }: { automation: AutomationView; names: NameOf; words: Messages["automations"]; locale: string }) {
  const columns = words.report.columns;
  const number = (value: number) => value.toLocaleString(locale);
  const percent = new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const withRate = (count: number, sent: number) => (sent === 0 ? number(count) : format(words.report.withRate, { count: number(count), rate: percent.format(count / sent) }));
  const dash = "—";
  const rows = automation.steps.map((step: AutomationStep, index) => ({ step, index, figures: automation.stepFigures[index] ?? { at: 0, ran: 0, sent: 0, opened: 0, clicked: 0, yes: 0, no: 0 } }));
  return (
    <DataTable
      testId="automation-steps"
      columns={[columns.step, columns.what, { label: columns.at, className: "text-right" }, { label: columns.ran, className: "text-right" }, { label: columns.sent, className: "text-right" }, columns.opened, columns.clicked, columns.answers]}
      rows={rows}
      empty={words.none}
    >
      {({ step, index, figures }) => {
        const sends = step.type === "send";
        return (
          <tr key={index} data-testid={`automation-step-${index}`} data-type={step.type}>
            <Td className="font-medium text-slate-900">
              {format(words.step.number, { step: index + 1 })} · {words.step.types[step.type]}
            </Td>
            <Td className="min-w-56 max-w-96 whitespace-normal break-words">{stepInWords(words, step, names)}</Td>
            <Td className="text-right tabular-nums" data-testid={`step-at-${index}`}>{number(figures.at)}</Td>
            <Td className="text-right tabular-nums" data-testid={`step-ran-${index}`}>{number(figures.ran)}</Td>
            <Td className="text-right tabular-nums" data-testid={`step-sent-${index}`}>{sends ? number(figures.sent) : dash}</Td>
            <Td className="tabular-nums" data-testid={`step-opened-${index}`}>{sends ? withRate(figures.opened, figures.sent) : dash}</Td>
            <Td className="tabular-nums" data-testid={`step-clicked-${index}`}>{sends ? withRate(figures.clicked, figures.sent) : dash}</Td>
            <Td className="tabular-nums" data-testid={`step-answers-${index}`}>{step.type === "branch" ? format(words.report.answers, { yes: number(figures.yes), no: number(figures.no) }) : dash}</Td>
          </tr>
        );
      }}
    </DataTable>
  );
}
