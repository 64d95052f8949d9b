import type { PageContext } from "@/app/(console)/_page/console-page";
import { AbRatesChart } from "@/components/charts/ab-rates-chart";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { Td } from "@/components/ui/table";
import type { TaskStatus } from "@/db/schema";
import { MIN_SENT } from "@/lib/campaigns/ab-winner";
import { format, type Messages } from "@/lib/i18n";
import type { AbReport } from "@/lib/sending/ab-test-actions";
import { formatInZone } from "@/lib/time/zone";
import { abSettingsLine, variantChanges, variantName } from "../ab-test-form";
import { verdictNumbers, verdictSentence } from "./ab-test-verdict";
import { AbWinnerButtons } from "./ab-winner-buttons";
import { RefreshEvery } from "./refresh-every";

/** How often the page is drawn again while the test share or the rest is being sent, and while a sent test waits (opens and clicks come in slowly). */
const SENDING_REFRESH_MS = 3_000;
const WAITING_REFRESH_MS = 30_000;

/** Where the test stands, in a sentence. */
function phaseSentence(words: Messages["tasks"]["abTest"], report: AbReport, status: TaskStatus, statusWord: string, when: (iso: string) => string): string {
  const { config } = report;
  const share = { share: config.sharePercent, variants: config.variants.length };
  if (report.decision) return format(words.phases.decided, { at: when(report.decision.at) });
  if (status === "scheduled") return format(words.phases.notStarted, share);
  if (status !== "sending" && status !== "paused") return format(words.phases.stopped, { status: statusWord });
  if (report.phase === "waiting" && report.testSentAt && report.decideAt) {
    return format(config.winnerBy === "hand" ? words.phases.waitingHand : words.phases.waitingRule, { at: when(report.testSentAt), decideAt: when(report.decideAt) });
  }
  return format(words.phases.testing, share);
}

/**
 * A task's A/B test: where it stands, each variant's figures in a table and as a chart of the
 * metric's rate, the rule's verdict in words, and once decided who chose and what the rest got.
 * While a sent test waits, someone who may manage tasks can send a variant to the rest by hand.
 */
