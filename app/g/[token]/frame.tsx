import Link from "next/link";
import type { ReactNode } from "react";
import type { Hosted } from "./hosted";

/** The page around a member's archive: its language, a switch to the other one, and the "no access" notice when the link does not open it. */
export function HostedFrame({ hosted, switchHref, children }: { hosted: Hosted; switchHref: string; children?: ReactNode }) {
  const words = hosted.t.groupArchive;
  const opened = hosted.opened;
  return (
    <main lang={hosted.locale} className="mx-auto w-full max-w-3xl space-y-4 px-4 py-8">
      <div className="flex justify-end">
        <Link className="text-sm text-indigo-700 hover:underline" href={switchHref} data-testid="group-archive-language">
          {words.language}
        </Link>
      </div>
      {opened === null || opened === "limited" ? (
        <div className="space-y-3 rounded-lg bg-white p-6 text-center shadow-sm ring-1 ring-slate-200" data-testid="group-archive-no-access">
          <h1 className="text-lg font-semibold">{words.noAccessTitle}</h1>
          <p className="text-sm text-slate-700">{opened === "limited" ? words.tooMany : words.noAccess}</p>
        </div>
      ) : (
        children
      )}
    </main>
  );
}
