/**
 * The engine as a pure function, on the organisation's real flows, templates, commands, FAQ and intents: each
 * test feeds scripted messages and asserts the template keys and effects that come back. Actions are an
 * in-memory recorder injected as EngineDeps.runAction (the collaborator the drain passes in), not a database.
 */
import path from 'node:path';
import { loadContent, type Content } from '../content/load-content';
import { createFaqResponder } from '../faq/faq-responder';
import { createSealer } from '../identity/sealed-value';
import { buildUnderstanding } from '../nlu/understanding';
import { createReplyRenderer, type ReplyRenderer } from '../templating/render-reply';
import { languages, type Language } from '../templating/template-catalog';
import type { ReplyInput } from '../messages/outbound-message';
import { createCommandMatcher } from './commands';
import type { ConversationState } from './conversation-state';
import { runTurn, startFlowTurn, type ActionCall, type ActionResult, type ConversationMode, type EngineDeps, type TurnEffect } from './run-turn';

const root = path.join(__dirname, '../..');
const sealer = createSealer('a'.repeat(64));

let content: Content;
let renderer: ReplyRenderer;
let baseDeps: Omit<EngineDeps, 'runAction'>;

beforeAll(async () => {
  content = loadContent({ flowsDir: path.join(root, 'flows'), templatesDir: path.join(root, 'templates') });
  renderer = createReplyRenderer(content.templates, content.organisation);
  const understanding = await buildUnderstanding({ intents: content.intents, faq: content.faq });
  const faq = createFaqResponder(content.faq, renderer);
  baseDeps = {
    flows: content.flows,
    commands: createCommandMatcher(content.commands),
    labelsOf: (key) => languages.map((lang) => renderer.text(key, lang, 'cli')),
    understand: (text) => understanding.understand(text),
    faqReply: (id, lang) => faq.reply(id, lang),
    sealer,
    defaultLanguage: content.organisation.defaultLanguage,
    thresholds: { intent: 0.55, faq: 0.6 },
  };
});

/** Plausible outcomes for each action, recorded so tests can see what the engine asked for. */
function recordingActions() {
  const calls: ActionCall[] = [];
  const run = async (call: ActionCall): Promise<ActionResult> => {
    calls.push(structuredClone({ ...call, flow: undefined as never }));
    switch (call.name) {
      case 'handoff':
        return {
          outcome: 'open',
          outputs: { nextOpening: 'Sunday 08:00', workingHours: 'Sunday – Thursday' },
          effects: [
            {
              kind: 'handoff',
              reason: String(call.frame.data.handoffReason ?? call.args.reason ?? 'requested'),
              priority: call.frame.data.handoffPriority === 'urgent' ? 'urgent' : 'normal',
              ...(call.frame.data.researcherGender === 'female' ? { researcherGender: 'female' as const } : {}),
            },
          ],
        };
      case 'requests.create':
        return {
          outcome: 'created',
          outputs: {
            referenceNumber: 'REQ-10482',
            decisionDateHijri: '12 Jumada II 1448',
            decisionDateGregorian: '22 November 2026',
            decisionDays: 14,
            documentsList: '- ID',
            documentsCount: 1,
          },
        };
      case 'handoff.preference': {
        const g = call.frame.data.researcherGender;
        return { outcome: 'recorded', effects: [{ kind: 'researcher-preference', gender: g === 'female' || g === 'male' ? g : null }] };
      }
      case 'conversation.set-language':
        return { outcome: 'done', language: call.frame.data.language === 'en' ? 'en' : 'ar' };
      case 'faq.answer':
        return { outcome: 'not-found' };
      case 'requests.find':
        return { outcome: 'none', outputs: { requestsCount: 0 } };
      case 'requests.verify-identity':
        return { outcome: 'failed', outputs: { attemptsLeft: 2 } };
      case 'requests.add-document':
        return { outcome: 'added', outputs: { documentsReceived: 1 } };
      case 'volunteers.register':
        return { outcome: 'registered' };
      case 'survey.record':
        return { outcome: 'recorded' };
      case 'survey.opt-out':
        return { outcome: 'done' };
      case 'consents.record':
        return { outcome: call.frame.data[String(call.args.answerVar)] === 'agree' ? 'granted' : 'refused' };
      case 'privacy.open-request':
        return { outcome: 'recorded', outputs: { dataRequestNumber: 'DR-1' } };
      case 'email.send-link-code':
        return { outcome: 'sent', outputs: { emailAddress: String(call.frame.data.emailAddress ?? '') } };
      case 'email.confirm-link-code':
        return { outcome: 'linked' };
    }
  };
  return { calls, run };
}

