/**
 * Whatever a beneficiary types at a question — Arabic and Arabic-Indic digits, emoji, controls, bidi marks,
 * injection strings — the engine accepts a valid value or re-asks politely with a template; it never throws
 * and never keeps an invalid answer.
 * - Every `ask` of every flow, through `checkAnswer` (the engine's own check), with many inputs each, against
 *   validity rules written out again here (Luhn for national ids, E.164 for mobiles, ranges, options).
 * - The intake flow end to end through the terminal channel: a hostile answer at each question, then the
 *   valid one; the stored state after each turn holds only valid answers, and the request is submitted.
 */
import path from 'node:path';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { loadContent } from '../../src/content/load-content';
import { parseConversationState } from '../../src/engine/conversation-state';
import { checkAnswer } from '../../src/engine/expectations';
import type { Expectation } from '../../src/engine/flow-schema';
import { conversations, requests } from '../../src/store/schema';
import { toStorableText } from '../../src/text/storable-text';
import { projectRoot, startTestWasl, type TestChat, type TestWasl } from '../support/harness';
import { AbuseReport } from './support/abuse-report';
import { announceSeed, ARABIC, EMOJI, fuzzParams, hostileText } from './support/hostile-strings';

const report = new AbuseReport('Flow answers (every ask expectation)');
const content = loadContent({ flowsDir: path.join(projectRoot, 'flows'), templatesDir: path.join(projectRoot, 'templates'), displayRoot: projectRoot });
beforeAll(() => announceSeed('flow-answers.abuse'));
afterAll(() => report.print());

/** Answers people actually type at these questions, mixed with the hostile vocabulary. */
const answer = fc.oneof(
  hostileText(4),
  fc.constantFrom(...ARABIC, ...EMOJI, '1000000008', '١٠٠٠٠٠٠٠٠٨', '1000000000', '2345678904', '05 0123 4567', '+966501234567', '0111234567', '٥ افراد', 'خمسة', 'خمسة وعشرين', '12,500 ريال', '-3', '1e5', '3.5', '2024-02-30', '1446/9/1', '01/01/2020', 'REQ-10001', 'نورة الشهري', 'x', 'نعم', 'لا'),
  fc.tuple(fc.constantFrom('\u200F', '\u202E', '\u200B', '\u0660', ' '), fc.constantFrom('0501234567', '1000000008', '5', 'نعم')).map(([mark, s]) => [...s].join(mark)),
);

