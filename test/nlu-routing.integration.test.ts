/**
 * Free text routed by its meaning, through the real pipeline (HTTP → queue → engine → outbox), in Saudi
 * dialect: danger and an explicit wish go to a person at once, complaints are recorded and handed over, FAQ
 * questions are answered (and the intake resumed), an unclear message gets one clarifying question and the
 * second goes to a person, and a reference number in a sentence shows that request's status.
 */
import { and, asc, eq } from 'drizzle-orm';
import { conversations, messages } from '../src/store/schema';
import { startTestWasl, type TestChat, type TestWasl } from './support/harness';
import { submitRequest } from './support/intake-script';

const NATIONAL_ID = '1101234563';

describe('free text routed by meaning (pglite)', () => {
  let wasl: TestWasl;
  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'pglite' });
  });
  afterAll(() => wasl?.stop());

  async function conversation(chat: TestChat) {
    const [conv] = await wasl.database.db.select().from(conversations).where(eq(conversations.id, (await chat.conversationId())!));
    return conv!;
  }

  function faqSource(id: string): string {
    const entry = wasl.content.faq.entries.find((e) => e.id === id);
    if (!entry) throw new Error(`the shipped FAQ has no entry "${id}"`);
    return entry.source.ar;
  }

  /** Starts the intake and answers up to the city question (a free-text step). */
  async function intakeUpToCity(chat: TestChat): Promise<void> {
    await chat.say('1');
    await chat.say('سارة علي محمد القحطاني');
    await chat.say(NATIONAL_ID);
    expect((await chat.say('0551234567')).join('\n')).toContain('مدينة');
  }

  it('hands a crisis at idle to a person at once, urgent, with emergency numbers', async () => {
    const chat = wasl.chat();
    const reply = (await chat.say('الحقوني زوجي يضربني وانا خايفه على عيالي')).join('\n');
    expect(reply).toContain('911');
    expect(reply).toContain('1919');
    expect(await conversation(chat)).toMatchObject({ status: 'waiting', handoffPriority: 'urgent', handoffReason: 'urgent' });
  });

  it('hands a crisis told in the middle of the intake (a free-text answer) to a person, urgent', async () => {
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    await intakeUpToCity(chat);
    const reply = (await chat.say('طردنا المؤجر وحنا الحين بالشارع مع الاطفال')).join('\n');
    expect(reply).toContain('911');
    expect(reply).not.toContain('الحي'); // the intake does not go on to the next question
    expect(await conversation(chat)).toMatchObject({ status: 'waiting', handoffPriority: 'urgent' });
  });

  it('gives a person to whoever asks for one', async () => {
    for (const text of ['ابي اكلم موظف', 'ممكن احد من الموظفين يكلمني الله يعافيكم']) {
      const chat = wasl.chat();
      const reply = (await chat.say(text)).join('\n');
      expect(reply).toMatch(/باحث/);
      expect(await conversation(chat)).toMatchObject({ status: 'waiting', handoffReason: 'requested' });
    }
  });

  it('records a complaint told in the first message without asking for it again, and hands it over (high)', async () => {
    const chat = wasl.chat();
    const complaint = 'كل ما اتصل عليكم محد يرد وطلبي له شهرين ما تحرك 😡😡';
    const reply = (await chat.say(complaint)).join('\n');
    expect(reply).toContain('شكواك');
    expect(reply).not.toContain('اكتب شكواك'); // not asked again
    const conv = await conversation(chat);
    expect(conv).toMatchObject({ status: 'waiting', handoffReason: 'complaint', handoffPriority: 'high' });
    const inbound = await wasl.database.db
      .select({ text: messages.text })
      .from(messages)
      .where(and(eq(messages.conversationId, conv.id), eq(messages.direction, 'in')))
      .orderBy(asc(messages.id));
    expect(inbound.map((m) => m.text)).toEqual([complaint]);
  });

  it('asks for the complaint when the first message is only the wish to complain', async () => {
    const chat = wasl.chat();
    expect((await chat.say('ابي اشتكي')).join('\n')).toContain('اكتب شكواك');
    const reply = (await chat.say('الباحث ما رد على اتصالاتي من اسبوعين')).join('\n');
    expect(reply).toContain('شكواك');
    expect(await conversation(chat)).toMatchObject({ status: 'waiting', handoffReason: 'complaint', handoffPriority: 'high' });
  });

  it('answers an FAQ question at idle, naming the source, and stays with the beneficiary', async () => {
    const chat = wasl.chat();
    const reply = (await chat.say('وش الاوراق اللي لازم اجيبها للتسجيل؟')).join('\n');
    expect(reply).toContain(faqSource('required-documents'));
    expect((await conversation(chat)).status).toBe('bot');
  });

  it('answers an FAQ question in the middle of the intake, then asks the same question again', async () => {
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    await chat.say('1');
    expect((await chat.say('نورة سعد عبدالله الشهري')).join('\n')).toContain('الهوية');
    const replies = await chat.say('طيب كم ياخذ الطلب وقت عشان تردون علي؟');
    expect(replies.join('\n')).toContain(faqSource('decision-period'));
    expect(replies.at(-1)).toContain('الهوية'); // the interrupted question, again
    expect((await chat.say(NATIONAL_ID)).join('\n')).toContain('جوال'); // and the intake goes on
  });

  it('asks one clarifying question about an unclear message, and hands the second to a person', async () => {
    const chat = wasl.chat();
    const clarify = (await chat.say('كم سعر الذهب اليوم')).join('\n');
    expect(clarify).toMatch(/لم أفهم/);
    expect(clarify).toMatch(/1\. /); // choices offered
    expect((await conversation(chat)).status).toBe('bot');
    const reply = (await chat.say('ززز ققق')).join('\n');
    expect(reply).toMatch(/باحث/);
    expect(await conversation(chat)).toMatchObject({ status: 'waiting', handoffReason: 'unclear' });
  });

  it('offers the likeliest topic when it half understands; picking it continues there (update-data to a researcher)', async () => {
    const chat = wasl.chat();
    const clarify = (await chat.say('الجوال')).join('\n');
    expect(clarify).toMatch(/لم أفهم/);
    expect(clarify).toMatch(/1\. تحديث بياناتي/);
    expect(clarify).toMatch(/2\. .*باحث/); // a person is always one of the choices
    expect((await chat.say('1')).join('\n')).toContain('ما الذي تغيّر');
    expect((await chat.say('رقم الجوال')).join('\n')).toContain('التفاصيل');
    expect((await chat.say('رقمي الجديد 0559876543')).join('\n')).toContain('سجّلنا');
    // Data changes are verified by staff: the chat goes to a researcher.
    expect(await conversation(chat)).toMatchObject({ status: 'waiting', handoffReason: 'update-data' });
  });

  it('answers an FAQ topic picked from a clarifying question straight away', async () => {
    const chat = wasl.chat();
    const clarify = (await chat.say('ساعدوني')).join('\n');
    expect(clarify).toMatch(/1\. أنواع المساعدات/);
    expect((await chat.say('1')).join('\n')).toContain(faqSource('aid-types'));
    expect((await conversation(chat)).status).toBe('bot');
  });

  it('raises a waiting conversation to urgent when a crisis is told while waiting for a researcher', async () => {
    const chat = wasl.chat();
    await chat.say('ابي اكلم موظف');
    expect((await conversation(chat)).handoffPriority).toBe('normal');
    expect((await chat.say('هل من أحد؟'))).toEqual([]); // waiting: the bot stays silent...
    const reply = (await chat.say('امي طاحت ومغمى عليها وما ترد')).join('\n'); // ...but not about a danger
    expect(reply).toContain('997');
    expect(await conversation(chat)).toMatchObject({ status: 'waiting', handoffPriority: 'urgent' });
  });

  it('shows the status of the beneficiary\'s own request named in a sentence', async () => {
    const chat = wasl.chat();
    const reference = await submitRequest(chat, '2000000006');
    const status = (await chat.say(`السلام عليكم وش صار على طلبي ${reference}`)).join('\n');
    expect(status).toContain(reference);
    expect(status).toContain('استلام'); // the "submitted" label
    expect(status).not.toContain('آخر 4'); // no identity check for one's own request
  });
});