interface Sent {
  keys: string[];
  replies: ReplyInput[];
  effects: TurnEffect[];
  /** The replies as the beneficiary reads them, in the conversation's language after the turn. */
  texts: string[];
}

/** One beneficiary's conversation, kept in memory between turns as the drain keeps it in the database. */
class Conversation {
  state: ConversationState = { frame: null, misses: 0 };
  mode: ConversationMode = 'bot';
  readonly actions = recordingActions();

  async send(text: string): Promise<Sent> {
    const deps: EngineDeps = { ...baseDeps, runAction: this.actions.run };
    const before = structuredClone(this.state);
    const result = await runTurn(deps, this.state, { text, media: [] }, this.mode);
    // A turn never edits the state it was given (the drain retries a failed turn from it).
    expect(this.state).toEqual(before);
    this.state = result.state;
    const lang: Language = result.state.language ?? baseDeps.defaultLanguage;
    // Every reply must render, as the drain renders it before committing the turn.
    const texts = result.replies.map((r) => renderer.render(r, lang, 'cli').text);
    return { keys: result.replies.map((r) => r.template), replies: result.replies, effects: result.effects, texts };
  }

  /** Sends each message in turn and returns what the last one produced. */
  async script(...texts: string[]): Promise<Sent> {
    let last: Sent | undefined;
    for (const t of texts) last = await this.send(t);
    return last!;
  }

  get frame() {
    return this.state.frame;
  }
}

const intakeAnswers = {
  name: 'محمد عبدالله الحربي',
  nationalId: '1101234563',
  mobile: '0501234567',
  city: 'الرياض',
  district: 'حي النسيم',
  familySize: '5',
  income: '3000',
  housing: '2',
  supportType: '1',
  description: 'نحتاج سلة غذائية للأسرة هذا الشهر بعد انقطاع الراتب',
};

async function toReview(c: Conversation): Promise<Sent> {
  const a = intakeAnswers;
  return c.script('السلام عليكم', '1', a.name, a.nationalId, a.mobile, a.city, a.district, a.familySize, a.income, a.housing, a.supportType, a.description);
}

describe('the main menu', () => {
  test('a greeting with no flow running shows the menu with its options', async () => {
    const c = new Conversation();
    const out = await c.send('السلام عليكم');
    expect(out.keys.at(-1)).toBe('menu.welcome');
    expect(out.replies.at(-1)!.choices!.map((ch) => ch.value)).toEqual(['apply', 'status', 'questions', 'volunteer', 'human', 'language', 'complaint']);
    expect(out.effects).toEqual([]);
    expect(c.frame).toMatchObject({ flow: 'main-menu', step: 'choose', attempts: 0 });
  });

  test('"1" starts the intake: the introduction, then the first question', async () => {
    const c = new Conversation();
    await c.send('السلام عليكم');
    const out = await c.send('1');
    expect(out.keys).toEqual(['intake.intro', 'intake.ask-name']);
    expect(c.frame).toMatchObject({ flow: 'intake', step: 'ask-name' });
  });

  test('an Arabic-Indic "١" is the same choice', async () => {
    const c = new Conversation();
    await c.send('السلام عليكم');
    expect((await c.send('١')).keys).toEqual(['intake.intro', 'intake.ask-name']);
  });
});

