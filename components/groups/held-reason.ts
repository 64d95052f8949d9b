/** Intake's code for why a post waits (lib/groups/intake.ts HeldReason) in the reader's words; a moderator's own reason as it was written. */
export function heldReason(reasons: Record<string, string>, reason: string): string {
  return Object.hasOwn(reasons, reason) ? reasons[reason]! : reason;
}
