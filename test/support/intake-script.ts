/** Walks a beneficiary through the intake with valid answers. */
import type { TestChat } from './harness';

/** Every question answered, up to the attestation the beneficiary is asked to accept; returns that prompt. */
export async function answerUntilAttestation(chat: TestChat, nationalId: string): Promise<string> {
  let last: string[] = [];
  for (const line of ['السلام عليكم', '1', 'نورة سعد عبدالله الشهري', nationalId, '0551234567', 'جدة', 'الصفا', '4', '1800', '2', '3', 'زوجي متوفى والإيجار متأخر ثلاثة أشهر', 'نعم']) {
    last = await chat.say(line);
  }
  return last.join('\n');
}

/** The whole intake, attestation accepted; returns the reference number. */
export async function submitRequest(chat: TestChat, nationalId: string): Promise<string> {
  await answerUntilAttestation(chat, nationalId);
  const submitted = (await chat.say('1')).join('\n');
  const reference = /REQ-\d+/.exec(submitted)?.[0];
  if (!reference) throw new Error(`no reference number in: ${submitted}`);
  await chat.say('لاحقا');
  return reference;
}
