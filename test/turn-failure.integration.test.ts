/**
 * A turn that throws, in a drain of several messages (drain-conversation.ts): the drain first runs every turn
 * without savepoints, aborts when one throws, and runs again with each turn isolated. Proven here with the real
 * pipeline on PostgreSQL: the database refuses the application the intake flow writes (a trigger the test
 * installs, standing in for a broken constraint or a full disk) while a second message waits behind it in the
 * same drain. The failing turn's writes are undone and the beneficiary is told once; the message after it is
 * answered as usual; nothing is lost or sent twice, and the chat goes on working.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { messages, requests } from '../src/store/schema';
import { startTestWasl, type TestWasl } from './support/harness';
import { answerUntilAttestation, submitRequest } from './support/intake-script';

const NATIONAL_ID = '1101234563';

describe('a turn the database refuses, with another message behind it in the same drain (PostgreSQL)', () => {
  let web: TestWasl;
  let engine: TestWasl | undefined;
  const startEngine = () => startTestWasl({ db: { url: web.databaseUrl! }, prefix: web.prefix, roles: 'engine' });

  beforeAll(async () => {
    // Messages come in and replies go out here; the engine runs as an instance of its own, so the test can
    // stop it and let two messages wait for one drain.
    web = await startTestWasl({ db: 'postgres', roles: 'web,outbound' });
    engine = await startEngine();
  });
  afterAll(async () => {
    await engine?.stop();
    await web?.stop();
  });

  it('undoes the failed turn, apologises once, answers the next message and keeps the chat usable', async () => {
    const db = web.database.db;
    const chat = web.chat();
    expect(await answerUntilAttestation(chat, NATIONAL_ID)).toContain('أقر');

    await engine!.stop();
    engine = undefined;
    await db.execute(sql`
      create function wasl_test_refuse_request() returns trigger language plpgsql as $$
      begin raise exception 'the test refuses every new request'; end $$`);
    await db.execute(sql`create trigger wasl_test_refuse before insert on requests for each row execute function wasl_test_refuse_request()`);

    // The attestation accepted (its action writes the request) and a message right behind it, both waiting.
    expect(await chat.post('1')).toBe(202);
    expect(await chat.post('القائمة')).toBe(202);
    const conversationId = (await chat.conversationId())!;
    const waiting = await db
      .select({ id: messages.id, text: messages.text })
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, 'in'), eq(messages.status, 'received')))
      .orderBy(asc(messages.seq));
    expect(waiting.map((m) => m.text)).toEqual(['1', 'القائمة']);

    engine = await startEngine();
    const replies = await chat.replies(30_000);
    const apology = web.content.templates.render('common.internal-error', 'ar', { hotline: web.content.organisation.hotline });
    expect(replies[0]).toBe(apology);
    expect(replies.filter((r) => r === apology)).toHaveLength(1);
    // The second message was answered on its own merits: «القائمة» brings the main menu.
    expect(replies.slice(1).join('\n')).toMatch(/1\. تقديم طلب/);

    const byId = async (id: number) => (await db.select().from(messages).where(eq(messages.id, id)))[0];
    const failed = await byId(waiting[0]!.id);
    const after = await byId(waiting[1]!.id);
    expect(failed).toMatchObject({ status: 'processed', error: 'turn failed' });
    expect(after).toMatchObject({ status: 'processed', error: null });
    // The refused turn left nothing behind: no request, and no reply of its own besides the apology.
    expect(await db.select({ id: requests.id }).from(requests)).toHaveLength(0);
    const out = await db.select().from(messages).where(and(eq(messages.conversationId, conversationId), eq(messages.direction, 'out')));
    expect(out.every((m) => m.status === 'sent')).toBe(true);
    expect(out.some((m) => m.text?.includes('REQ-'))).toBe(false);

    // Once the database accepts requests again, the same beneficiary applies from the start and gets a reference.
    await db.execute(sql`drop trigger wasl_test_refuse on requests`);
    expect(await submitRequest(chat, NATIONAL_ID)).toMatch(/REQ-\d{5,}/);
    expect(await db.select({ id: requests.id }).from(requests)).toHaveLength(1);
  }, 120_000);
});
