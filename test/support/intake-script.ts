/** Walks a beneficiary through the whole intake with valid answers; returns the reference number. */
import type { TestChat } from './harness';

export async function submitRequest(chat: TestChat, nationalId: string): Promise<string> {
  for (const line of ['السلام عليكم', '1', 'نورة سعد عبدالله الشهري', nationalId, '0551234567', 'جدة', 'الصفا', '4', '1800', '2', '3', 'زوجي متوفى والإيجار متأخر ثلاثة أشهر', 'نعم']) {
    await chat.say(line);
  }
  const submitted = (await chat.say('1')).join('\n');
  const reference = /REQ-\d+/.exec(submitted)?.[0];
  if (!reference) throw new Error(`no reference number in: ${submitted}`);
  await chat.say('لاحقا');
  return reference;
}
