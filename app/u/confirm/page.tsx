import { getMessages } from "@/lib/i18n/server";
import { ConfirmButton } from "./confirm-button";

/** The link in a double opt-in message. A GET only shows the button: mail scanners that fetch links confirm nothing. */
export default async function ConfirmSubscriptionPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { locale } = await getMessages();
  const token = (await searchParams).token;
  const zh = locale === "zh-CN";
  return (
    <main className="flex min-h-full items-center justify-center px-4 py-16">
      <div className="w-full max-w-md space-y-4 rounded-lg bg-white p-6 text-center shadow-sm ring-1 ring-slate-200">
        <h1 className="text-lg font-semibold">{zh ? "确认订阅" : "Confirm your subscription"}</h1>
        {typeof token === "string" && token ? (
          <ConfirmButton token={token} labels={zh ? { confirm: "确认订阅", done: "已确认，感谢订阅。", invalid: "链接无效或已过期。" } : { confirm: "Confirm", done: "Confirmed. Thank you for subscribing.", invalid: "This link is invalid or has expired." }} />
        ) : (
          <p className="text-sm text-red-600">{zh ? "链接无效或已过期。" : "This link is invalid or has expired."}</p>
        )}
      </div>
    </main>
  );
}
