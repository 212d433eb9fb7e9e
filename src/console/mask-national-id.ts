/** National IDs are shown as `******4563` unless a supervisor reveals them (which is audited). */
import type { Sealer } from '../identity/sealed-value';

export function maskNationalId(sealer: Sealer, sealed: string | null | undefined): string {
  if (!sealed) return '';
  try {
    const plain = sealer.open(sealed);
    return `${'*'.repeat(Math.max(0, plain.length - 4))}${plain.slice(-4)}`;
  } catch {
    // A value sealed with another key: say so rather than fail the whole page.
    return '(sealed)';
  }
}
