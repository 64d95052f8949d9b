import type { EntranceSettings } from "@/lib/gateway/settings";
import type { Messages } from "@/lib/i18n";

/** host:port as a client is told to connect (服务器IP), or null when the entrance is off. */
export function entranceAddress(settings: EntranceSettings, unknownHost: string): string | null {
  if (!settings.enabled || settings.port === null) return null;
  return `${settings.host ?? unknownHost}:${settings.port}`;
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}

/**
 * What a department enters in its group-send client (Foxmail, GroupMail …) to submit through the
 * SMTP entrance: server, port, security, authentication, user and password, and a notice when the
 * entrance is not running on this server.
 */
export function ClientSettings({ settings, words }: { settings: EntranceSettings; words: Messages["smtpAccounts"] }) {
  const rows: [string, string, string][] = [
    [words.host, settings.host ?? words.hostUnknown, "smtp-host"],
    [words.port, settings.port === null ? "—" : String(settings.port), "smtp-port"],
    [words.security, settings.starttls ? words.starttls : words.noTls, "smtp-tls"],
    [words.authentication, words.authenticationValue, "smtp-auth"],
    [words.user, words.userValue, "smtp-user"],
    [words.password, words.passwordValue, "smtp-password-hint"],
    [words.maxSize, megabytes(settings.maxMessageBytes), "smtp-max-size"],
  ];
  return (
    <div className="space-y-3 text-sm" data-testid="smtp-client-settings" data-enabled={settings.enabled}>
      {settings.enabled ? null : (
        <p className="rounded-md bg-amber-50 p-3 text-amber-800 ring-1 ring-amber-200" data-testid="smtp-entrance-off">
          {words.entranceOff}
        </p>
      )}
      <p className="text-slate-600">{words.clientSettingsExplain}</p>
      <dl className="grid gap-x-4 gap-y-0.5 sm:grid-cols-[minmax(6rem,auto)_1fr] sm:gap-y-1.5">
        {rows.map(([label, value, testId]) => (
          <div key={testId} className="contents">
            <dt className="mt-1.5 text-xs text-slate-500 sm:mt-0 sm:text-sm">{label}</dt>
            <dd className={`break-all font-medium text-slate-900 ${!settings.starttls && testId === "smtp-tls" ? "text-amber-700" : ""}`} data-testid={testId}>
              {value}
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