describe('global commands inside a flow', () => {
  test('back returns to the previous question, keeping the flow', async () => {
    const c = new Conversation();
    await c.script('السلام عليكم', '1', intakeAnswers.name);
    expect(c.frame!.step).toBe('ask-national-id');
    const out = await c.send('رجوع');
    expect(out.keys).toEqual(['intake.ask-name']);
    expect(c.frame).toMatchObject({ flow: 'intake', step: 'ask-name' });
  });

  test('back on the first question says there is nothing before it and asks it again', async () => {
    const c = new Conversation();
    await c.script('السلام عليكم', '1');
    const out = await c.send('back');
    expect(out.keys).toEqual(['common.nothing-to-go-back-to', 'intake.ask-name']);
    expect(c.frame!.step).toBe('ask-name');
  });

  test('cancel drops the flow and its answers, and shows the menu', async () => {
    const c = new Conversation();
    await c.script('السلام عليكم', '1', intakeAnswers.name);
    const out = await c.send('إلغاء');
    expect(out.keys).toEqual(['common.cancelled', 'menu.welcome']);
    expect(c.frame).toMatchObject({ flow: 'main-menu', step: 'choose' });
    expect(c.frame!.data.name).toBeUndefined();
  });

  test('a command is a whole message: "ما فهمت القائمة" is an answer attempt, not the menu', async () => {
    const c = new Conversation();
    await c.script('السلام عليكم', '1', intakeAnswers.name);
    const out = await c.send('ما فهمت القائمة');
    expect(out.keys).not.toContain('menu.welcome');
    expect(c.frame).toMatchObject({ flow: 'intake', step: 'ask-national-id' });
  });

  test('switching language re-asks the current question in English', async () => {
    const c = new Conversation();
    await c.script('السلام عليكم', '1', intakeAnswers.name);
    const out = await c.send('English');
    expect(out.keys).toEqual(['language.changed', 'intake.ask-national-id']);
    expect(c.state.language).toBe('en');
    expect(c.frame).toMatchObject({ flow: 'intake', step: 'ask-national-id' });
    expect(out.texts).toEqual([
      content.templates.render('language.changed', 'en', renderer.organisationVariables('en'), 'cli'),
      renderer.render(out.replies[1]!, 'en', 'cli').text,
    ]);
    expect(out.texts.join('\n')).not.toMatch(/\p{Script=Arabic}/u);
    // The answer already given survives the switch.
    expect(c.frame!.data.name).toBe(intakeAnswers.name);
  });
});

describe('the national ID', () => {
  test('is kept sealed, shown masked, and the stored message is redacted', async () => {
    const c = new Conversation();
    await c.script('السلام عليكم', '1', intakeAnswers.name);
    const out = await c.send('١١٠١٢٣٤٥٦٣');
    expect(out.effects).toEqual([{ kind: 'redact-input', text: '******4563' }]);
    expect(out.keys).toEqual(['intake.ask-mobile']);
    expect(c.frame!.data.nationalId).toBe('******4563');
    expect(JSON.stringify(c.state)).not.toContain('1101234563');
    expect(sealer.open(c.frame!.sealed.nationalId!)).toBe('1101234563');
  });

  test('an invalid ID is refused with its message, and nothing is redacted or sealed', async () => {
    const c = new Conversation();
    await c.script('السلام عليكم', '1', intakeAnswers.name);
    const out = await c.send('1234567890');
    expect(out.keys).toEqual(['validation.national-id', 'intake.ask-national-id']);
    expect(out.effects).toEqual([]);
    expect(c.frame!.sealed).toEqual({});
    expect(c.frame!.attempts).toBe(1);
  });
});