/** Is `value` a valid answer to `expect`? Written independently of the engine's parsers. */
function isValidAnswer(expect: Expectation, value: string | number): boolean {
  switch (expect.kind) {
    case 'text': {
      const len = [...String(value)].length;
      return typeof value === 'string' && len >= expect.minLength && len <= expect.maxLength && value === value.trim();
    }
    case 'name':
      return typeof value === 'string' && value.split(' ').length >= 2 && !/[0-9\u0660-\u0669<>{}]/.test(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && value >= expect.min && value <= expect.max && (!expect.integer || Number.isInteger(value));
    case 'national-id': {
      const id = String(value);
      if (!/^[12]\d{9}$/.test(id)) return false;
      const sum = [...id].reduce((s, c, i) => {
        const d = Number(c) * (i % 2 === 0 ? 2 : 1);
        return s + (d > 9 ? d - 9 : d);
      }, 0);
      return sum % 10 === 0;
    }
    case 'mobile':
      return /^\+9665\d{8}$/.test(String(value));
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(String(value)) && !Number.isNaN(Date.parse(String(value)));
    case 'reference':
      return value === 'mine' || /^REQ-\d+$/.test(String(value));
    case 'digits':
      return new RegExp(`^\\d{${expect.length}}$`).test(String(value));
    case 'choice':
      return expect.options.some((o) => o.value === value);
    case 'file':
      return false; // no media is sent here
  }
}

const asks = [...content.flows.current.values()].flatMap(({ flow }) =>
  Object.entries(flow.steps).flatMap(([id, step]) => (step.type === 'ask' ? [{ where: `${flow.id}.${id}`, expect: step.expect }] : [])),
);
const choiceContext = {
  labels: (o: { label: string }) => (['ar', 'en'] as const).map((lang) => content.templates.render(o.label, lang)),
  intent: null,
};

describe('answers typed at every question', () => {
  it.each(asks.map((a) => [a.where, a.expect] as const))('%s: a valid value or a re-ask with a template, never a throw', async (where, expect_) => {
    fc.assert(
      fc.property(answer, (raw) => {
        // What the engine sees: the inbound schema has already made the text storable.
        const text = toStorableText(raw);
        let result: ReturnType<typeof checkAnswer>;
        try {
          result = checkAnswer(expect_, { text, media: [] }, choiceContext, () => false);
        } catch (err) {
          report.count(`ask ${expect_.kind}`, 'crash', `${where}: ${String(err)}`);
          throw err;
        }
        report.count(`ask ${expect_.kind}`, result.ok ? 'accepted' : 'rejected');
        if (result.ok) expect(isValidAnswer(expect_, result.value)).toBe(true);
        else expect(result.template === null || content.templates.has(result.template)).toBe(true);
      }),
      fuzzParams(150),
    );
  });
});

describe('the intake flow with a hostile answer at every question', () => {
  let wasl: TestWasl;
  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'pglite' });
  }, 180_000);
  afterAll(async () => wasl?.stop());

  const internalError = content.templates.render('common.internal-error', 'ar', { hotline: content.organisation.hotline }).slice(0, 30);
  const intake = content.flows.get('intake')!.flow;
  const stateOf = async (chat: TestChat) => {
    const [row] = await wasl.database.db.select({ state: conversations.state }).from(conversations).where(eq(conversations.id, (await chat.conversationId())!));
    return parseConversationState(row?.state);
  };
  /** Global command words derail the walk on purpose (cancel, menu, a person); they are covered by flow tests. */
  const commandWords = new Set(['موظف', 'القائمة', 'رجوع', 'إلغاء', 'English', 'human', 'menu', 'back', 'cancel'].map((w) => w.toLowerCase()));
  const notACommand = hostileText(3).filter((t) => ![...commandWords].some((w) => t.toLowerCase().includes(w)));

  it('keeps only valid answers, re-asks the rest, and submits the request', async () => {
    const valid = ['نورة سعد عبدالله الشهري', '1000000008', '0551234567', 'جدة', 'الصفا', '4', '1800', '2', '3', 'زوجي متوفى والإيجار متأخر ثلاثة أشهر', 'نعم'];
    await fc.assert(
      fc.asyncProperty(fc.array(notACommand, { minLength: valid.length, maxLength: valid.length }), async (hostile) => {
        const chat = wasl.chat();
        await chat.say('السلام عليكم');
        await chat.say('1');
        for (let i = 0; i < valid.length; i++) {
          const before = (await stateOf(chat)).frame;
          const step = before && before.flow === 'intake' ? intake.steps[before.step] : undefined;
          if (!step || step.type !== 'ask') break; // the walk left the intake (a hostile word was understood as something else)
          const replies = await chat.say(hostile[i]!);
          expect(replies.length).toBeGreaterThan(0);
          expect(replies.some((r) => r.includes(internalError))).toBe(false);
          const after = (await stateOf(chat)).frame;
          const stayed = after?.flow === 'intake' && after.step === before!.step;
          report.count(`intake ${step.expect.kind} (via chat)`, stayed ? 'rejected' : 'accepted');
          if (step.saveAs && after?.flow === 'intake' && !stayed) {
            const kept = after.data[step.saveAs];
            // Sensitive answers keep only their masked form in the data; the value is sealed beside it.
            if (step.expect.kind === 'national-id') expect(after.sealed[step.saveAs]).toBeDefined();
            else expect(isValidAnswer(step.expect, kept as string | number)).toBe(true);
          }
          if (stayed) await chat.say(valid[i]!);
        }
        const frame = (await stateOf(chat)).frame;
        if (frame?.flow === 'intake') {
          const submitted = (await chat.say('1')).join('\n');
          if (/REQ-\d+/.test(submitted)) {
            const [request] = await wasl.database.db.select().from(requests).where(eq(requests.referenceNumber, /REQ-\d+/.exec(submitted)![0]));
            expect(request).toBeDefined();
          }
        }
      }),
      fuzzParams(3),
    );
  }, 120_000);
});
