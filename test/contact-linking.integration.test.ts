/**
 * One beneficiary record across channels, never merged on a guess: a number the channel proves joins the
 * beneficiary who gave that mobile in intake; a contact without a proven number stays on its own.
 */
import { eq } from 'drizzle-orm';
import { ingest } from '../src/pipeline/ingest';
import { contacts } from '../src/store/schema';
import { submitRequest } from './support/intake-script';
import { startTestWasl, type TestWasl } from './support/harness';

describe('linking contacts across channels', () => {
  let wasl: TestWasl;
  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'pglite' });
    await submitRequest(wasl.chat('applicant-on-cli'), '1101234563'); // gives mobile 0551234567 in intake
  });
  afterAll(() => wasl?.stop());

  const deps = () => ({ db: wasl.database.db, queues: wasl.queues, log: wasl.server!.log as never });
  const beneficiaryOf = async (channel: string, user: string) =>
    (await wasl.database.db.select().from(contacts).where(eq(contacts.channelUserId, user))).find((c) => c.channel === channel)?.beneficiaryId;

  it('joins a proven number to the beneficiary who gave it in intake', async () => {
    await ingest(deps(), { channel: 'whatsapp', channelUserId: '966551234567@c.us', providerMessageId: 'wa-1', text: 'السلام عليكم', verifiedMobile: '+966551234567' });
    expect(await beneficiaryOf('whatsapp', '966551234567@c.us')).toBe(await beneficiaryOf('cli', 'applicant-on-cli'));
  });

  it('keeps a contact without a proven number apart, even if it types the same mobile', async () => {
    await ingest(deps(), { channel: 'telegram', channelUserId: '777', providerMessageId: 'tg-1', text: '0551234567' });
    expect(await beneficiaryOf('telegram', '777')).not.toBe(await beneficiaryOf('cli', 'applicant-on-cli'));
  });

  it('links an existing empty contact once it shares its own number, and never one with its own requests', async () => {
    await ingest(deps(), { channel: 'telegram', channelUserId: '777', providerMessageId: 'tg-2', text: '', verifiedMobile: '+966551234567' });
    expect(await beneficiaryOf('telegram', '777')).toBe(await beneficiaryOf('cli', 'applicant-on-cli'));

    await submitRequest(wasl.chat('second-applicant'), '2000000006');
    const before = await beneficiaryOf('cli', 'second-applicant');
    await ingest(deps(), { channel: 'cli', channelUserId: 'second-applicant', providerMessageId: 'cli-x', text: 'مرحبا', verifiedMobile: '+966551234567' });
    expect(await beneficiaryOf('cli', 'second-applicant')).toBe(before);
  });
});