describe('the review', () => {
  test('lists every answer, with the ID masked', async () => {
    const c = new Conversation();
    const out = await toReview(c);
    expect(out.keys).toEqual(['intake.review']);
    expect(c.frame!.step).toBe('review');
    const review = out.texts[0]!;
    expect(review).toContain('******4563');
    expect(review).not.toContain('1101234563');
    expect(review).toContain(intakeAnswers.name);
  });

  test('a correction by line number asks that question and returns to the review', async () => {
    const c = new Conversation();
    await toReview(c);
    const ask = await c.send('6');
    expect(ask.keys).toEqual(['intake.ask-family-size']);
    expect(c.frame!.step).toBe('ask-family-size');
    const back = await c.send('7');
    expect(back.keys).toEqual(['intake.review']);
    expect(c.frame!.step).toBe('review');
    expect(c.frame!.data.familySize).toBe(7);
    // Every other answer is unchanged.
    expect(c.frame!.data.city).toBe(intakeAnswers.city);
  });

  test('confirming goes on to the attestation, and agreeing creates the request', async () => {
    const c = new Conversation();
    await toReview(c);
    expect((await c.send('نعم')).keys).toEqual(['intake.attestation']);
    const out = await c.send('أقر');
    expect(c.actions.calls.map((a) => a.name)).toEqual(['consents.record', 'requests.create']);
    expect(out.keys.slice(0, 2)).toEqual(['intake.submitted', 'intake.committee']);
    expect(out.texts.join('\n')).toContain('REQ-10482');
  });
});

describe('after too many answers that do not fit', () => {
  async function offered(): Promise<Conversation> {
    const c = new Conversation();
    await c.script('السلام عليكم', '1', intakeAnswers.name);
    expect((await c.send('123')).keys).toEqual(['validation.national-id', 'intake.ask-national-id']);
    expect((await c.send('456')).keys).toEqual(['validation.national-id', 'intake.ask-national-id']);
    const offer = await c.send('789');
    expect(offer.keys).toEqual(['common.offer-human']);
    expect(offer.replies[0]!.choices!.map((ch) => ch.value)).toEqual(['yes', 'no']);
    expect(c.frame!.offeringHuman).toBe(true);
    return c;
  }

  test.each(['1', 'نعم', 'yes'])('%j accepts the researcher: a handoff', async (answer) => {
    const c = await offered();
    const out = await c.send(answer);
    expect(out.effects).toEqual([{ kind: 'handoff', reason: 'requested', priority: 'normal' }]);
    expect(c.actions.calls).toEqual([expect.objectContaining({ name: 'handoff', args: { reason: 'requested' } })]);
    expect(out.keys).toEqual(['human.open', 'human.ask-researcher']);
  });

  test('"2" declines and the question is asked again, with a fresh count', async () => {
    const c = await offered();
    const out = await c.send('2');
    expect(out.effects).toEqual([]);
    expect(out.keys).toEqual(['intake.ask-national-id']);
    expect(c.frame).toMatchObject({ step: 'ask-national-id', attempts: 0, offeringHuman: false });
  });
});

describe('while a researcher has the conversation', () => {
  async function waiting(): Promise<Conversation> {
    const c = new Conversation();
    await c.script('السلام عليكم', '1', intakeAnswers.name);
    c.mode = 'waiting';
    return c;
  }

  test.each(['مرحبا', 'متى يردون علي', '1', 'رجوع', 'English'])('waiting: %j gets no reply from the bot', async (text) => {
    const c = await waiting();
    const before = structuredClone(c.state);
    const out = await c.send(text);
    expect(out.keys).toEqual([]);
    expect(out.effects).toEqual([]);
    expect(c.state).toEqual(before);
  });

  test('waiting: "القائمة" returns to the bot and shows the menu', async () => {
    const c = await waiting();
    const out = await c.send('القائمة');
    expect(out.effects).toEqual([{ kind: 'return-to-bot' }]);
    expect(out.keys).toEqual(['handoff.returned-to-bot', 'menu.welcome']);
    expect(c.frame).toMatchObject({ flow: 'main-menu', step: 'choose' });
  });

  test.each(['مرحبا', 'القائمة', 'menu', 'إلغاء', 'موظف', '1101234563'])('human: %j is always silent', async (text) => {
    const c = await waiting();
    c.mode = 'human';
    const before = structuredClone(c.state);
    const out = await c.send(text);
    expect(out).toMatchObject({ keys: [], effects: [] });
    expect(c.state).toEqual(before);
  });
});

