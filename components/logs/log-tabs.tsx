import Link from "next/link";

const tabClass = (active: boolean) =>
  `-mb-px border-b-2 px-3 py-2 ${active ? "border-indigo-600 font-medium text-indigo-700" : "border-transparent text-slate-600 hover:text-slate-900"}`;

/** 操作日志 | 数据投递日志: the two logs of the console, one tab each. */
export function LogTabs({ current, labels }: { current: "operations" | "deliveries"; labels: { operations: string; deliveries: string } }) {
  return (
    <nav className="mb-4 flex flex-wrap items-center gap-1 border-b border-slate-200 text-sm" data-testid="log-tabs">
      <Link className={tabClass(current === "operations")} href="/logs" aria-current={current === "operations" ? "page" : undefined} data-testid="log-tab-operations">
        {labels.operations}
      </Link>
      <Link className={tabClass(current === "deliveries")} href="/logs/deliveries" aria-current={current === "deliveries" ? "page" : undefined} data-testid="log-tab-deliveries">
        {labels.deliveries}
      </Link>
    </nav>
  );
}
