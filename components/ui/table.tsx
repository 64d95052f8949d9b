import type { ReactNode, TdHTMLAttributes, ThHTMLAttributes } from "react";
import { formatInZone } from "@/lib/time/zone";
import { ScrollArea } from "./scroll-area";

/**
 * Below md a row's actions (its last cell, when that holds a button) stay pinned to the right edge
 * while the rest of a wide table scrolls under them, so they never fall off a phone's screen.
 */
const PIN_ACTIONS = [
  "max-md:[&_td:last-child:has(button)]:sticky max-md:[&_td:last-child:has(button)]:right-0 max-md:[&_td:last-child:has(button)]:bg-white",
  "max-md:[&_td:last-child:has(button)]:shadow-[-8px_0_8px_-8px_rgb(15_23_42/0.25)]",
  "max-md:[&:has(td:last-child_button)_th:last-child]:sticky max-md:[&:has(td:last-child_button)_th:last-child]:right-0",
].join(" ");

/** A table in its own card; wider than the card, it scrolls inside it rather than widen the page (and the card is then a tab stop). */
export function Table({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <ScrollArea className="overflow-x-auto rounded-lg bg-white ring-1 ring-slate-200 focus-visible:outline-2 focus-visible:outline-indigo-600">
      <table className={`min-w-full divide-y divide-slate-200 text-sm ${PIN_ACTIONS}`} data-testid={testId}>
        {children}
      </table>
    </ScrollArea>
  );
}

export function Th({ className = "", ...props }: ThHTMLAttributes<HTMLTableCellElement>) {
  return (
    <th
      {...props}
      className={`bg-slate-50 px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500 ${className}`}
    />
  );
}

export function Td({ className = "", ...props }: TdHTMLAttributes<HTMLTableCellElement>) {
  return <td {...props} className={`whitespace-nowrap px-3 py-2 text-slate-700 ${className}`} />;
}

export function EmptyRow({ colSpan, children }: { colSpan: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={colSpan} className="px-3 py-6 text-center text-sm text-slate-500">
        {children}
      </td>
    </tr>
  );
}

/** A moment shown in the console's time zone; `none` stands in when there is no moment. */
export function TimeCell({ at, timeZone, none }: { at: Date | string | null; timeZone: string; none?: string }) {
  return <Td className="tabular-nums">{at ? formatInZone(new Date(at), timeZone) : none}</Td>;
}
