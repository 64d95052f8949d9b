/**
 * The notes Fanout itself writes on a suppression (a person's own note is theirs and stays as
 * typed). They are stored in English, as the API gives them; the console says each in the
 * reader's language (t.suppressions.systemNotes) by finding the stored text here.
 */
export const SYSTEM_SUPPRESSION_NOTES = {
  bouncedWhenSent: "Bounced when sent",
  bouncedAfterSending: "Bounced after sending",
  markedAsSpam: "Marked as spam by the recipient",
  unsubscribedOnPage: "From a message (unsubscribe page)",
  unsubscribedOneClick: "From a message (one-click from the mail client)",
  unsubscribedByMail: "From a message (by mail)",
} as const;

export type SystemSuppressionNote = keyof typeof SYSTEM_SUPPRESSION_NOTES;

/** The key of a note Fanout wrote, or null for a person's own note. */
export function systemNoteKey(note: string): SystemSuppressionNote | null {
  const found = Object.entries(SYSTEM_SUPPRESSION_NOTES).find(([, text]) => text === note);
  return found ? (found[0] as SystemSuppressionNote) : null;
}