export function AbTestCard({ ctx, report, task, canManage }: { ctx: PageContext; report: AbReport; task: { id: string; status: TaskStatus; sent: number }; canManage: boolean }) {
  const { t, locale, timeZone } = ctx;
  const words = t.tasks.abTest;
  const { config, tallies, verdict, decision } = report;
  const when = (iso: string) => formatInZone(new Date(iso), timeZone);
  const number = (value: number) => value.toLocaleString(locale);
  const numbers = verdictNumbers(locale);
  const rates = tallies.map((tally) => (tally.sent === 0 ? 0 : (config.metric === "opens" ? tally.opened : tally.clicked) / tally.sent));
  // The rule's leader wins ties by coming first; a person is told of a lead only where there is one.
  const leading = verdict && rates.filter((rate) => rate === rates[verdict.leader]).length === 1 ? verdict.leader : null;
  const sending = task.status === "sending";
  const waitingForChoice = sending && report.phase === "waiting" && report.testSentAt !== null;
  const refreshMs = !sending ? null : waitingForChoice ? WAITING_REFRESH_MS : SENDING_REFRESH_MS;
  // Everything sent beyond the test share's rows went to the rest.
  const restSent = Math.max(0, task.sent - tallies.reduce((sum, tally) => sum + tally.sent, 0));
  const chosenBy = decision?.chosenBy;

  return (
    <Card title={words.title} testId="ab-test-card">
      {refreshMs ? <RefreshEvery ms={refreshMs} /> : null}
      <div className="space-y-4">
        <div className="space-y-1">
          <p className="text-sm text-slate-900" data-testid="ab-phase" data-phase={decision ? "decided" : (report.phase ?? "")} data-test-sent={report.testSentAt ? "true" : "false"}>
            {phaseSentence(words, report, task.status, t.tasks.statuses[task.status], when)}
          </p>
          <p className="text-xs text-slate-500" data-testid="ab-settings">
            {abSettingsLine(words, config)}
          </p>
        </div>
        <DataTable
          testId="ab-variants"
          columns={[words.columns.variant, words.columns.changes, words.columns.sent, words.columns.opened, words.columns.clicked, words.rateColumns[config.metric]]}
          rows={config.variants.map((_, index) => index)}
          empty={t.common.noRows}
        >
          {(index) => {
            const letter = variantName(index);
            const tally = tallies[index] ?? { sent: 0, opened: 0, clicked: 0 };
            return (
              <tr key={letter} data-testid={`ab-row-${letter}`}>
                <Td className="font-medium text-slate-900">
                  <span className="flex items-center gap-1.5">
                    {letter}
                    {decision?.chosen === index ? <Badge tone="green">{words.toTheRest}</Badge> : null}
                    {!decision && leading === index ? <Badge tone="indigo">{words.leading}</Badge> : null}
                  </span>
                </Td>
                <Td className="min-w-48 max-w-72 whitespace-normal break-words text-xs">{variantChanges(words, config.variants[index] ?? {})}</Td>
                <Td className="tabular-nums" data-testid={`ab-sent-${letter}`}>{number(tally.sent)}</Td>
                <Td className="tabular-nums" data-testid={`ab-opened-${letter}`}>{number(tally.opened)}</Td>
                <Td className="tabular-nums" data-testid={`ab-clicked-${letter}`}>{number(tally.clicked)}</Td>
                <Td className="tabular-nums" data-testid={`ab-rate-${letter}`}>{tally.sent === 0 ? t.common.none : numbers.rate(rates[index] ?? 0)}</Td>
              </tr>
            );
          }}
        </DataTable>
        <AbRatesChart
          bars={rates.map((rate, index) => ({ name: format(words.variant, { variant: variantName(index) }), rate, label: numbers.rate(rate), chosen: decision?.chosen === index }))}
          empty={tallies.every((tally) => tally.sent === 0)}
          locale={locale}
          labels={{ title: words.chartTitles[config.metric], rate: words.rateColumns[config.metric], empty: words.chartEmpty }}
        />
        {verdict ? (
          <div className="space-y-0.5" data-testid="ab-verdict" data-reason={verdict.reason} data-winner={variantName(verdict.winner)}>
            <p className="text-xs font-medium text-slate-500">{decision ? words.verdictFinal : words.verdictSoFar}</p>
            <p className="text-sm text-slate-900">{verdictSentence(words, verdict, config.metric, MIN_SENT, locale)}</p>
          </div>
        ) : null}
        {decision && chosenBy ? (
          <div className="space-y-0.5 text-sm" data-testid="ab-decision">
            <p className="font-medium text-slate-900" data-testid="ab-chosen" data-chosen={variantName(decision.chosen)} data-by={chosenBy === "rule" ? "rule" : "hand"}>
              {chosenBy === "rule"
                ? format(words.chosenByRule, { at: when(decision.at), variant: variantName(decision.chosen) })
                : format(words.chosenByHand, { label: chosenBy.label, at: when(decision.at), variant: variantName(decision.chosen) })}
            </p>
            {decision.chosen !== decision.rule.winner ? (
              <p className="text-slate-600" data-testid="ab-rule-differed">
                {format(words.ruleDiffered, { variant: variantName(decision.rule.winner) })}
              </p>
            ) : null}
            <p className="text-slate-600" data-testid="ab-rest-sent" data-count={restSent}>
              {format(words.restSent, { count: number(restSent) })}
            </p>
          </div>
        ) : null}
        {canManage && waitingForChoice ? <AbWinnerButtons taskId={task.id} variants={config.variants.length} /> : null}
        {canManage && !decision && !waitingForChoice && config.winnerBy === "hand" && (sending || task.status === "paused") ? (
          <p className="text-xs text-slate-600" data-testid="ab-choose-later">
            {words.chooseLater}
          </p>
        ) : null}
      </div>
    </Card>
  );
}