describe('the researcher preference', () => {
  /** Asks for a person; the drain puts the chat in the queue (waiting) when the turn hands off. */
  async function askedForPerson(text: string): Promise<{ c: Conversation; out: Sent }> {
    const c = new Conversation();
    await c.send('السلام عليكم');
    const out = await c.send(text);
    if (out.effects.some((e) => e.kind === 'handoff')) c.mode = 'waiting';
    return { c, out };
  }

  test('the chat is queued at once, then the beneficiary may choose a female or a male researcher', async () => {
    const { c, out } = await askedForPerson('موظف');
    expect(out.effects).toEqual([{ kind: 'handoff', reason: 'requested', priority: 'normal' }]);
    expect(out.keys).toEqual(['human.open', 'human.ask-researcher']);
    expect(out.replies[1]!.choices!.map((ch) => ch.value)).toEqual(['female', 'male', 'any']);
    const chosen = await c.send('1');
    expect(chosen.effects).toEqual([{ kind: 'researcher-preference', gender: 'female' }]);
    expect(chosen.keys).toEqual(['human.preference-recorded']);
    expect(c.frame).toBeNull();
  });

  test.each([
    ['باحث', 'male'],
    ['A male researcher', 'male'],
    ['لا فرق', null],
  ])('%j while waiting answers the question (%s)', async (answer, gender) => {
    const { c } = await askedForPerson('موظف');
    expect((await c.send(answer)).effects).toEqual([{ kind: 'researcher-preference', gender }]);
  });

  test('anything else while waiting is for the researcher: no reply, the question stays open', async () => {
    const { c } = await askedForPerson('موظف');
    const out = await c.send('عندي مشكلة في الإيجار');
    expect(out.keys).toEqual([]);
    expect(out.effects).toEqual([]);
    expect(c.frame).toMatchObject({ flow: 'human', step: 'ask-researcher' });
    expect((await c.send('2')).effects).toEqual([{ kind: 'researcher-preference', gender: 'male' }]);
  });

  test('"ابي باحثة" already says it: the handoff carries the preference and nothing is asked', async () => {
    const { out } = await askedForPerson('ابي باحثة');
    expect(out.effects).toEqual([{ kind: 'handoff', reason: 'requested', priority: 'normal', researcherGender: 'female' }]);
    expect(out.keys).toEqual(['human.open']);
  });

  test('a crisis that mentions a woman goes to anyone at once: no preference read, no question asked', async () => {
    const { out } = await askedForPerson('امرأة في بيتنا يضربها زوجها الآن وتحتاج مساعدة');
    expect(out.effects).toEqual([{ kind: 'handoff', reason: 'urgent', priority: 'urgent' }]);
    expect(out.keys).toEqual(['handoff.urgent', 'human.open']);
  });
});

describe('starting a flow without a message (hand back into a flow)', () => {
  test('runs the flow to its first question', async () => {
    const c = new Conversation();
    const deps: EngineDeps = { ...baseDeps, runAction: c.actions.run };
    const before = structuredClone(c.state);
    const out = await startFlowTurn(deps, c.state, 'status');
    expect(c.state).toEqual(before);
    expect(out.replies.map((r) => r.template)).toEqual(['status.ask-reference']);
    expect(out.state.frame).toMatchObject({ flow: 'status', step: 'ask-reference' });
    c.state = out.state;
    expect((await c.send('طلباتي')).keys).toEqual(['status.none']);
  });
});
