/**
 * A reply the SMTP entrance sends instead of accepting: smtp-server writes `responseCode` and the
 * message as given, so the message starts with its enhanced status code ("5.7.1 …"). Only these
 * reach the peer; any other error is logged and answered with a fixed text (TRY_AGAIN_LATER).
 */
export class SmtpRefusal extends Error {
  constructor(
    readonly responseCode: number,
    text: string,
  ) {
    super(text);
    this.name = "SmtpRefusal";
  }
}

export const refuse = (code: number, text: string) => new SmtpRefusal(code, text);

/** The one answer to an unknown user, a disabled account, a wrong password and a login from outside the account's IP ranges. */
export const BAD_CREDENTIALS = () => refuse(535, "5.7.8 Authentication credentials invalid");

/** Whatever went wrong on our side: the error goes to the log, the peer hears only this. */
export const TRY_AGAIN_LATER = () => refuse(451, "4.3.0 Could not record the message, try again later");

/** An address of the peer's for a reply: at most 254 characters (no address is longer), so a reply stays one short line. */
export function quoted(address: string): string {
  return `<${address.length > 254 ? `${address.slice(0, 254)}…` : address}>`;
}
